// The explorer's sky: Aladin Lite v3 served from this app (same origin), markers coloured by
// ring probability, known catalogues and the MOC on top. Speaks Streamlit's component protocol
// (v1) by hand: render arguments come in by postMessage, a clicked marker goes back out.
// URLs resolve against document.baseURI: inside a component iframe location.href may be
// about:srcdoc, and the app may sit under a base path.

const appRoot = document.baseURI.split("/component/")[0] + "/";
const statusLine = document.getElementById("status");
const PROBABILITY_BINS = [0.2, 0.4, 0.6, 0.8, 1.01];
const BIN_COLOURS = ["#3b4cc0", "#7b9ff9", "#c0d4f5", "#f49a7b", "#e8251f"];

let A = null;
let aladin = null;
let drawnKey = null;
let baseSurvey = null;
let ready = null;

function send(type, data) {
  window.parent.postMessage(Object.assign({ isStreamlitMessage: true, type: type }, data || {}), "*");
}

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
  aladin = A.aladin("#sky", {
    survey: surveyLayer(args.survey),
    hipsList: [],
    target: args.target,
    fov: args.fov,
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
  aladin.on("objectClicked", function (object) {
    if (object && object.data && object.data.row !== undefined) {
      send("streamlit:setComponentValue", { value: { row: object.data.row, at: Date.now() }, dataType: "json" });
    }
  });
}

function unpack(markers) {
  // ra, dec, p as float32 then row as int32, each markers.count long (see pack_markers).
  const bytes = Uint8Array.from(atob(markers.data), function (c) { return c.charCodeAt(0); });
  const n = markers.count;
  return {
    ra: new Float32Array(bytes.buffer, 0, n),
    dec: new Float32Array(bytes.buffer, 4 * n, n),
    p: new Float32Array(bytes.buffer, 8 * n, n),
    row: new Int32Array(bytes.buffer, 12 * n, n),
  };
}

function drawMarkers(packed) {
  const markers = unpack(packed);
  const bins = PROBABILITY_BINS.map(function (_, k) {
    return A.catalog({ name: "ringsky p<" + PROBABILITY_BINS[k].toFixed(1), color: BIN_COLOURS[k], sourceSize: 10, shape: "circle" });
  });
  const sources = bins.map(function () { return []; });
  for (let i = 0; i < markers.ra.length; i++) {
    let k = 0;
    while (markers.p[i] >= PROBABILITY_BINS[k]) k++;
    sources[k].push(A.source(markers.ra[i], markers.dec[i], { row: markers.row[i] }));
  }
  let drawn = 0;
  bins.forEach(function (catalog, k) {
    aladin.addCatalog(catalog);
    catalog.addSources(sources[k]);
    drawn += catalog.getSources().length;
  });
  return drawn;
}

function drawOverlays(overlays) {
  overlays.forEach(function (overlay) {
    const catalog = A.catalog({ name: overlay.name, color: overlay.color, sourceSize: 16, shape: overlay.shape });
    aladin.addCatalog(catalog);
    catalog.addSources(overlay.ra.map(function (ra, i) { return A.source(ra, overlay.dec[i], {}); }));
  });
}

function drawSelection(selected) {
  const catalog = A.catalog({ name: "selected", color: "#00ff66", sourceSize: 28, shape: "square" });
  aladin.addCatalog(catalog);
  catalog.addSources([A.source(selected.ra, selected.dec, {})]);
  aladin.gotoRaDec(selected.ra, selected.dec);
  if (selected.fov) aladin.setFoV(selected.fov);
}

function render(args) {
  if (!aladin) createAladin(args);
  if (args.survey.url !== baseSurvey) {
    aladin.setBaseImageLayer(surveyLayer(args.survey));
    baseSurvey = args.survey.url;
  window.ringskyAladin = aladin;  // for tests and the browser console
  }
  if (args.key !== drawnKey) {
    const started = performance.now();
    aladin.removeLayers();
    if (args.moc) aladin.addMOC(A.MOCFromJSON(args.moc, { color: "#44aaff", opacity: 0.12, lineWidth: 1, name: "searched" }));
    drawOverlays(args.overlays);
    const drawn = drawMarkers(args.markers);
    if (args.selected) drawSelection(args.selected);
    drawnKey = args.key;
    document.body.dataset.markers = String(drawn);
    document.body.dataset.key = args.key;
    document.body.dataset.drawMs = String(Math.round(performance.now() - started));
    setStatus(drawn + " candidates drawn");
  }
}

window.addEventListener("message", function (event) {
  if (!event.data || event.data.type !== "streamlit:render") return;
  const args = event.data.args;
  ready.then(function () { render(args); }).catch(function (error) {
    setStatus("Aladin Lite failed: " + error);
    document.body.dataset.error = String(error);
  });
});

ready = loadAladin();
send("streamlit:componentReady", { apiVersion: 1 });
send("streamlit:setFrameHeight", { height: 545 });
