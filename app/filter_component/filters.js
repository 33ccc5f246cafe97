// The explorer's filters as one plain HTML form. Streamlit's slider, radio, multiselect and
// selectbox widgets each cost a first visit a script chunk to fetch and compile; native inputs
// cost nothing. Speaks Streamlit's component protocol (v1) by hand, like the sky and the table:
// the choices come in by postMessage, the whole filter state goes back out on every change.
// Every label is written as text, never as HTML.

const form = document.getElementById("filters");

let builtFor = null;

function send(type, data) {
  window.parent.postMessage(Object.assign({ isStreamlitMessage: true, type: type }, data || {}), "*");
}

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

function build(args) {
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

function state() {
  const data = new FormData(form);
  return {
    low: Number(data.get("low")) || 0, high: data.get("high") === "" ? 1 : Number(data.get("high")),
    flag: data.get("flag"), types: data.getAll("types"), tiles: data.getAll("tiles").map(Number),
    known: data.get("known"), vetted: data.get("vetted"), survey: data.get("survey"),
    export: data.has("export"), per_tile: data.has("per_tile"),
  };
}

form.addEventListener("change", function () {
  send("streamlit:setComponentValue", { value: state(), dataType: "json" });
});
form.addEventListener("submit", function (event) { event.preventDefault(); });

window.addEventListener("message", function (event) {
  if (!event.data || event.data.type !== "streamlit:render") return;
  const args = event.data.args;
  const choices = JSON.stringify(args);
  if (choices === builtFor) return;
  const rebuilt = builtFor !== null;
  builtFor = choices;
  build(args);
  send("streamlit:setFrameHeight", { height: document.body.scrollHeight });
  if (rebuilt) send("streamlit:setComponentValue", { value: state(), dataType: "json" });  // new choices, fresh form
});

send("streamlit:componentReady", { apiVersion: 1 });
