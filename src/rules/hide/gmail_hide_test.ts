import assert from "node:assert/strict";
import { SecurixError } from "../../errors/securix_error.ts";
import { GMAIL_OPERATIONS } from "../../providers/operations/google.ts";
import {
  balancedGmailQuery,
  GMAIL_ITEM_KINDS,
  GMAIL_REACH,
  gmailFilterAnswer,
  gmailNarrowQuery,
  gmailNarrowQueryResolved,
  gmailTargetHidden,
  hiddenLabels,
  LabelCache,
  labelTerm,
} from "./gmail_hide.ts";
import type { HideContext } from "./hide_plan.ts";

const LABELS = {
  labels: [
    { id: "INBOX", name: "INBOX", type: "system" },
    { id: "SENT", name: "SENT", type: "system" },
    { id: "Label_12", name: "HR", type: "user" },
    { id: "Label_13", name: "HR/Payroll", type: "user" },
    { id: "Label_14", name: "HRM", type: "user" },
    { id: "Label_20", name: "Legal Matters", type: "user" },
  ],
};

/** A fake Gmail: answers by exact path, counts calls. */
function fakeGmail(answers: Record<string, unknown>) {
  const calls: string[] = [];
  const lookup = (p: string) => {
    calls.push(p);
    return Promise.resolve(p in answers ? answers[p] : null);
  };
  return { calls, lookup };
}

function ctx(
  answers: Record<string, unknown>,
  labels = ["HR", "Legal Matters"],
  cache = new LabelCache(() => 0),
) {
  const gmail = fakeGmail({ "/gmail/v1/users/me/labels": LABELS, ...answers });
  const c: HideContext = {
    policy: { labels, folders: [] },
    lookup: gmail.lookup,
    labels: cache,
    connectionId: "conn-1",
  };
  return { ctx: c, calls: gmail.calls };
}

const q = (query: string) => new URLSearchParams(query.slice(1)).get("q");

Deno.test("gmailNarrowQuery: adds -label terms before the caller's grouped query, keeps other params", () => {
  const out = gmailNarrowQuery(
    "gmail.users.messages.list",
    "?maxResults=10&q=from%3Aboss+subject%3A%22Q3+plan%22&labelIds=INBOX&labelIds=UNREAD&pageToken=a%2Fb",
    ["HR", "Legal Matters"],
  );
  const params = new URLSearchParams(out.slice(1));
  assert.equal(params.get("q"), '-label:"hr" -label:"legal-matters" (from:boss subject:"Q3 plan")');
  assert.deepEqual(params.getAll("labelIds"), ["INBOX", "UNREAD"]);
  assert.equal(params.get("maxResults"), "10");
  assert.equal(params.get("pageToken"), "a/b");
});

Deno.test("gmailNarrowQuery: no q, threads and drafts lists, other operations untouched", () => {
  assert.equal(q(gmailNarrowQuery("gmail.users.threads.list", "", ["HR"])), '-label:"hr"');
  assert.equal(q(gmailNarrowQuery("gmail.users.drafts.list", "?q=", ["HR"])), '-label:"hr"');
  assert.equal(
    gmailNarrowQuery("gmail.users.messages.get", "?format=full", ["HR"]),
    "?format=full",
  );
  assert.equal(gmailNarrowQuery("gmail.users.messages.list", "?q=x", []), "?q=x");
});

Deno.test("gmailNarrowQuery: a query that could escape the narrowing is refused", () => {
  for (const bad of ["x) OR (label:hr", '"unterminated', 'a\\"b', "{a b", "a}", "(a"]) {
    assert.throws(
      () => gmailNarrowQuery("gmail.users.messages.list", `?q=${encodeURIComponent(bad)}`, ["HR"]),
      (e) => e instanceof SecurixError && e.code === "SX-HIDE-QUERY" && e.status === 400,
      bad,
    );
  }
  assert.throws(
    () => gmailNarrowQuery("gmail.users.messages.list", "?q=a&q=b", ["HR"]),
    SecurixError,
  );
  assert.ok(balancedGmailQuery('{from:a from:b} ("x)" OR y)'));
});

Deno.test("labelTerm: Gmail's own form, nothing that can break out of the quotes", () => {
  assert.equal(labelTerm("HR/Payroll"), "hr-payroll");
  assert.equal(labelTerm('Say "hi" & (go) {x}|y\\z'), "say--hi-----go---x--y-z");
});

Deno.test("hiddenLabels: names (any case), sublabels, and system labels by id", () => {
  const all = LABELS.labels;
  const hidden = hiddenLabels(all, ["hr", "SENT"]);
  assert.deepEqual([...hidden.ids].sort(), ["Label_12", "Label_13", "SENT"]);
  assert.ok(!hidden.ids.has("Label_14"), "HRM is not HR");
  assert.deepEqual(hidden.names, ["hr", "SENT", "HR", "HR/Payroll"]);
});

Deno.test("LabelCache: one lookup per mailbox for the TTL, shared by concurrent calls; failures not cached", async () => {
  let now = 0;
  const cache = new LabelCache(() => now, 1_000);
  const gmail = fakeGmail({ "/gmail/v1/users/me/labels": LABELS });
  const [a, b] = await Promise.all([
    cache.labels("c1", "me", gmail.lookup),
    cache.labels("c1", "me", gmail.lookup),
  ]);
  assert.equal(a?.length, 6);
  assert.equal(b, a);
  await cache.labels("c1", "me", gmail.lookup);
  assert.equal(gmail.calls.length, 1);
  await cache.labels("c2", "me", gmail.lookup);
  assert.equal(gmail.calls.length, 2, "another connection is another mailbox");
  now = 1_000;
  await cache.labels("c1", "me", gmail.lookup);
  assert.equal(gmail.calls.length, 3, "expired");
  const failing = fakeGmail({});
  assert.equal(await cache.labels("c3", "ann@x.com", failing.lookup), null);
  assert.equal(await cache.labels("c3", "ann@x.com", failing.lookup), null);
  assert.deepEqual(failing.calls, [
    "/gmail/v1/users/ann@x.com/labels",
    "/gmail/v1/users/ann@x.com/labels",
  ]);
});

Deno.test("gmailNarrowQueryResolved: sublabels are named in q too", async () => {
  const { ctx: c } = ctx({}, ["HR"]);
  const out = await gmailNarrowQueryResolved(
    "gmail.users.messages.list",
    "/gmail/v1/users/me/messages",
    "?q=invoice",
    c,
  );
  assert.equal(q(out), '-label:"hr" -label:"hr-payroll" (invoice)');
});

Deno.test("gmailTargetHidden: messages by their labelIds, via a minimal lookup with the given userId", async () => {
  const { ctx: c, calls } = ctx({
    "/gmail/v1/users/me/messages/18c1?format=minimal": {
      id: "18c1",
      labelIds: ["INBOX", "Label_13"],
    },
    "/gmail/v1/users/me/messages/18c2?format=minimal": {
      id: "18c2",
      labelIds: ["INBOX", "Label_14"],
    },
  });
  assert.equal(
    await gmailTargetHidden("gmail.users.messages.get", "/gmail/v1/users/me/messages/18c1", c),
    true,
    "sublabel of HR",
  );
  assert.equal(
    await gmailTargetHidden("gmail.users.messages.get", "/gmail/v1/users/me/messages/18c2", c),
    false,
  );
  assert.equal(
    await gmailTargetHidden(
      "gmail.users.messages.attachments.get",
      "/gmail/v1/users/me/messages/18c1/attachments/ANGj",
      c,
    ),
    true,
  );
  assert.equal(
    await gmailTargetHidden(
      "gmail.users.messages.trash",
      "/gmail/v1/users/me/messages/18c1/trash",
      c,
    ),
    true,
  );
  assert.equal(calls.filter((p) => p.endsWith("/labels")).length, 1, "labels cached");
  assert.equal(
    await gmailTargetHidden("gmail.users.messages.send", "/gmail/v1/users/me/messages/send", c),
    false,
  );
  assert.equal(
    await gmailTargetHidden("gmail.users.messages.list", "/gmail/v1/users/me/messages", c),
    false,
  );
  assert.equal(
    await gmailTargetHidden(
      "gmail.users.messages.batchModify",
      "/gmail/v1/users/me/messages/batchModify",
      c,
    ),
    false,
  );
});

Deno.test("gmailTargetHidden: a thread is hidden when any message is; drafts by their message; labels by id", async () => {
  const { ctx: c } = ctx({
    "/gmail/v1/users/me/threads/t1?format=minimal": {
      id: "t1",
      messages: [{ id: "a", labelIds: ["INBOX"] }, { id: "b", labelIds: ["Label_20"] }],
    },
    "/gmail/v1/users/me/threads/t2?format=minimal": {
      id: "t2",
      messages: [{ id: "c", labelIds: ["INBOX"] }],
    },
    "/gmail/v1/users/me/drafts/r-1?format=minimal": {
      id: "r-1",
      message: { id: "d", labelIds: ["DRAFT", "Label_12"] },
    },
  });
  assert.equal(
    await gmailTargetHidden("gmail.users.threads.get", "/gmail/v1/users/me/threads/t1", c),
    true,
  );
  assert.equal(
    await gmailTargetHidden(
      "gmail.users.threads.modify",
      "/gmail/v1/users/me/threads/t1/modify",
      c,
    ),
    true,
  );
  assert.equal(
    await gmailTargetHidden("gmail.users.threads.get", "/gmail/v1/users/me/threads/t2", c),
    false,
  );
  assert.equal(
    await gmailTargetHidden("gmail.users.drafts.get", "/gmail/v1/users/me/drafts/r-1", c),
    true,
  );
  assert.equal(
    await gmailTargetHidden("gmail.users.labels.get", "/gmail/v1/users/me/labels/Label_12", c),
    true,
  );
  assert.equal(
    await gmailTargetHidden("gmail.users.labels.get", "/gmail/v1/users/me/labels/Label_14", c),
    false,
  );
});

Deno.test("gmailTargetHidden: failed lookups and odd ids are hidden (deny), no policy asks nothing", async () => {
  const { ctx: c } = ctx({});
  assert.equal(
    await gmailTargetHidden("gmail.users.messages.get", "/gmail/v1/users/me/messages/gone", c),
    true,
  );
  assert.equal(
    await gmailTargetHidden("gmail.users.messages.get", "/gmail/v1/users/me/messages/..", c),
    true,
  );
  assert.equal(
    await gmailTargetHidden("gmail.users.messages.get", "/gmail/v1/users/me/messages/a%2Fb", c),
    true,
  );
  const noLabels = {
    ...c,
    lookup: () => Promise.resolve(null),
    labels: new LabelCache(() => 0),
  };
  assert.equal(
    await gmailTargetHidden(
      "gmail.users.messages.get",
      "/gmail/v1/users/me/messages/18c1",
      noLabels,
    ),
    true,
  );
  const { ctx: none, calls } = ctx({}, []);
  assert.equal(
    await gmailTargetHidden("gmail.users.messages.get", "/gmail/v1/users/me/messages/18c1", none),
    false,
  );
  assert.equal(calls.length, 0);
  const throwing = {
    ...c,
    lookup: () => Promise.reject(new Error("boom")),
    labels: new LabelCache(() => 0),
  };
  assert.equal(
    await gmailTargetHidden(
      "gmail.users.messages.get",
      "/gmail/v1/users/me/messages/18c1",
      throwing,
    ),
    true,
  );
});

Deno.test("gmailTargetHidden: an item operation whose id cannot be read from the path as sent is hidden, without a lookup", async () => {
  const { ctx: c, calls } = ctx({
    "/gmail/v1/users/me/messages/18c2?format=minimal": { id: "18c2", labelIds: ["INBOX"] },
  });
  for (
    const [operation, path] of [
      ["gmail.users.messages.get", "/gmail/v1/users/me//messages/18c2"],
      ["gmail.users.messages.get", "/gmail/v1/users/me/MESSAGES/18c2"],
      ["gmail.users.messages.get", "/gmail/v1/users/me/%6Dessages/18c2"],
      ["gmail.users.messages.get", "/gmail/v1//users/me/messages/18c2"],
      ["gmail.users.messages.get", "/gmail/v1/users//me/messages/18c2"],
      ["gmail.users.messages.get", "/gmail/v1/users/me/messages/send"],
      ["gmail.users.threads.get", "/gmail/v1/users/me/Threads/t1"],
      ["gmail.users.messages.attachments.get", "/gmail/v1/users/me//messages/18c2/attachments/a"],
      ["gmail.users.messages.trash", "/gmail/v1/users/me/messages//18c2/trash"],
      ["gmail.users.labels.delete", "/GMAIL/v1/users/me/labels/Label_14"],
      // The id read is of another kind than the operation's.
      ["gmail.users.threads.get", "/gmail/v1/users/me/messages/18c2"],
    ]
  ) assert.equal(await gmailTargetHidden(operation, path, c), true, `${operation} ${path}`);
  assert.equal(calls.filter((p) => p.includes("18c2")).length, 0);
  // Not an item operation: nothing to look up, nothing refused.
  assert.equal(
    await gmailTargetHidden("gmail.users.messages.list", "/gmail/v1/users/me//messages", c),
    false,
  );
  assert.equal(
    await gmailTargetHidden("gmail.users.messages.get", "/gmail/v1/users/me/messages/18c2/", c),
    false,
  );
});

Deno.test("gmailFilterAnswer: messages.get, threads.get and drafts.get hidden; labels.list filtered", async () => {
  const { ctx: c } = ctx({});
  const path = "/gmail/v1/users/me/messages/18c1";
  const message = {
    id: "18c1",
    threadId: "t",
    labelIds: ["Label_12"],
    payload: { body: { data: "c2VjcmV0" } },
  };
  assert.deepEqual(await gmailFilterAnswer("gmail.users.messages.get", path, message, c), {
    action: "hidden",
  });
  assert.equal(
    await gmailFilterAnswer(
      "gmail.users.messages.get",
      path,
      { ...message, labelIds: ["INBOX"] },
      c,
    ),
    null,
  );
  const thread = {
    id: "t",
    messages: [{ id: "1", labelIds: ["INBOX"] }, { id: "2", labelIds: ["Label_20"] }],
  };
  assert.deepEqual(
    await gmailFilterAnswer("gmail.users.threads.get", "/gmail/v1/users/me/threads/t", thread, c),
    {
      action: "hidden",
    },
  );
  const draft = { id: "r", message: { id: "3", labelIds: ["DRAFT", "Label_13"] } };
  assert.deepEqual(
    await gmailFilterAnswer("gmail.users.drafts.get", "/gmail/v1/users/me/drafts/r", draft, c),
    {
      action: "hidden",
    },
  );
  const listed = await gmailFilterAnswer(
    "gmail.users.labels.list",
    "/gmail/v1/users/me/labels",
    LABELS,
    c,
  );
  assert.ok(listed && listed.action === "filtered");
  assert.equal(listed.removed, 3);
  assert.deepEqual(
    (listed.json as typeof LABELS).labels.map((l) => l.name),
    ["INBOX", "SENT", "HRM"],
  );
  assert.equal(
    await gmailFilterAnswer("gmail.users.messages.list", "/gmail/v1/users/me/messages", {
      messages: [{ id: "18c1" }],
    }, c),
    null,
    "list answers carry ids only",
  );
});

Deno.test("GMAIL_ITEM_KINDS: exactly the covered operations whose path names an item by id, by the word the id follows", () => {
  const itemPath =
    /^(?:\/resumable)?(?:\/upload)?\/gmail\/v1\/users\/\{userId\}\/(messages|threads|drafts|labels)\/\{[^}]+\}/;
  const seen = new Set<string>();
  for (const entry of GMAIL_OPERATIONS) {
    if (!GMAIL_REACH.has(entry.id)) continue;
    const kind = itemPath.exec(entry.path)?.[1];
    assert.equal(
      GMAIL_ITEM_KINDS.get(entry.id),
      kind,
      `${entry.method} ${entry.path} (${entry.id})`,
    );
    if (kind !== undefined) seen.add(entry.id);
  }
  assert.deepEqual(
    [...GMAIL_ITEM_KINDS.keys()].filter((id) => !seen.has(id)),
    [],
    "not in the map",
  );
  assert.equal(seen.size, 18);
});
