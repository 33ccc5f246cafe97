// The explorer's sky: Aladin Lite v3 served from this app (same origin), the candidates coloured
// by ring probability (MarkerLayer, markers.js), known catalogues and the MOC on top. A Streamlit
// v2 component, drawn in the page itself: its data come in on every rerun, and a clicked marker
// goes back out as its "click" state. sky_view.py joins markers.js and this file into the
// component's one module, so MarkerLayer is in scope here.
// Aladin is created once per page and lives through every rerun; only what changed is redrawn.

const appRoot = new URL("./", document.baseURI).href;  // the app's root, under any base path

let host = null;         // the element Aladin draws in; its dataset tells tests what is drawn
let statusLine = null;
let A = null;
let aladin = null;
let drawnKey = null;
let baseSurvey = null;
let layer = null;
let positions = null;
let positionsUrl = null;
let selection = null;
let rendered = null;
let setState = null;     // the newest mount's setStateValue

function setStatus(text) {
  statusLine.textContent = text;
}

async function loadAladin() {
  const module = await import(new URL("app/static/aladin.js", appRoot).href);
  A = module.default;
  await A.init;
}

function surveyLayer(survey) {
  if (survey.local) {
    return A.imageHiPS(new URL(survey.url, appRoot).href, { name: survey.name, imgFormat: "png" });
  }
  return A.imageHiPS(survey.url, { name: survey.name });
}

function createAladin(args) {
  aladin = A.aladin(host, {
    survey: surveyLayer(args.survey),
    hipsList: [],
    target: args.target,
    fov: args.fov,
    projection: "SIN",  // markers.js projects the candidates the same way
    log: false,
    samp: false,
    showLayersControl: false,
    showSimbadPointerControl: false,
    showShareControl: false,
    showSettingsControl: false,
    showCooGridControl: false,
    showColorPickerControl: false,
    showContextMenu: false,
    showProjectionControl: false,
    showFullscreenControl: false,
    showReticle: false,
  });
  baseSurvey = args.survey.url;
  window.ringskyAladin = aladin;  // for tests and the browser console
  layer = new MarkerLayer(aladin, host, args.scale.bins, args.scale.colours);  // ringsky.explore.framing's scale
  window.ringskyMarkers = layer;
  aladin.on("click", function (event) {
    const row = event.isDragging ? -1 : layer.at(event.x, event.y);
    if (row >= 0) setState("click", { row: row, at: Date.now() });
  });
}

function requestPositions(markers) {
  // The catalogue's candidates (see sky_view.ensure_markers) come once per catalogue version
  // from a gzipped static file, fetched while Aladin starts; each render then sends only which
  // rows pass the filters.
  if (!positions || positions.url !== markers.url) {
    positions = {
      url: markers.url,
      buffer: fetch(new URL(markers.url, appRoot).href).then(function (response) {
        if (!response.ok) throw new Error("cannot load the markers: HTTP " + response.status);
        return new Response(response.body.pipeThrough(new DecompressionStream("gzip"))).arrayBuffer();
      }),
    };
  }
  return positions.buffer;
}

async function loadPositions(markers) {
  // float32 ra, dec, p then int32 row columns, each markers.count long, in drawing order.
  const buffer = await requestPositions(markers);
  const n = markers.count;
  layer.setPositions(new Float32Array(buffer, 0, n), new Float32Array(buffer, 4 * n, n),
                     new Float32Array(buffer, 8 * n, n), new Int32Array(buffer, 12 * n, n));
  positionsUrl = markers.url;
}

function decodeMask(shown) {
  return shown === null ? null : Uint8Array.from(atob(shown), function (c) { return c.charCodeAt(0); });
}

function drawOverlays(overlays) {
  overlays.forEach(function (overlay) {
    const catalog = A.catalog({ name: overlay.name, color: overlay.color, sourceSize: 16, shape: overlay.shape });
    aladin.addCatalog(catalog);
    catalog.addSources(overlay.ra.map(function (ra, i) { return A.source(ra, overlay.dec[i], {}); }));
  });
}

function drawSelection(selected) {
  selection.removeAll();
  if (!selected) return;
  selection.addSources([A.source(selected.ra, selected.dec, {})]);
  aladin.gotoRaDec(selected.ra, selected.dec);
  if (selected.fov) aladin.setFoV(selected.fov);
}

async function drawCatalogue(args) {
  // What stays the same while the filters change: the MOC, the known catalogues, the positions.
  aladin.removeLayers();
  if (args.moc) aladin.addMOC(A.MOCFromJSON(args.moc, { color: "#44aaff", opacity: 0.12, lineWidth: 1, name: "searched" }));
  drawOverlays(args.overlays);
  selection = A.catalog({ name: "selected", color: "#00ff66", sourceSize: 28, shape: "square" });
  aladin.addCatalog(selection);
  await loadPositions(args.markers);
}

async function projectionSized() {
  // Aladin sizes its projection a moment after it is created (a debounced resize); until then
  // world2pix answers for a view the size of the window, and markers would land off the sky.
  // Timers, not animation frames: a frame would first render the whole window's worth of sky.
  for (let wait = 0; wait < 200; wait++) {
    const centre = aladin.getRaDec(), pixel = aladin.world2pix(centre[0], centre[1]), size = aladin.getSize();
    if (pixel && Math.abs(pixel[0] - size[0] / 2) < 1 && Math.abs(pixel[1] - size[1] / 2) < 1) return;
    await new Promise(function (resolve) { setTimeout(resolve, 5); });
  }
}

async function render(args) {
  if (!aladin) {
    createAladin(args);
    await projectionSized();
  }
  if (args.survey.url !== baseSurvey) {
    aladin.setBaseImageLayer(surveyLayer(args.survey));
    baseSurvey = args.survey.url;
  }
  host.dataset.survey = baseSurvey;
  if (args.drawKey !== drawnKey) {
    const started = performance.now();
    if (args.markers.url !== positionsUrl) await drawCatalogue(args);
    const drawn = layer.show(decodeMask(args.markers.shown));
    drawSelection(args.selected);
    drawnKey = args.drawKey;
    host.dataset.markers = String(drawn);
    host.dataset.key = args.drawKey;
    host.dataset.drawMs = String(Math.round(performance.now() - started));
    setStatus(drawn + " candidates drawn");
  }
}

export default function ({ parentElement, data, setStateValue }) {
  setState = setStateValue;
  const mount = parentElement.querySelector("#ringsky-sky");
  if (mount !== host) {  // the first mount, or Streamlit drew the component afresh
    host = mount;
    statusLine = parentElement.querySelector("#ringsky-sky-status");
    aladin = drawnKey = baseSurvey = positionsUrl = null;
    rendered = rendered || loadAladin();
  }
  requestPositions(data.markers);
  rendered = rendered.then(function () { return render(data); }).catch(function (error) {
    setStatus("Aladin Lite failed: " + error);
    host.dataset.error = String(error);
  });
}
