import assert from "node:assert/strict";
import { Command } from "commander";
import { encodeCursor } from "../connections/page_cursor.ts";
import { SecurixError } from "../errors/securix_error.ts";
import { captureIo } from "../../tests/helpers/capture_io.ts";
import { pageAfter, pagedListOptions, pageLimit, printList } from "./list_output.ts";

const LIST = {
  rows: [{ id: "a1", name: "shop", origins: ["x", "y"] }, { id: "a22", name: null }],
  columns: ["id", "name", "origins"],
  empty: "No apps",
};

Deno.test("printList: aligned columns with upper-case headers, '-' for nothing", () => {
  const { io, out, err } = captureIo();
  printList(io, false, LIST);
  assert.deepEqual(out, ["ID   NAME  ORIGINS", "a1   shop  x,y", "a22  -     -"]);
  assert.deepEqual(err, []);
});

Deno.test("printList: the empty line instead of a table; [] under --json", () => {
  const table = captureIo();
  printList(table.io, undefined, { ...LIST, rows: [] });
  assert.deepEqual(table.out, ["No apps"]);
  const json = captureIo();
  printList(json.io, true, { ...LIST, rows: [] });
  assert.deepEqual(json.out, ["[]"]);
});

Deno.test("printList --json: the rows, or the JSON shape given instead of them", () => {
  const rows = captureIo();
  printList(rows.io, true, LIST);
  assert.deepEqual(JSON.parse(rows.out.join("\n")), LIST.rows);
  const shaped = captureIo();
  printList(shaped.io, true, { ...LIST, json: [{ apiShape: true }] });
  assert.deepEqual(JSON.parse(shaped.out.join("\n")), [{ apiShape: true }]);
});

Deno.test("pageLimit: a whole number 1–10000, anything else refused as SX-INVALID-INPUT", () => {
  assert.equal(pageLimit("1"), 1);
  assert.equal(pageLimit("10000"), 10_000);
  for (const bad of ["0", "10001", "1.5", "abc", "-3", ""]) {
    assert.throws(
      () => pageLimit(bad),
      (e) => e instanceof SecurixError && e.code === "SX-INVALID-INPUT",
      bad,
    );
  }
});

Deno.test("pageAfter: no cursor is the first page; a cursor no listing returned is refused", () => {
  assert.equal(pageAfter(undefined), null);
  const at = { createdAt: 1_700_000_000_000, id: "conn_abc" };
  assert.deepEqual(pageAfter(encodeCursor(at)), at);
  assert.throws(() => pageAfter("not-a-cursor"), (e) => e instanceof SecurixError);
});

Deno.test("printList: a paged list's next cursor on stderr, only when there is one", () => {
  const last = captureIo();
  printList(last.io, false, { ...LIST, more: { what: "connections", next: null } });
  assert.deepEqual(last.err, []);
  const at = { createdAt: 5, id: "conn_x" };
  for (const json of [false, true]) {
    const { io, out, err } = captureIo();
    printList(io, json, { ...LIST, more: { what: "connections", next: at } });
    assert.deepEqual(err, [`More connections: add --cursor ${encodeCursor(at)}`]);
    assert.ok(!out.join("\n").includes(encodeCursor(at)), "stdout stays the list");
  }
});

Deno.test("pagedListOptions: --json, --limit (default 100), --cursor", () => {
  const command = pagedListOptions(new Command("list").exitOverride());
  command.parse(["--json", "--cursor", "abc"], { from: "user" });
  assert.deepEqual(command.opts(), { json: true, limit: "100", cursor: "abc" });
});
