import assert from "node:assert/strict";
import type { Operation } from "../providers/operation.ts";
import { type CallContext, evaluate, NO_EVALUATION } from "./evaluate.ts";
import { type EntityChoices, withEntityChoices } from "./entity_choices.ts";
import { compileRules } from "./rule_set.ts";

const SEND: Operation = { id: "gmail.users.messages.send", class: "send" };
const LIST: Operation = { id: "gmail.users.messages.list", class: "read" };
const FILES: Operation = { id: "drive.files.list", class: "read" };

function call(operation: Operation): CallContext {
  const provider = operation.id.split(".")[0];
  return {
    appName: "demo",
    agentId: "agent-1",
    entityId: "alice",
    provider,
    family: "google",
    operation,
    method: "GET",
    path: "/",
  };
}

const set = compileRules([], {
  mail_send: { enabled: true, operations: ["google.users.messages.send"] },
});

const choices = (over: Partial<EntityChoices> = {}): EntityChoices => ({
  scopesOff: new Set(),
  labels: [],
  folders: [],
  ...over,
});

Deno.test("entity choices: a scope the user switched off refuses its operations (family alias too)", () => {
  const off = choices({ scopesOff: new Set(["mail_send"]) });
  const ev = withEntityChoices(evaluate(set, call(SEND)), set, call(SEND), off);
  assert.equal(ev.scopeDisabled, "mail_send");
  // Other operations are untouched: the very same evaluation comes back.
  assert.equal(withEntityChoices(NO_EVALUATION, set, call(LIST), off), NO_EVALUATION);
  // A scope name the config does not have switches nothing off.
  const unknown = choices({ scopesOff: new Set(["nope"]) });
  assert.equal(withEntityChoices(NO_EVALUATION, set, call(SEND), unknown), NO_EVALUATION);
});

Deno.test("entity choices: hidden labels join Gmail calls, hidden folders Drive calls, as hide rules", () => {
  const mine = choices({ labels: ["HR"], folders: ["fold_1"] });
  const gmail = withEntityChoices(NO_EVALUATION, set, call(LIST), mine);
  assert.deepEqual(gmail.hide.map((r) => [r.effect, r.labels, r.folders]), [["hide", ["HR"], []]]);
  assert.deepEqual(gmail.matched, ["portal:alice"]);
  const drive = withEntityChoices(NO_EVALUATION, set, call(FILES), mine);
  assert.deepEqual(drive.hide.map((r) => r.folders), [["fold_1"]]);
  const slack: Operation = { id: "slack.chat.postMessage", class: "send" };
  assert.equal(withEntityChoices(NO_EVALUATION, set, call(slack), mine), NO_EVALUATION);
});

Deno.test("entity choices: a multiplexed call (a batch) is in every switched-off scope of its provider", () => {
  const off = choices({ scopesOff: new Set(["mail_send"]) });
  const batch: Operation = { id: "gmail.batch", class: "send", multiplexed: true };
  const ev = withEntityChoices(evaluate(set, call(batch)), set, call(batch), off);
  assert.equal(ev.scopeDisabled, "mail_send");
  // Not another family's: a Slack call cannot carry a Google send.
  const slack: Operation = { id: "slack.batch", class: "send", multiplexed: true };
  const other = { ...call(slack), family: "slack" };
  assert.equal(withEntityChoices(NO_EVALUATION, set, other, off), NO_EVALUATION);
});
