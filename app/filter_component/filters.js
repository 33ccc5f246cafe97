// The explorer's filters as one plain HTML form. Streamlit's slider, radio, multiselect and
// selectbox widgets each cost a first visit a script chunk to fetch and compile; native inputs
// cost nothing. A Streamlit v2 component (in the page, not an iframe): the choices come in as
// its data, the whole filter state goes back out as its "filters" state on every change.
// Every label is written as text, never as HTML.

const builtFor = new WeakMap();  // form -> the choices it was built for

function element(tag, properties, children) {
  const node = Object.assign(document.createElement(tag), properties || {});
  (children || []).forEach(function (child) { node.append(child); });
  return node;
}

function group(title, children, className) {
  return element("fieldset", {}, [element("legend", { textContent: title }),
                                  element("div", { className: className || "" }, children)]);
}

function choice(type, name, value, text, checked) {
  const input = element("input", { type: type, name: name, value: String(value), checked: checked });
  return element("label", {}, [input, " " + text]);
}

function radios(name, values, texts) {
  return values.map(function (value, index) { return choice("radio", name, value, texts[index], index === 0); });
}

function number(name, value) {
  return element("input", { type: "number", name: name, min: "0", max: "1", step: "0.01", value: value });
}

function build(form, args) {
  const parts = [
    group("Ring probability", [element("label", {}, ["from ", number("low", "0.00")]),
                               element("label", {}, ["to ", number("high", "1.00")])]),
    group("Ring flag", radios("flag", ["all", "ring", "not ring"],
                              ["all", "ring (p >= " + args.threshold.toFixed(3) + ")", "not ring"])),
  ];
  if (args.types.length) {
    parts.push(group("Ring type", args.types.map(function (type) { return choice("checkbox", "types", type, type, false); }),
                     "choices"));
  }
  parts.push(
    group("Tile (HEALPix)", args.tiles.map(function (tile) { return choice("checkbox", "tiles", tile, String(tile), false); }),
          "choices"),
    group("Known catalogue match (5\")", radios("known", ["all", "matched", "not matched"], ["all", "matched", "not matched"])),
    group("Vetting", radios("vetted", args.vetting, args.vetting.map(function (label) { return label.replace("_", " "); }))),
    group("Sky background", [element("select", { name: "survey" },
                                     args.surveys.map(function (name) { return element("option", { value: name, textContent: name }); }))]),
    group("Show", [choice("checkbox", "export", "yes", "export tools", false),
                   choice("checkbox", "per_tile", "yes", "candidates per tile", false)]),
  );
  form.replaceChildren.apply(form, parts);
}

function state(form) {
  const data = new FormData(form);
  return {
    low: Number(data.get("low")) || 0, high: data.get("high") === "" ? 1 : Number(data.get("high")),
    flag: data.get("flag"), types: data.getAll("types"), tiles: data.getAll("tiles").map(Number),
    known: data.get("known"), vetted: data.get("vetted"), survey: data.get("survey"),
    export: data.has("export"), per_tile: data.has("per_tile"),
  };
}

export default function ({ parentElement, data, setStateValue }) {
  const form = parentElement.querySelector("form");
  form.onchange = function () { setStateValue("filters", state(form)); };
  form.onsubmit = function (event) { event.preventDefault(); };
  const choices = JSON.stringify(data);
  const before = builtFor.get(form);
  if (choices === before) return;
  builtFor.set(form, choices);
  build(form, data);
  if (before !== undefined) setStateValue("filters", state(form));  // new choices, fresh form
}
