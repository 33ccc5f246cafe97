// The explorer's table: one page of the filtered candidates as a plain HTML table. Streamlit's
// own data grid costs more than a megabyte of script that a first visit must fetch and compile
// (about 0.6 s of the page load here); a page of 500 rows needs none of it. Speaks Streamlit's
// component protocol (v1) by hand, like the sky: the page comes in by postMessage, a clicked
// row goes back out. Every value is written as text, never as HTML.

const header = document.getElementById("header");
const body = document.getElementById("rows");

let columns = [];
let rows = [];
let selected = null;
let sortColumn = -1;
let ascending = true;

function send(type, data) {
  window.parent.postMessage(Object.assign({ isStreamlitMessage: true, type: type }, data || {}), "*");
}

function cellText(value, column) {
  if (value === null || value === undefined) return "";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number" && column.digits !== null) return value.toFixed(column.digits);
  return String(value);
}

function drawHeader() {
  header.replaceChildren();
  columns.forEach(function (column, index) {
    const cell = document.createElement("th");
    const arrow = index === sortColumn ? (ascending ? " \u25b2" : " \u25bc") : "";
    cell.textContent = column.name + arrow;
    cell.title = "sort this page by " + column.name;
    cell.addEventListener("click", function () {
      ascending = index === sortColumn ? !ascending : true;
      sortColumn = index;
      drawHeader();
      drawRows();
    });
    header.appendChild(cell);
  });
}

function pageOrder() {
  // Row indices of this page, sorted by the clicked header (stable); the server's order otherwise.
  const order = rows.map(function (_, index) { return index; });
  if (sortColumn < 0) return order;
  const sign = ascending ? 1 : -1;
  return order.sort(function (a, b) {
    const x = rows[a][sortColumn], y = rows[b][sortColumn];
    return (x < y ? -sign : x > y ? sign : 0) || a - b;
  });
}

function drawRows() {
  const rowColumn = columns.findIndex(function (column) { return column.name === "row"; });
  const fragment = document.createDocumentFragment();
  pageOrder().forEach(function (index) {
    const values = rows[index];
    const line = document.createElement("tr");
    const catalogueRow = values[rowColumn];
    if (catalogueRow === selected) line.className = "selected";
    line.dataset.row = String(catalogueRow);
    values.forEach(function (value, column) {
      const cell = document.createElement("td");
      cell.textContent = cellText(value, columns[column]);
      if (typeof value === "number") cell.className = "number";
      line.appendChild(cell);
    });
    line.addEventListener("click", function () {
      send("streamlit:setComponentValue", { value: { row: catalogueRow, at: Date.now() }, dataType: "json" });
    });
    fragment.appendChild(line);
  });
  body.replaceChildren(fragment);
  document.body.dataset.rows = String(rows.length);
}

window.addEventListener("message", function (event) {
  if (!event.data || event.data.type !== "streamlit:render") return;
  const args = event.data.args;
  const names = args.columns.map(function (column) { return column.name; }).join();
  if (names !== columns.map(function (column) { return column.name; }).join()) sortColumn = -1;
  columns = args.columns;
  rows = args.rows;
  selected = args.selected;
  drawHeader();
  drawRows();
});

send("streamlit:componentReady", { apiVersion: 1 });
send("streamlit:setFrameHeight", { height: 326 });
