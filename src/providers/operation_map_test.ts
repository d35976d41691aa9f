import assert from "node:assert/strict";
import type { OperationEntry } from "./operation.ts";
import {
  buildOperationMap,
  indexEntries,
  matchIndex,
  mostDangerous,
  parseTemplate,
  pathSegments,
  sendVerbs,
  type VisitCounter,
} from "./operation_map.ts";

const ENTRIES: OperationEntry[] = [
  { method: "GET", path: "/v1/items", id: "t.items.list", class: "read" },
  { method: "GET", path: "/v1/items/{id}", id: "t.items.get", class: "read" },
  { method: "POST", path: "/v1/items/send", id: "t.items.send", class: "send" },
  { method: "POST", path: "/v1/items/{id}", id: "t.items.update", class: "write" },
  { method: "POST", path: "/v1/items/{id}:archive", id: "t.items.archive", class: "delete" },
  { method: "DELETE", path: "/v1/items/{id}", id: "t.items.delete", class: "delete" },
  { method: "GET", path: "/v1/files/{path+}", id: "t.files.get", class: "read" },
  { method: "PUT", path: "/v1/root:/{path+}:/content", id: "t.content.put", class: "write" },
  { method: "POST", path: "/batch", id: "t.batch", class: "send", multiplexed: true },
];

const map = buildOperationMap("t", ENTRIES);
const id = (method: string, path: string) => map.resolve({ method, path, query: "" }).id;

Deno.test("resolve: literal before placeholder, placeholders take one segment", () => {
  assert.equal(id("GET", "/v1/items"), "t.items.list");
  assert.equal(id("GET", "/v1/items/42"), "t.items.get");
  assert.equal(id("POST", "/v1/items/send"), "t.items.send");
  assert.equal(id("POST", "/v1/items/other"), "t.items.update");
  assert.equal(id("GET", "/v1/items/42/extra"), "t.unknown");
  assert.equal(id("GET", "/v1"), "t.unknown");
});

Deno.test("resolve: encodings, case, slashes cannot dodge a literal", () => {
  for (
    const path of [
      "/v1/items/%73end",
      "/v1/items/%73%65%6E%64",
      "/v1/items/SEND",
      "/V1/Items/Send",
      "/v1/items/send/",
      "//v1//items///send//",
    ]
  ) {
    assert.equal(id("POST", path), "t.items.send", path);
  }
  assert.equal(id("post", "/v1/items/send"), "t.items.send", "method case");
});

Deno.test("resolve: undecodable or slash-bearing segments match no literal", () => {
  assert.equal(
    id("POST", "/v1/items/%E0%A4%A"),
    "t.items.update",
    "bad escape: a placeholder still",
  );
  assert.equal(
    id("POST", "/v%ZZ1/items/send"),
    "t.unknown",
    "bad escape where a literal is needed",
  );
  assert.equal(id("POST", "/v1%2Fitems/send"), "t.unknown", "%2F never joins segments");
  assert.equal(id("GET", "/v1/items/a%2Fb"), "t.items.get", "placeholder takes an encoded slash");
  assert.equal(id("GET", "/v1/items/.."), "t.unknown", "dot segment matches nothing");
  assert.equal(id("GET", "/v1/items/%2e%2E"), "t.unknown", "encoded dot segment too");
});

Deno.test("resolve: :suffix placeholders are preferred over plain ones and need a name", () => {
  assert.equal(id("POST", "/v1/items/abc:archive"), "t.items.archive");
  assert.equal(id("POST", "/v1/items/abc%3AARCHIVE"), "t.items.archive");
  assert.equal(id("POST", "/v1/items/:archive"), "t.items.update", "empty name: plain placeholder");
  assert.equal(id("POST", "/v1/items/abc:other"), "t.items.update");
});

Deno.test("resolve: multi-segment placeholders", () => {
  assert.equal(id("GET", "/v1/files/a/b/c.txt"), "t.files.get");
  assert.equal(id("GET", "/v1/files"), "t.unknown", "{path+} needs one segment at least");
  assert.equal(id("GET", "/v1/files/a/../b"), "t.unknown", "never across a dot segment");
  assert.equal(id("PUT", "/v1/root:/a/b/c.txt:/content"), "t.content.put");
  assert.equal(id("PUT", "/v1/root:/a/b/c.txt/content"), "t.unknown", "the : suffix is required");
});

Deno.test("resolve: unknown calls get the method's class; HEAD uses GET entries", () => {
  assert.deepEqual(map.resolve({ method: "GET", path: "/nope", query: "" }), {
    id: "t.unknown",
    class: "read",
  });
  assert.equal(map.resolve({ method: "DELETE", path: "/nope", query: "" }).class, "delete");
  assert.equal(map.resolve({ method: "PATCH", path: "/nope", query: "" }).class, "write");
  assert.equal(id("HEAD", "/v1/items/1"), "t.items.get");
  assert.deepEqual(map.resolve({ method: "POST", path: "/batch", query: "" }), {
    id: "t.batch",
    class: "send",
    multiplexed: true,
  });
});

Deno.test("fallback and unknownClass hooks run in order after the entries", () => {
  const hooked = buildOperationMap("h", ENTRIES.slice(0, 1), {
    fallback: (call) => call.path === "/special" ? { id: "h.special", class: "read" } : null,
    unknownClass: sendVerbs(["send", "sendmail"]),
  });
  const r = (method: string, path: string) => hooked.resolve({ method, path, query: "" });
  assert.equal(r("GET", "/special").id, "h.special");
  assert.deepEqual(r("POST", "/x/abc:send"), { id: "h.unknown", class: "send" });
  assert.deepEqual(r("POST", "/me/microsoft.graph.sendMail"), { id: "h.unknown", class: "send" });
  assert.deepEqual(r("POST", "/me/sender"), { id: "h.unknown", class: "write" });
  assert.deepEqual(r("GET", "/x/send"), { id: "h.unknown", class: "read" }, "GET is no send");
});

Deno.test("parseTemplate refuses what cannot be a template", () => {
  for (
    const [path, why] of [
      ["v1/items", /start with \//],
      ["/v1//items", /empty segment/],
      ["/v1/items/", /empty segment/],
      ["/v1/../items", /dot segment/],
      ["/v1/{a}{b}", /two placeholders/],
      ["/v1/x{a}", /alone in its segment/],
      ["/v1/{a}x", /must start with ":"/],
      ["/v1/items?x=1", /without query/],
    ] as const
  ) {
    assert.throws(() => parseTemplate(path), why, path);
  }
  assert.deepEqual(parseTemplate("/"), []);
  assert.deepEqual(parseTemplate("/A/{id}:Send/{rest+}"), [
    { kind: "literal", text: "a" },
    { kind: "param", name: "id", suffix: ":send", many: false },
    { kind: "param", name: "rest", suffix: "", many: true },
  ]);
});

Deno.test("indexEntries refuses two entries for one method and template shape", () => {
  assert.throws(
    () =>
      indexEntries([
        { method: "GET", path: "/a/{x}", id: "p.one", class: "read" },
        { method: "get", path: "/A/{y}", id: "p.two", class: "read" },
      ]),
    /GET \/A\/\{y\} \(p\.two\) overlaps GET \/a\/\{x\}/,
  );
});

Deno.test("the index bounds the work: 100 entries, visits proportional to the path", () => {
  const entries: OperationEntry[] = [];
  for (let i = 0; i < 100; i++) {
    entries.push({
      method: i % 2 ? "GET" : "POST",
      path: `/api/v1/res${i}/{id}/sub${i % 7}`,
      id: `b.res${i}`,
      class: "read",
    });
  }
  const index = indexEntries(entries);
  for (const path of ["/api/v1/res99/7/sub1", "/api/v1/res98/7/nope", "/zzz/a/b/c/d"]) {
    const counter: VisitCounter = { visits: 0 };
    matchIndex(index, path.includes("99") ? "GET" : "POST", pathSegments(path), counter);
    assert.ok(counter.visits <= 6, `${path}: ${counter.visits} nodes visited`);
  }
  const counter: VisitCounter = { visits: 0 };
  assert.equal(
    matchIndex(index, "GET", pathSegments("/api/v1/res99/7/sub1"), counter)?.id,
    "b.res99",
  );
});

Deno.test("mostDangerous ranks send > delete > write > read", () => {
  assert.equal(mostDangerous([]), "read");
  assert.equal(mostDangerous(["read", "write"]), "write");
  assert.equal(mostDangerous(["delete", "write"]), "delete");
  assert.equal(mostDangerous(["delete", "send", "read"]), "send");
});

Deno.test("entries are listed as given and frozen", () => {
  assert.equal(map.provider, "t");
  assert.deepEqual(map.entries, ENTRIES);
  assert.ok(Object.isFrozen(map.entries));
  assert.equal(map.peekBytes, undefined);
});
