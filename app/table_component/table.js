// The explorer's table: one page of the filtered candidates as a plain HTML table. Streamlit's
// own data grid costs more than a megabyte of script that a first visit must fetch and compile
// (about 0.6 s of the page load here); a page of rows needs none of it. The order and the
// page over the whole selection are chosen here and applied by the server. A Streamlit v2
// component (in the page, not an iframe): the page comes in as its data; the order, the page
// and the row last clicked go back out as its "view" state. Every value is written as text,
// never as HTML.

let parts = null;          // this table's elements
let setState = null;       // the newest mount's setStateValue
let columns = [];
let rows = [];
let selected = null;
let sortColumn = -1;
let ascending = true;
let view = { sort: null, page: 1, pages: 1 };

function tell(row) {
  // The server's order and page, and the catalogue row clicked (null when none was).
  setState("view", { sort: view.sort, page: view.page, row: row, at: Date.now() });
}

function cellText(value, column) {
  if (value === null || value === undefined) return "";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number" && column.digits !== null) return value.toFixed(column.digits);
  return String(value);
}

function drawHeader() {
  parts.header.replaceChildren();
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
    parts.header.appendChild(cell);
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
  parts.body.replaceChildren(fragment);
}

function drawControls(args) {
  const sortChoice = parts.sort;
  if (sortChoice.options.length !== args.sorts.length) {
    sortChoice.replaceChildren.apply(sortChoice, args.sorts.map(function (name) {
      return Object.assign(document.createElement("option"), { value: name, textContent: name });
    }));
  }
  view = { sort: args.sort, page: args.page, pages: args.pages };
  sortChoice.value = args.sort;
  parts.page.textContent = "page " + args.page + " of " + args.pages;
  parts.previous.disabled = args.page <= 1;
  parts.next.disabled = args.page >= args.pages;
  parts.caption.textContent = args.caption;
}

function find(root) {
  const part = function (id) { return root.querySelector("#" + id); };
  const found = { header: part("header"), body: part("rows"), scroller: part("scroller"), sort: part("sort"),
                  page: part("page"), previous: part("previous"), next: part("next"), caption: part("caption") };
  found.sort.onchange = function () {
    view.sort = found.sort.value;
    view.page = 1;
    tell(null);
  };
  found.previous.onclick = function () {
    view.page = Math.max(1, view.page - 1);
    tell(null);
  };
  found.next.onclick = function () {
    view.page = Math.min(view.pages, view.page + 1);
    tell(null);
  };
  return found;
}

export default function ({ parentElement, data, setStateValue }) {
  if (!parts || !parentElement.contains(parts.header)) parts = find(parentElement);
  setState = setStateValue;
  const names = data.columns.map(function (column) { return column.name; }).join();
  if (names !== columns.map(function (column) { return column.name; }).join()) sortColumn = -1;
  columns = data.columns;
  rows = data.rows;
  selected = data.selected;
  drawControls(data);
  drawHeader();
  drawRows();
  parts.scroller.dataset.total = String(data.total);  // the filtered rows this page is drawn from
}
