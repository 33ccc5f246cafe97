// The explorer's table: one page of the filtered candidates as a plain HTML table. Streamlit's
// own data grid costs more than a megabyte of script that a first visit must fetch and compile
// (about 0.6 s of the page load here); a page of rows needs none of it. The order and the
// page over the whole selection are chosen here and applied by the server. Speaks Streamlit's
// component protocol (v1) by hand, like the sky: the page comes in by postMessage; the order,
// the page and the row last clicked go back out. Every value is written as text, never as HTML.

const header = document.getElementById("header");
const body = document.getElementById("rows");
const sortChoice = document.getElementById("sort");
const pageText = document.getElementById("page");
const caption = document.getElementById("caption");

let columns = [];
let rows = [];
let selected = null;
let sortColumn = -1;
let ascending = true;
let view = { sort: null, page: 1, pages: 1 };

function send(type, data) {
  window.parent.postMessage(Object.assign({ isStreamlitMessage: true, type: type }, data || {}), "*");
}

function tell(row) {
  // The server's order and page, and the catalogue row clicked (null when none was).
  send("streamlit:setComponentValue", {
    value: { sort: view.sort, page: view.page, row: row, at: Date.now() }, dataType: "json",
  });
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
    line.addEventListener("click", function () { tell(catalogueRow); });
    fragment.appendChild(line);
  });
  body.replaceChildren(fragment);
  document.body.dataset.rows = String(rows.length);
}

function drawControls(args) {
  if (sortChoice.options.length !== args.sorts.length) {
    sortChoice.replaceChildren.apply(sortChoice, args.sorts.map(function (name) {
      return Object.assign(document.createElement("option"), { value: name, textContent: name });
    }));
  }
  view = { sort: args.sort, page: args.page, pages: args.pages };
  sortChoice.value = args.sort;
  pageText.textContent = "page " + args.page + " of " + args.pages;
  document.getElementById("previous").disabled = args.page <= 1;
  document.getElementById("next").disabled = args.page >= args.pages;
  caption.textContent = args.caption;
}

sortChoice.addEventListener("change", function () {
  view.sort = sortChoice.value;
  view.page = 1;
  tell(null);
});
document.getElementById("previous").addEventListener("click", function () {
  view.page = Math.max(1, view.page - 1);
  tell(null);
});
document.getElementById("next").addEventListener("click", function () {
  view.page = Math.min(view.pages, view.page + 1);
  tell(null);
});

window.addEventListener("message", function (event) {
  if (!event.data || event.data.type !== "streamlit:render") return;
  const args = event.data.args;
  const names = args.columns.map(function (column) { return column.name; }).join();
  if (names !== columns.map(function (column) { return column.name; }).join()) sortColumn = -1;
  columns = args.columns;
  rows = args.rows;
  selected = args.selected;
  drawControls(args);
  drawHeader();
  drawRows();
  document.body.dataset.total = String(args.total);  // the filtered rows this page is drawn from
  send("streamlit:setFrameHeight", { height: document.documentElement.scrollHeight });
});

send("streamlit:componentReady", { apiVersion: 1 });
