import assert from "node:assert/strict";
import type { Exchange } from "../proxy/exchange.ts";
import { LabelCache } from "./hide/gmail_hide.ts";
import { rulesFilter } from "./rules_filter.ts";
import { ruleSet } from "./test_rules.ts";

function exchange(operation: string, cls: string): Exchange {
  return {
    route: { provider: "gmail", host: "gmail.api.localhost" },
    method: "POST",
    path: "/gmail/v1/users/me/messages/send",
    query: "",
    requestHeaders: new Headers({ "content-type": "application/json" }),
    caller: {
      app: { id: "app_1", name: "demo", origins: [], createdAt: 0 },
      agentId: "agent-1",
      entityId: "alice",
      connection: { id: "conn_1" },
    },
    operation: { id: operation, class: cls },
    decision: "allowed",
    rules: [],
    notes: {},
    readsAnswer: false,
  } as unknown as Exchange;
}

const RULES = [
  { name: "no_deletes", target: "gmail.*", classes: ["delete"], effect: "deny" },
  {
    name: "no_secrets",
    target: "gmail.users.messages.send",
    effect: "deny",
    condition: { body_contains: ["secret"] },
  },
];

function filterFor() {
  return rulesFilter({
    set: ruleSet(RULES),
    maxInspectBytes: 1024,
    labels: new LabelCache(Date.now),
  })!;
}

Deno.test("rules filter: a call decided without its body gets its verdict at once, not a promise", () => {
  const filter = filterFor();
  const noBody = () => Promise.reject(new Error("the body is not read"));
  const allowed = filter.request!(exchange("gmail.users.messages.list", "read"), noBody);
  assert.ok(!(allowed instanceof Promise), "a call no rule concerns costs no promise");
  assert.deepEqual(allowed, { action: "continue", done: true });
  const ex = exchange("gmail.users.messages.delete", "delete");
  const denied = filter.request!(ex, noBody);
  assert.ok(!(denied instanceof Promise));
  assert.equal(denied.action, "deny");
  assert.deepEqual(ex.rules, ["no_deletes"]);
});

Deno.test("rules filter: a send condition still reads the body and refuses what it matches", async () => {
  const filter = filterFor();
  // Gmail's send carries the message as base64url RFC 822 in `raw`.
  const body = (message: string) => () =>
    Promise.resolve(new TextEncoder().encode(JSON.stringify({ raw: btoa(message) })));
  const sending = filter.request!(
    exchange("gmail.users.messages.send", "send"),
    body("To: bob@example.com\r\n\r\nthe secret plan"),
  );
  assert.ok(sending instanceof Promise, "the body is read first");
  assert.equal((await sending).action, "deny");
  const harmless = await filter.request!(
    exchange("gmail.users.messages.send", "send"),
    body("To: bob@example.com\r\n\r\nlunch at noon"),
  );
  assert.deepEqual(harmless, { action: "continue", done: true });
});
