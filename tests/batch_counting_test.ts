/**
 * Batches (Google `/batch`, Graph `$batch`) carry many calls in one request.
 * A limit rule counts every call a batch carries, and the mass_delete
 * detector counts every delete in it: one request of 20 deletes must not
 * pass as one call (a limit) or as no delete at all (the batch is classed a
 * send). A batch whose calls cannot be read is refused by the detector.
 */
import assert from "node:assert/strict";
import { envelope, rulesEnv } from "./helpers/rules_env.ts";

const BOUNDARY = "batch_foo_bar";

/** A Google batch body: one `application/http` part per call. */
function googleBatch(calls: string[]): { body: string; type: string } {
  const parts = calls.map((line, i) =>
    `--${BOUNDARY}\r\nContent-Type: application/http\r\nContent-ID: <item${i}>\r\n\r\n${line}\r\n\r\n`
  );
  return {
    body: parts.join("") + `--${BOUNDARY}--\r\n`,
    type: `multipart/mixed; boundary=${BOUNDARY}`,
  };
}

function graphBatch(n: number, method = "DELETE"): string {
  const requests = Array.from({ length: n }, (_, i) => ({
    id: String(i + 1),
    method,
    url: `/me/messages/m${i}`,
  }));
  return JSON.stringify({ requests });
}

Deno.test("batch counting: a limit rule takes one token per call a Google /batch or Graph $batch carries", async () => {
  const env = await rulesEnv({
    rules: [
      {
        name: "gmail_msgs",
        target: "gmail.users.messages.*",
        effect: "limit",
        rate: "10/min",
        per: "agent",
      },
      { name: "graph", target: "microsoft.*", effect: "limit", rate: "10/min", per: "agent" },
    ],
    raw: { security: { mass_delete: { enabled: false } } },
  });
  try {
    const batch = googleBatch(
      Array.from({ length: 10 }, (_, i) => `DELETE /gmail/v1/users/me/messages/id${i}`),
    );
    const first = await fetch(`${env.proxy("gmail")}/batch/gmail/v1`, {
      method: "POST",
      headers: { ...env.headers(), "content-type": batch.type },
      body: batch.body,
    });
    await first.body?.cancel();
    assert.notEqual(first.status, 429, "10 calls under a 10/min burst pass");
    assert.match(first.headers.get("ratelimit") ?? "", /^"gmail_msgs";r=0;t=\d+$/);
    const next = await fetch(`${env.proxy("gmail")}/gmail/v1/users/me/messages`, {
      headers: env.headers(),
    });
    assert.equal(next.status, 429, "the batch spent the 10 tokens");
    assert.equal((await envelope(next)).code, "SX-RATE-LIMIT");

    // Graph: 11 calls in one $batch exceed a burst of 10 and are refused as a whole.
    const over = await fetch(`${env.proxy("microsoft")}/v1.0/$batch`, {
      method: "POST",
      headers: { ...env.headers(), "content-type": "application/json" },
      body: graphBatch(11, "GET"),
    });
    assert.equal(over.status, 429);
    await over.body?.cancel();
    // Refused whole: its tokens went back, so 10 single calls still pass.
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`${env.proxy("microsoft")}/v1.0/me/messages`, {
        headers: env.headers(),
      });
      await res.body?.cancel();
      assert.notEqual(res.status, 429, `call ${i + 1}`);
    }
  } finally {
    await env.close();
  }
});

Deno.test("batch counting: mass_delete counts the deletes a batch carries and refuses the batch that crosses the threshold; an unreadable batch is refused", async () => {
  const env = await rulesEnv({
    raw: {
      security: { mass_delete: { threshold: 5, window: "60s" } },
      proxy: { max_inspect_bytes: 4096 },
    },
    entities: ["alice", "bob"],
  });
  try {
    const seenBefore = env.fake.seenBy("microsoft").length;
    // 20 deletes in one Graph $batch (a "send"-class call): the detector must see 20, not 0.
    const graph = await fetch(`${env.proxy("microsoft")}/v1.0/$batch`, {
      method: "POST",
      headers: { ...env.headers(), "content-type": "application/json" },
      body: graphBatch(20),
    });
    assert.equal(graph.status, 403);
    const error = await envelope(graph);
    assert.equal(error.code, "SX-403");
    assert.equal(error.details?.detector, "mass_delete");
    assert.equal(error.details?.count, 20);
    assert.equal(env.fake.seenBy("microsoft").length, seenBefore, "the provider never saw it");

    // Gmail: 3 deletes pass, a second batch of 3 would make 6 > 5 and is refused.
    const three = googleBatch(
      [
        `DELETE /gmail/v1/users/me/messages/id0 HTTP/1.1`,
        `DELETE /gmail/v1/users/me/messages/id1`,
        // An inner method override is honoured by Google: a delete too.
        `POST /gmail/v1/users/me/messages/id2 HTTP/1.1\r\nX-HTTP-Method-Override: DELETE`,
      ],
    );
    const send = () =>
      fetch(`${env.proxy("gmail")}/batch/gmail/v1`, {
        method: "POST",
        headers: { ...env.headers(), "content-type": three.type },
        body: three.body,
      });
    const ok = await send();
    await ok.body?.cancel();
    assert.notEqual(ok.status, 403);
    const refused = await send();
    assert.equal(refused.status, 403);
    assert.equal((await envelope(refused)).details?.count, 6);

    // Gmail messages.batchDelete: one call deleting every id it names.
    const ids = (n: number) =>
      JSON.stringify({ ids: Array.from({ length: n }, (_, i) => `b${i}`) });
    const bulk = (n: number) =>
      fetch(`${env.proxy("gmail")}/gmail/v1/users/me/messages/batchDelete`, {
        method: "POST",
        headers: { ...env.headers({ entity: "bob" }), "content-type": "application/json" },
        body: ids(n),
      });
    const five = await bulk(5);
    await five.body?.cancel();
    assert.notEqual(five.status, 403);
    const sixth = await bulk(1);
    assert.equal(sixth.status, 403);
    assert.equal((await envelope(sixth)).details?.count, 6);

    // GraphQL: one document running deleteIssue six times under aliases makes six deletes.
    const aliases = Array.from(
      { length: 6 },
      (_, i) => `d${i}: deleteIssue(input: {issueId: "I${i}"}) { clientMutationId }`,
    );
    const gql = await fetch(`${env.proxy("github")}/graphql`, {
      method: "POST",
      headers: { ...env.headers(), "content-type": "application/json" },
      body: JSON.stringify({ query: `mutation { ${aliases.join(" ")} }` }),
    });
    assert.equal(gql.status, 403);
    assert.equal((await envelope(gql)).details?.count, 6);

    // Padded past max_inspect_bytes, a batch's deletes cannot be counted: refused.
    const padded = googleBatch([
      `DELETE /gmail/v1/users/me/messages/x`,
      `POST /gmail/v1/users/me/messages/x/modify\r\nContent-Type: application/json\r\n\r\n{"a":"${
        "a".repeat(8000)
      }"}`,
    ]);
    const big = await fetch(`${env.proxy("drive")}/batch/drive/v3`, {
      method: "POST",
      headers: { ...env.headers(), "content-type": padded.type },
      body: padded.body,
    });
    assert.equal(big.status, 400);
    assert.equal((await envelope(big)).code, "SX-INVALID-INPUT");
  } finally {
    await env.close();
  }
});
