import assert from "node:assert/strict";
import { LabelCache } from "./gmail_hide.ts";
import {
  filterAnswerBytes,
  type HideContext,
  hideReach,
  hidesAnything,
  narrowQuery,
  narrowQueryResolved,
  targetHidden,
} from "./hide_plan.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

function ctx(answers: Record<string, unknown>): HideContext {
  return {
    policy: { labels: ["HR"], folders: ["F1"] },
    lookup: (p) => Promise.resolve(p in answers ? answers[p] : null),
    labels: new LabelCache(() => 0),
    connectionId: "c",
  };
}

Deno.test("hideReach: known operations, neutral providers, uncovered unknowns", () => {
  assert.deepEqual(hideReach("gmail.users.messages.list"), {
    query: true,
    answer: false,
    covered: true,
  });
  assert.deepEqual(hideReach("drive.files.list"), {
    query: true,
    answer: true,
    covered: true,
    listed: "files",
  });
  // Lists whose answer the filter guards; single items were looked up before forwarding.
  assert.equal(hideReach("gmail.users.threads.list").listed, "threads");
  assert.equal(hideReach("gmail.users.labels.list").listed, "labels");
  assert.equal(hideReach("gmail.users.messages.get").listed, undefined);
  assert.equal(hideReach("drive.files.get").listed, undefined);
  assert.deepEqual(hideReach("gmail.users.messages.send"), {
    query: false,
    answer: false,
    covered: true,
  });
  assert.equal(hideReach("gmail.users.messages.batchModify").covered, false);
  assert.equal(hideReach("gmail.users.history.list").covered, false);
  assert.equal(hideReach("gmail.unknown").covered, false);
  assert.equal(hideReach("drive.changes.list").covered, false);
  assert.equal(hideReach("github.repos.get").covered, true);
});

Deno.test("narrowQuery and targetHidden dispatch by provider", async () => {
  const c = ctx({
    "/gmail/v1/users/me/labels": { labels: [{ id: "Label_1", name: "HR" }] },
    "/gmail/v1/users/me/messages/m1?format=minimal": { id: "m1", labelIds: ["Label_1"] },
    "/drive/v3/files/d1?fields=id,parents&supportsAllDrives=true": { id: "d1", parents: ["F1"] },
  });
  assert.match(narrowQuery("gmail.users.messages.list", "", c.policy), /label%3A%22hr%22/);
  assert.match(narrowQuery("drive.files.list", "", c.policy), /not\+%27F1%27\+in\+parents/);
  assert.equal(narrowQuery("github.search.code", "?q=x", c.policy), "?q=x");
  assert.match(await narrowQueryResolved("drive.files.list", "/drive/v3/files", "", c), /F1/);
  assert.equal(
    await targetHidden("gmail.users.messages.get", "/gmail/v1/users/me/messages/m1", "", c),
    true,
  );
  assert.equal(await targetHidden("drive.files.get", "/drive/v3/files/d1", "", c), true);
  assert.equal(await targetHidden("github.repos.get", "/repos/a/b", "", c), false);
});

Deno.test("filterAnswerBytes: replace when items dropped, hidden for hidden items, null otherwise", async () => {
  const c = ctx({ "/gmail/v1/users/me/labels": { labels: [{ id: "Label_1", name: "HR" }] } });
  const list = enc(
    JSON.stringify({ files: [{ id: "a", parents: ["F1"] }, { id: "b", parents: ["r"] }] }),
  );
  const out = await filterAnswerBytes("drive.files.list", "/drive/v3/files", list, c);
  assert.ok(out && out.action === "replace");
  assert.equal(out.removed, 1);
  assert.deepEqual(JSON.parse(dec(out.body)), { files: [{ id: "b", parents: ["r"] }] });
  const clean = enc(JSON.stringify({ files: [{ id: "b", parents: ["r"] }] }));
  assert.equal(await filterAnswerBytes("drive.files.list", "/drive/v3/files", clean, c), null);
  const msg = enc(JSON.stringify({ id: "m1", labelIds: ["Label_1"] }));
  assert.deepEqual(
    await filterAnswerBytes("gmail.users.messages.get", "/gmail/v1/users/me/messages/m1", msg, c),
    { action: "hidden" },
  );
  // Unreadable bytes are reported; the caller refuses them for a list only.
  assert.deepEqual(
    await filterAnswerBytes("drive.files.get", "/drive/v3/files/x", enc("%PDF-1.7"), c),
    { action: "unreadable", reason: "not JSON" },
  );
  assert.deepEqual(
    await filterAnswerBytes("drive.files.list", "/drive/v3/files", enc(`)]}'\n{"files":[]}`), c),
    { action: "unreadable", reason: "not JSON" },
  );
  assert.deepEqual(
    await filterAnswerBytes("drive.files.list", "/drive/v3/files", enc(`{"files":{}}`), c),
    { action: "unreadable", reason: '"files" is not a list' },
  );
  assert.deepEqual(
    await filterAnswerBytes("drive.files.list", "/drive/v3/files", enc(`[]`), c),
    { action: "unreadable", reason: "not a JSON object" },
  );
  // No list at all is an empty one.
  assert.equal(
    await filterAnswerBytes("drive.files.list", "/drive/v3/files", enc(`{"kind":"x"}`), c),
    null,
  );
});

Deno.test("hidesAnything: only what the policy hides of the operation's own provider", () => {
  assert.equal(hidesAnything("gmail.users.labels.list", { labels: [], folders: ["F1"] }), false);
  assert.equal(hidesAnything("drive.files.list", { labels: [], folders: ["F1"] }), true);
  assert.equal(hidesAnything("gmail.users.labels.list", { labels: ["HR"], folders: [] }), true);
  assert.equal(hidesAnything("drive.files.list", { labels: ["HR"], folders: [] }), false);
});
