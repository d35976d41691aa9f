import assert from "node:assert/strict";
import { DataTable, FilterForm, InputField, ListPage, Pager, SelectField } from "./list_page.tsx";

const html = (node: unknown) => String(node);

const COLUMNS = [
  { label: "Name", cell: (r: { name: string; n: number }) => r.name },
  { label: "Count", cellClass: "num", hideNarrow: true, cell: (r: { n: number }) => r.n },
  { label: "Actions", hiddenLabel: true, cell: () => <button type="submit">Go</button> },
];

Deno.test("DataTable: column headers, narrow-hidden cells, a screen-reader-only header", () => {
  const out = html(
    <DataTable
      columns={COLUMNS}
      rows={[{ name: "<b>x</b>", n: 3 }]}
      rowAttributes={(r) => ({ "data-row": r.name })}
    />,
  );
  assert.equal(
    out,
    '<div class="table-wrap"><table><thead><tr><th scope="col">Name</th>' +
      '<th scope="col" class="hide-narrow">Count</th>' +
      '<th scope="col"><span class="skip-link">Actions</span></th></tr></thead>' +
      '<tbody><tr data-row="&lt;b&gt;x&lt;/b&gt;"><td>&lt;b&gt;x&lt;/b&gt;</td>' +
      '<td class="num hide-narrow">3</td><td><button type="submit">Go</button></td></tr>' +
      "</tbody></table></div>",
  );
});

Deno.test("DataTable: the empty state inside the wrapper, or a bare table without one", () => {
  assert.equal(
    html(<DataTable columns={COLUMNS} rows={[]} empty="Nothing here." />),
    '<div class="table-wrap"><p class="empty">Nothing here.</p></div>',
  );
  assert.match(html(<DataTable columns={COLUMNS} rows={[]} />), /<table><thead>.*<tbody><\/tbody>/);
});

Deno.test("Pager: a labelled navigation with the next link, nothing on the last page", () => {
  assert.equal(html(<Pager href={null} />), "");
  assert.equal(
    html(<Pager href="/console/x?a=1&cursor=c" />),
    '<nav class="pager" aria-label="Pages"><a class="button secondary" href="/console/x?a=1&amp;cursor=c">Next page</a></nav>',
  );
  assert.match(html(<Pager href="/a" label="Older records" />), />Older records<\/a>/);
});

Deno.test("FilterForm and fields: labelled controls, the search landmark unless told otherwise", () => {
  const out = html(
    <FilterForm action="/console/c" submit="Search">
      <SelectField
        id="f-app"
        name="app"
        label="App"
        value="b"
        first="All apps"
        options={[{ value: "a", text: "A" }, { value: "b", text: "B" }]}
      />
      <InputField id="f-e" name="e" label="Entity" value='"q"' />
      <InputField id="f-d" name="d" label="Day" type="date" value="" />
    </FilterForm>,
  );
  assert.equal(
    out,
    '<form method="get" action="/console/c" role="search"><div class="form-row">' +
      '<div class="field"><label for="f-app">App</label><select id="f-app" name="app">' +
      // `selected={false}` leaves hono/jsx's stray space, as the pages always had.
      '<option value="">All apps</option><option value="a" >A</option>' +
      '<option value="b" selected>B</option></select></div>' +
      '<div class="field"><label for="f-e">Entity</label><input id="f-e" name="e" value="&quot;q&quot;"></div>' +
      '<div class="field"><label for="f-d">Day</label><input id="f-d" name="d" type="date" value=""></div>' +
      '<button type="submit" class="secondary">Search</button></div></form>',
  );
  const picker = html(
    <FilterForm action="/w" submit="Show" search={false} firstRow={<span>1</span>}>
      <span>2</span>
    </FilterForm>,
  );
  assert.equal(
    picker,
    '<form method="get" action="/w"><div class="form-row"><span>1</span></div>' +
      '<div class="form-row"><span>2</span><button type="submit" class="secondary">Show</button></div></form>',
  );
});

Deno.test("ListPage: the filter card, then the table card with its pager", () => {
  const out = html(
    <ListPage
      filter={<i>filter</i>}
      table={{ columns: COLUMNS, rows: [], empty: "None." }}
      next="/n"
    />,
  );
  assert.equal(
    out,
    '<section class="card"><i>filter</i></section><section class="card">' +
      '<div class="table-wrap"><p class="empty">None.</p></div>' +
      '<nav class="pager" aria-label="Pages"><a class="button secondary" href="/n">Next page</a></nav></section>',
  );
});
