// dockopt TreeTable: a table whose rows may be indented and opened like a tree. The kernel owns
// every row (and decides what a click means); this view only draws what it is sent and reports
// clicks, so it never holds more than the few hundred rows the kernel sends.
function render({ model, el }) {
  el.classList.add("dockopt-tt");
  const wrap = document.createElement("div");
  wrap.className = "dockopt-tt-scroll";
  const table = document.createElement("table");
  const head = document.createElement("thead");
  const body = document.createElement("tbody");
  table.append(head, body);
  wrap.append(table);
  el.append(wrap);

  function draw() {
    const columns = model.get("columns");
    const rows = model.get("rows");
    const selected = model.get("selected");
    el.dataset.name = model.get("name");
    wrap.style.maxHeight = model.get("height");
    head.replaceChildren();
    const hr = document.createElement("tr");
    for (const c of columns) {
      const th = document.createElement("th");
      th.textContent = c.label;
      if (c.align) th.style.textAlign = c.align;
      hr.append(th);
    }
    head.append(hr);
    const frag = document.createDocumentFragment();
    for (const row of rows) {
      const tr = document.createElement("tr");
      tr.dataset.id = row.id;
      if (row.cls) tr.className = row.cls;
      if (row.id === selected) tr.classList.add("dockopt-tt-selected");
      if (row.title) tr.title = row.title;
      columns.forEach((c, i) => {
        const td = document.createElement("td");
        if (c.align) td.style.textAlign = c.align;
        if (i === 0) {
          td.style.paddingLeft = `${0.4 + 1.1 * (row.depth || 0)}em`;
          const twisty = document.createElement("span");
          twisty.className = "dockopt-tt-twisty";
          twisty.textContent = row.expandable ? (row.expanded ? "\u25be" : "\u25b8") : "";
          td.append(twisty);
          const label = document.createElement("span");
          label.className = "dockopt-tt-label";
          label.textContent = row.cells[c.key] ?? "";
          td.append(label);
        } else {
          td.textContent = row.cells[c.key] ?? "";
          if (row.cell_cls && row.cell_cls[c.key]) td.className = row.cell_cls[c.key];
        }
        tr.append(td);
      });
      tr.addEventListener("click", (e) => {
        const onTwisty = e.target.classList && e.target.classList.contains("dockopt-tt-twisty");
        model.send({ event: "click", id: row.id, twisty: !!onTwisty });
      });
      frag.append(tr);
    }
    body.replaceChildren(frag);
  }
  model.on("change:rows", draw);
  model.on("change:columns", draw);
  model.on("change:selected", draw);
  model.on("change:height", draw);
  draw();
}
export default { render };
