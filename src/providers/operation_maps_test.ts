import assert from "node:assert/strict";
import { catalogNames } from "./catalog.ts";
import { OPERATION_CLASSES } from "./operation.ts";
import { catalogOperationProviders, operationMapFor } from "./operation_maps.ts";

/** A concrete path for a template: every placeholder filled with a plausible value. */
function sample(template: string): string {
  return template.replace(/\{[^}+]+\+\}/g, "dir/file.txt").replace(/\{[^}]+\}/g, "x1");
}

Deno.test("every catalog provider has a map, and only those", () => {
  assert.deepEqual(catalogOperationProviders().sort(), catalogNames().sort());
});

Deno.test("every catalog entry is reachable: its own sample path resolves to it", () => {
  for (const provider of catalogOperationProviders()) {
    const map = operationMapFor(provider);
    assert.equal(map.provider, provider);
    assert.ok(map.entries.length >= 2, provider);
    for (const entry of map.entries) {
      assert.ok(entry.id.startsWith(`${provider}.`), `${entry.id} names its provider`);
      assert.ok(OPERATION_CLASSES.includes(entry.class), entry.id);
      const got = map.resolve({ method: entry.method, path: sample(entry.path), query: "" });
      assert.equal(got.id, entry.id, `${provider}: ${entry.method} ${entry.path}`);
      assert.equal(got.class, entry.class, `${provider}: ${entry.method} ${entry.path}`);
    }
  }
});

Deno.test("the brief's operations exist with their classes", () => {
  const expected: Record<string, string> = {
    "gmail.users.messages.send": "send",
    "gmail.users.drafts.create": "write",
    "gmail.users.messages.trash": "write",
    "gmail.users.messages.batchDelete": "delete",
    "drive.files.delete": "delete",
    "calendar.events.insert": "write",
    "github.repos.delete": "delete",
    "github.issues.create": "write",
    "slack.chat.postMessage": "send",
    "microsoft.me.sendMail": "send",
    "notion.pages.create": "write",
    "dropbox.files.delete_v2": "delete",
  };
  const all = new Map(
    catalogOperationProviders().flatMap((p) => operationMapFor(p).entries.map((e) => [e.id, e])),
  );
  for (const [id, cls] of Object.entries(expected)) {
    assert.equal(all.get(id)?.class, cls, id);
  }
});

Deno.test("custom providers: declared entries, then <name>.unknown; catalog maps are shared", () => {
  const map = operationMapFor("corp", [
    { method: "POST", path: "/v1/mail/send", id: "corp.mail.send", class: "send" },
  ]);
  assert.equal(
    map.resolve({ method: "POST", path: "/v1/MAIL/send/", query: "" }).id,
    "corp.mail.send",
  );
  assert.deepEqual(map.resolve({ method: "DELETE", path: "/v1/x", query: "" }), {
    id: "corp.unknown",
    class: "delete",
  });
  assert.deepEqual(operationMapFor("bare").resolve({ method: "GET", path: "/", query: "" }), {
    id: "bare.unknown",
    class: "read",
  });
  assert.equal(operationMapFor("gmail"), operationMapFor("gmail"), "built once");
  assert.equal(
    operationMapFor("gmail", [{ method: "GET", path: "/x", id: "gmail.x", class: "read" }]),
    operationMapFor("gmail"),
    "custom entries do not change a catalog map",
  );
});
