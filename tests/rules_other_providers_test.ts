/**
 * Rules beyond Gmail and GitHub, end to end against the fakes: Drive hide
 * through googleapis, Microsoft Graph send conditions, Slack and Graph
 * redaction, disabled scopes, and what happens to answers a redaction cannot
 * read (compressed, not JSON): skipped and flagged, or refused in strict mode.
 */
import assert from "node:assert/strict";
import { google } from "googleapis";
import { DRIVE_IDS } from "./helpers/fake_apis/drive.ts";
import { MESSAGE_IDS, PII } from "./helpers/fake_apis/gmail_seed.ts";
import { GRAPH_MESSAGE_IDS } from "./helpers/fake_apis/graph.ts";
import { SLACK_CHANNELS } from "./helpers/fake_apis/slack.ts";
import { envelope, type RulesEnv, rulesEnv } from "./helpers/rules_env.ts";

interface SdkError {
  status?: number;
  response?: { status?: number; data?: { error?: { code?: string } } };
}

function refusedWith(status: number, code: string) {
  return (error: SdkError) => {
    assert.equal(error.status ?? error.response?.status, status);
    assert.equal(error.response?.data?.error?.code, code);
    return true;
  };
}

async function withEnv(
  options: Parameters<typeof rulesEnv>[0],
  run: (env: RulesEnv) => Promise<void>,
) {
  const env = await rulesEnv(options);
  try {
    await run(env);
  } finally {
    await env.close();
  }
}

Deno.test("rules/drive: hide a folder keeps its files out of lists, gets and deletes", async () => {
  await withEnv({
    rules: [{ name: "hide_hr_drive", target: "drive.*", effect: "hide", folders: [DRIVE_IDS.HR] }],
  }, async (env) => {
    const drive = google.drive({ version: "v3", headers: env.headers(), retry: false });
    const options = { rootUrl: `${env.proxy("drive")}/` };

    const listed = await drive.files.list({ pageSize: 100, fields: "files(id,name)" }, options);
    assert.equal(listed.status, 200);
    const ids = (listed.data.files ?? []).map((f) => f.id);
    assert.ok(ids.includes(DRIVE_IDS.HANDBOOK) && ids.includes(DRIVE_IDS.NOTES), ids.join());
    for (const id of [DRIVE_IDS.SALARIES, DRIVE_IDS.REVIEW]) {
      assert.ok(!ids.includes(id), `${id} (in HR) is not listed`);
    }
    const listCall = env.fake.seenBy("drive").findLast((s) => s.path === "/drive/v3/files")!;
    assert.match(listCall.query.get("q") ?? "", /not 'fold_hr' in parents/);

    // A caller's own query is kept, and still narrowed.
    const searched = await drive.files.list(
      { q: "mimeType = 'text/csv'", fields: "files(id)" },
      options,
    );
    const csvs = (searched.data.files ?? []).map((f) => f.id);
    assert.ok(csvs.includes(DRIVE_IDS.CONTACTS) && !csvs.includes(DRIVE_IDS.SALARIES), csvs.join());

    // Queries that would break out of the narrowing never reach Drive.
    const seen = env.fake.seen.length;
    for (const q of ["name contains 'x') or (trashed = false", "name = 'a", "name = 'a\\'"]) {
      const res = await fetch(
        `${env.proxy("drive")}/drive/v3/files?q=${encodeURIComponent(q)}`,
        { headers: env.headers() },
      );
      const body = await res.json();
      assert.equal(res.status, 400, `${q}: ${JSON.stringify(body)}`);
      assert.equal(body.error.code, "SX-HIDE-QUERY", q);
    }
    assert.equal(env.fake.seen.length, seen);

    await assert.rejects(
      drive.files.get({ fileId: DRIVE_IDS.SALARIES }, options),
      refusedWith(404, "SX-FOLDER-HIDDEN"),
    );
    await assert.rejects(
      drive.files.get({ fileId: DRIVE_IDS.SALARIES, alt: "media" }, options),
      refusedWith(404, "SX-FOLDER-HIDDEN"),
    );
    const handbook = await drive.files.get({ fileId: DRIVE_IDS.HANDBOOK }, options);
    assert.equal(handbook.data.id, DRIVE_IDS.HANDBOOK);

    await assert.rejects(
      drive.files.delete({ fileId: DRIVE_IDS.REVIEW }, options),
      refusedWith(404, "SX-FOLDER-HIDDEN"),
    );
    assert.ok(env.fake.state.drive.files.has(DRIVE_IDS.REVIEW), "not deleted");
    assert.deepEqual(env.fake.state.drive.deleted, []);
    assert.ok(
      !env.fake.seenBy("drive").some((s) => s.method === "DELETE"),
      "the delete never reached Drive",
    );
  });
});

Deno.test("rules/microsoft: sendMail recipient and body conditions", async () => {
  await withEnv({
    rules: [
      {
        name: "no_external_mail",
        target: "microsoft.me.sendMail",
        effect: "deny",
        condition: { recipient_domain_not_in: ["acme.com"] },
      },
      {
        name: "no_confidential",
        target: "microsoft.me.sendMail",
        effect: "deny",
        condition: { body_contains: ["confidential"] },
      },
    ],
  }, async (env) => {
    const send = (to: string[], content: string, bcc: string[] = []) =>
      fetch(`${env.proxy("microsoft")}/v1.0/me/sendMail`, {
        method: "POST",
        headers: { ...env.headers(), "content-type": "application/json" },
        body: JSON.stringify({
          message: {
            subject: "Planning",
            body: { contentType: "Text", content },
            toRecipients: to.map((address) => ({ emailAddress: { address } })),
            ...(bcc.length
              ? { bccRecipients: bcc.map((address) => ({ emailAddress: { address } })) }
              : {}),
          },
          saveToSentItems: true,
        }),
      });

    const ok = await send(["bob@acme.com"], "See you Thursday.");
    assert.equal(ok.status, 202);
    await ok.body?.cancel();

    const refusals: [string[], string, string[], string][] = [
      [["eve@evil.com"], "Hi", [], "no_external_mail"],
      [["bob@acme.com"], "Hi", ["eve@evil.com"], "no_external_mail"],
      [["bob@acme.com"], "This is Confidential.", [], "no_confidential"],
    ];
    for (const [to, content, bcc, rule] of refusals) {
      const res = await send(to, content, bcc);
      assert.equal(res.status, 403);
      const error = await envelope(res);
      assert.equal(error.code, "SX-POLICY-DENIED");
      assert.equal(error.details?.rule, rule);
    }
    assert.deepEqual(env.fake.state.microsoft.sent.map((s) => s.to), [["bob@acme.com"]]);
    assert.equal(env.fake.seenBy("microsoft").length, 1, "refused sends never reached Graph");
  });
});

Deno.test("rules/slack and graph: redaction of emails and phone numbers, also gzip-compressed POST answers", async () => {
  await withEnv({
    rules: [{
      name: "redact_contacts",
      target: "*",
      effect: "redact",
      patterns: ["email", "phone", "ssn", "credit_card"],
    }],
  }, async (env) => {
    // As the Slack SDK calls it: a form POST. Slack compresses for clients that accept gzip.
    env.fake.gzip = true;
    for (const method of ["GET", "POST"]) {
      const mark = await env.mark();
      const res = method === "GET"
        ? await fetch(
          `${env.proxy("slack")}/api/conversations.history?channel=${SLACK_CHANNELS.GENERAL}`,
          { headers: env.headers() },
        )
        : await fetch(`${env.proxy("slack")}/api/conversations.history`, {
          method: "POST",
          headers: {
            ...env.headers(),
            "content-type": "application/x-www-form-urlencoded",
            "accept-encoding": "gzip",
          },
          body: `channel=${SLACK_CHANNELS.GENERAL}`,
        });
      assert.equal(res.status, 200, method);
      assert.equal(res.headers.get("x-securix-redaction"), null, method);
      const text = await res.text();
      const json = JSON.parse(text);
      assert.equal(json.ok, true, method);
      assert.ok(!text.includes("dana.lee@contoso.com"), `${method}: email redacted`);
      assert.ok(!text.includes("555-0132"), `${method}: phone redacted`);
      assert.match(text, /\[REDACTED:email\]/);
      assert.match(text, /\[REDACTED:phone\]/);
      const [record] = await env.audit(mark, "proxy.request");
      assert.equal(record.data.decision, "redacted", method);
    }

    const graph = await fetch(
      `${env.proxy("microsoft")}/v1.0/me/messages/${encodeURIComponent(GRAPH_MESSAGE_IDS.PAYROLL)}`,
      { headers: env.headers() },
    );
    assert.equal(graph.status, 200);
    const body = await graph.text();
    assert.ok(!body.includes(PII.ssn) && !body.includes("4111 1111"), body);
    assert.match(body, /\[REDACTED:ssn\]/);
    assert.match(body, /\[REDACTED:credit_card\]/);
  });
});

Deno.test("rules/scopes: a disabled scope answers SX-SCOPE-DISABLED; other operations pass", async () => {
  await withEnv({
    scopes: {
      mail_send: {
        operations: ["gmail.users.messages.send", "microsoft.me.sendMail"],
        enabled: false,
        description: "Sending mail",
      },
      drive_read: { operations: ["drive.files.*"] },
    },
  }, async (env) => {
    const reads = env.credentialReads();
    const res = await fetch(`${env.proxy("gmail")}/gmail/v1/users/me/messages/send`, {
      method: "POST",
      headers: { ...env.headers(), "content-type": "application/json" },
      body: JSON.stringify({ raw: "VG86IGJvYkBhY21lLmNvbQ0KDQpIaQ" }),
    });
    assert.equal(res.status, 403);
    const error = await envelope(res);
    assert.equal(error.code, "SX-SCOPE-DISABLED");
    assert.equal(error.details?.scope, "mail_send");
    assert.ok(error.llmError);
    const graph = await fetch(`${env.proxy("microsoft")}/v1.0/me/sendMail`, {
      method: "POST",
      headers: { ...env.headers(), "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(graph.status, 403);
    assert.equal((await envelope(graph)).code, "SX-SCOPE-DISABLED");
    assert.equal(env.credentialReads(), reads, "no credential read for a disabled scope");
    assert.equal(env.fake.seen.length, 0);

    const list = await fetch(`${env.proxy("gmail")}/gmail/v1/users/me/messages`, {
      headers: env.headers(),
    });
    assert.equal(list.status, 200);
    await list.body?.cancel();
    const files = await fetch(`${env.proxy("drive")}/drive/v3/files`, { headers: env.headers() });
    assert.equal(files.status, 200, "an enabled scope changes nothing");
    await files.body?.cancel();
    assert.equal(env.fake.state.gmail.sent.length, 0);
  });
});

Deno.test("rules/uninspectable: skipped and flagged, or 502 in strict mode", async () => {
  await withEnv({
    rules: [
      { name: "redact_gmail", target: "gmail.*", effect: "redact", patterns: ["ssn"] },
      {
        name: "redact_drive_strict",
        target: "drive.*",
        effect: "redact",
        patterns: ["email"],
        strict: true,
      },
    ],
  }, async (env) => {
    const message = `${env.proxy("gmail")}/gmail/v1/users/me/messages/${MESSAGE_IDS.CARD_ON_FILE}`;
    // An answer compressed with a coding the proxy does not decode.
    env.fake.intercept = async (call, provider) => {
      if (provider === "slack" || !call.path.includes(MESSAGE_IDS.CARD_ON_FILE)) return undefined;
      const plain = new Blob([JSON.stringify({ id: MESSAGE_IDS.CARD_ON_FILE, snippet: PII.ssn })]);
      const bytes = await new Response(
        plain.stream().pipeThrough(new CompressionStream("deflate")),
      ).arrayBuffer();
      return new Response(bytes, {
        headers: {
          "content-type": "application/json; charset=UTF-8",
          "content-encoding": "deflate",
        },
      });
    };
    const mark = await env.mark();
    const passed = await fetch(message, { headers: env.headers() });
    assert.equal(passed.status, 200);
    assert.equal(passed.headers.get("x-securix-redaction"), "skipped");
    assert.equal(passed.headers.get("content-encoding"), "deflate");
    await passed.body?.cancel();
    const [record] = await env.audit(mark, "proxy.request");
    const notes = record.data.notes as { redaction?: string } | undefined;
    assert.match(notes?.redaction ?? "", /^skipped: compressed \(deflate\)/);
    assert.deepEqual(record.data.rules, ["redact_gmail"]);

    const strict = await fetch(message, {
      headers: { ...env.headers(), "x-securix-strict-mode": "true" },
    });
    assert.equal(strict.status, 502);
    const error = await envelope(strict);
    assert.equal(error.code, "SX-UNINSPECTABLE");
    assert.ok(!JSON.stringify(error).includes(PII.ssn));
    const [strictRecord] = await env.audit(mark + 1, "proxy.request");
    assert.equal(strictRecord.data.decision, "denied");
    assert.equal(strictRecord.data.error, "SX-UNINSPECTABLE");

    // Not JSON (a file download), under a rule that sets strict itself.
    env.fake.intercept = undefined;
    const media = await fetch(
      `${env.proxy("drive")}/drive/v3/files/${DRIVE_IDS.NOTES}?alt=media`,
      { headers: env.headers() },
    );
    assert.equal(media.status, 502);
    assert.equal((await envelope(media)).code, "SX-UNINSPECTABLE");
    // JSON from the same provider is inspected as usual under the strict rule.
    const meta = await fetch(`${env.proxy("drive")}/drive/v3/files/${DRIVE_IDS.NOTES}`, {
      headers: env.headers(),
    });
    assert.equal(meta.status, 200);
    await meta.body?.cancel();
  });
});
