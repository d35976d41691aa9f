/**
 * Every answer names its request (`securix-request-id`), errors in their
 * body too, and a proxied call's audit record and the log line of a failure
 * name the same id, so an app developer can hand the operator one string.
 */
import assert from "node:assert/strict";
import { REQUEST_ID_PATTERN } from "../src/identifiers/request_id.ts";
import { envelope, rulesEnv } from "./helpers/rules_env.ts";

const DENY_SEND = { name: "no_sending", target: "gmail.users.messages.send", effect: "deny" };

/** The answer's id, checked to be ours in form and, for an error, the same in the body. */
async function idOf(res: Response, error: boolean): Promise<string> {
  const id = res.headers.get("securix-request-id");
  assert.ok(id !== null, `no securix-request-id on ${res.status} ${res.url}`);
  assert.match(id, REQUEST_ID_PATTERN);
  if (error) assert.equal((await envelope(res)).requestId, id, "the body names the header's id");
  else await res.body?.cancel();
  return id;
}

Deno.test("request ids: proxy refusals, provider 5xx, /v1 errors, internal errors and pages carry one", async () => {
  const logs: string[] = [];
  const env = await rulesEnv({
    rules: [DENY_SEND],
    runtime: { log: (line) => logs.push(line) },
  });
  try {
    const gmail = `${env.proxy("gmail")}/gmail/v1/users/me/messages`;
    const ids = new Set<string>();
    const from = await env.mark();

    // A rule's refusal: the same error object for every caller, a fresh id each time.
    const refused = await fetch(`${gmail}/send`, {
      method: "POST",
      headers: {
        ...env.headers(),
        "content-type": "application/json",
        "x-request-id": "not kept: it has spaces",
      },
      body: JSON.stringify({ raw: "eA" }),
    });
    assert.equal(refused.status, 403);
    const refusedId = await idOf(refused, true);
    ids.add(refusedId);

    // The provider's own 5xx passes through as is, with our id beside the provider's headers.
    env.fake.intercept = () =>
      new Response('{"error":"backend"}', {
        status: 503,
        headers: { "content-type": "application/json", "securix-request-id": "req_forged" },
      });
    // A caller's own ids: its trace id is kept beside ours, its "securix-request-id" is not ours.
    const forged = "req_0000000000000000000001";
    const failed = await fetch(gmail, {
      headers: { ...env.headers(), "x-request-id": "trace-abc", "securix-request-id": forged },
    });
    env.fake.intercept = undefined;
    assert.equal(failed.status, 503);
    const upstream = env.fake.seenBy("gmail").at(-1)!.headers;
    assert.equal(upstream.get("x-request-id"), "trace-abc", "the caller's trace id goes on");
    assert.equal(upstream.get("securix-request-id"), null, "no securix-* header goes upstream");
    assert.deepEqual(await failed.clone().json(), { error: "backend" });
    const failedId = await idOf(failed, false);
    assert.notEqual(failedId, forged);
    ids.add(failedId);

    // A credential the vault cannot decrypt: SX-UNAVAILABLE, and the log line names the id.
    await env.temp.appliance.database.client.execute({
      sql: "UPDATE vault_records SET ciphertext = zeroblob(64) WHERE id = ?",
      args: ["cred_conn_demo_alice_drive"],
    });
    const broken = await fetch(`${env.proxy("drive")}/drive/v3/files`, {
      headers: env.headers(),
    });
    assert.equal(broken.status, 503);
    const brokenId = await idOf(broken, true);
    ids.add(brokenId);
    assert.ok(
      logs.some((line) => line.startsWith(`proxy: ${brokenId}: `)),
      `no log line names ${brokenId}:\n${logs.join("\n")}`,
    );

    // The /v1 API: a refusal of its own, and an answer that is not an error.
    const unkeyed = await fetch(`${env.base}/v1/connections`);
    assert.equal(unkeyed.status, 401);
    ids.add(await idOf(unkeyed, true));
    const listed = await fetch(`${env.base}/v1/rules`, {
      headers: { "securix-api-key": env.apiKey() },
    });
    assert.equal(listed.status, 200);
    ids.add(await idOf(listed, false));
    const missing = await fetch(`${env.base}/v1/no-such-route`, {
      headers: { "securix-api-key": env.apiKey() },
    });
    assert.equal(missing.status, 404);
    ids.add(await idOf(missing, true));

    // Pages and the edge's own refusals.
    const page = await fetch(`${env.base}/device`);
    ids.add(await idOf(page, false));
    const unknownProvider = await fetch(`${env.base}/proxy/nosuch/x`, { headers: env.headers() });
    ids.add(await idOf(unknownProvider, true));
    assert.equal(ids.size, 8, "every answer has its own id");

    const records = await env.audit(from, "proxy.request");
    const byId = (id: string) => records.filter((r) => r.data.requestId === id);
    assert.equal(byId(refusedId).length, 1, "the refusal's record names its id");
    assert.equal(byId(refusedId)[0].data.error, "SX-POLICY-DENIED");
    assert.equal(
      "clientRequestId" in byId(refusedId)[0].data,
      false,
      "an invalid trace id is dropped",
    );
    assert.equal(byId(failedId).length, 1, "the 5xx call's record names its id");
    assert.equal(byId(failedId)[0].data.status, 503);
    assert.equal(byId(failedId)[0].data.clientRequestId, "trace-abc");
    assert.equal(records.some((r) => r.data.requestId === forged), false);
    assert.equal(byId(brokenId).length, 1);
    assert.equal(byId(brokenId)[0].data.error, "SX-UNAVAILABLE");
  } finally {
    await env.close();
  }
});
