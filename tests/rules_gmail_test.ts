/**
 * Rules on Gmail, end to end: unmodified `googleapis` through the appliance's
 * proxy against the fake Gmail API, under draft-only, hide, redact and send
 * condition rules. Every refusal is checked on both sides: what the SDK
 * throws, and that the fake never saw (or never acted on) the call.
 */
import assert from "node:assert/strict";
import { google } from "googleapis";
import { MESSAGE_IDS, PII, THREAD_IDS } from "./helpers/fake_apis/gmail_seed.ts";
import {
  envelope,
  fromBase64Url,
  type RulesEnv,
  rulesEnv,
  toBase64Url,
} from "./helpers/rules_env.ts";

const DRAFT_ONLY_ERROR = "I can only create drafts. I saved a draft for you to review in Gmail.";
const HR_IDS = [MESSAGE_IDS.HR_PAYROLL, MESSAGE_IDS.HR_BENEFITS, MESSAGE_IDS.LAUNCH_HR_REPLY];

interface SdkError {
  status?: number;
  response?: { status?: number; data?: { error?: { code?: string; llmError?: string } } };
}

function gmailFor(env: RulesEnv, caller?: { agent?: string; app?: string }) {
  const client = google.gmail({ version: "v1", headers: env.headers(caller), retry: false });
  const options = { rootUrl: `${env.proxy("gmail")}/` };
  return { users: client.users, options };
}

/** The SDK's rejection carries this status and Securix code (and llmError, when given). */
function refusedWith(status: number, code: string, llmError?: string) {
  return (error: SdkError) => {
    assert.equal(error.status ?? error.response?.status, status);
    assert.equal(error.response?.data?.error?.code, code);
    if (llmError !== undefined) assert.equal(error.response?.data?.error?.llmError, llmError);
    return true;
  };
}

function rfc822(to: string, body = "See you Thursday.", extra = ""): string {
  return [
    "From: Alice Martin <alice@acme.com>",
    `To: ${to}`,
    ...(extra ? [extra] : []),
    "Subject: Planning",
    "MIME-Version: 1.0",
    'Content-Type: text/plain; charset="UTF-8"',
    "",
    body,
    "",
  ].join("\r\n");
}

Deno.test("rules/gmail: draft-only lets googleapis create a draft and refuses messages.send", async () => {
  const env = await rulesEnv({
    rules: [{
      name: "gmail_draft_only",
      target: "gmail.users.messages.send",
      effect: "deny",
      llm_error: DRAFT_ONLY_ERROR,
    }],
  });
  try {
    const { users, options } = gmailFor(env);
    const raw = toBase64Url(rfc822("Bob Stone <bob@acme.com>"));

    // A denied call is refused before any credential is read.
    const readsBefore = env.credentialReads();
    const mark = await env.mark();
    await assert.rejects(
      users.messages.send({ userId: "me", requestBody: { raw } }, options),
      refusedWith(403, "SX-POLICY-DENIED", DRAFT_ONLY_ERROR),
    );
    assert.equal(env.credentialReads(), readsBefore, "no credential loaded for a denied call");
    assert.equal(env.fake.seenBy("gmail").length, 0, "the send never reached Gmail");

    const draft = await users.drafts.create(
      { userId: "me", requestBody: { message: { raw } } },
      options,
    );
    assert.equal(draft.status, 200);
    assert.match(draft.data.id ?? "", /^r-/);
    assert.equal(env.fake.state.gmail.drafts.size, 1);
    assert.ok(env.credentialReads() > readsBefore, "an allowed call does read the credential");

    // The upload form of the same operation (googleapis' `media`).
    await assert.rejects(
      users.messages.send({
        userId: "me",
        media: { mimeType: "message/rfc822", body: rfc822("bob@acme.com") },
      }, options),
      refusedWith(403, "SX-POLICY-DENIED", DRAFT_ONLY_ERROR),
    );
    assert.deepEqual(env.fake.state.gmail.sent, [], "nothing was sent");
    assert.deepEqual(
      env.fake.seenBy("gmail").map((s) => `${s.method} ${s.path}`),
      ["POST /gmail/v1/users/me/drafts"],
    );

    const audit = await env.audit(mark, "proxy.request");
    assert.deepEqual(
      audit.map((r) => [r.data.operation, r.data.decision, r.data.status, r.data.rules]),
      [
        ["gmail.users.messages.send", "denied", 403, ["gmail_draft_only"]],
        ["gmail.users.drafts.create", "allowed", 200, undefined],
        ["gmail.users.messages.send", "denied", 403, ["gmail_draft_only"]],
      ],
    );
  } finally {
    await env.close();
  }
});

Deno.test("rules/gmail: hide HR keeps HR messages out of lists, gets, threads and attachments", async () => {
  const env = await rulesEnv({
    rules: [{ name: "hide_hr", target: "gmail.*", effect: "hide", labels: ["HR"] }],
  });
  try {
    const { users, options } = gmailFor(env);

    const listed = await users.messages.list({ userId: "me", maxResults: 100 }, options);
    assert.equal(listed.status, 200);
    const ids = (listed.data.messages ?? []).map((m) => m.id);
    assert.ok(ids.includes(MESSAGE_IDS.PLANNING), "visible messages are still listed");
    assert.ok(ids.includes(MESSAGE_IDS.LAUNCH));
    for (const id of HR_IDS) assert.ok(!ids.includes(id), `${id} (HR) is not listed`);
    const listCall = env.fake.seenBy("gmail").findLast((s) =>
      s.path === "/gmail/v1/users/me/messages"
    )!;
    assert.match(listCall.query.get("q") ?? "", /-label:"hr"/, "narrowed at the provider");

    // Even a caller asking for the label gets nothing of it.
    const asked = await users.messages.list({ userId: "me", q: "label:HR" }, options);
    assert.deepEqual(asked.data.messages ?? [], []);

    await assert.rejects(
      users.messages.get({ userId: "me", id: MESSAGE_IDS.HR_PAYROLL }, options),
      refusedWith(404, "SX-FOLDER-HIDDEN"),
    );
    // A visible message still reads.
    const planning = await users.messages.get({ userId: "me", id: MESSAGE_IDS.PLANNING }, options);
    assert.equal(planning.data.id, MESSAGE_IDS.PLANNING);

    // A thread with one HR message is hidden whole, by design.
    await assert.rejects(
      users.threads.get({ userId: "me", id: THREAD_IDS.LAUNCH }, options),
      refusedWith(404, "SX-FOLDER-HIDDEN"),
    );
    const threads = await users.threads.list({ userId: "me", maxResults: 100 }, options);
    const threadIds = (threads.data.threads ?? []).map((t) => t.id);
    // HR-only threads are gone; a mixed thread is still listed (its get is
    // refused above): the documented limit of narrowing a thread search.
    assert.ok(
      !threadIds.includes(MESSAGE_IDS.HR_PAYROLL) && !threadIds.includes(MESSAGE_IDS.HR_BENEFITS),
    );
    assert.ok(threadIds.includes(MESSAGE_IDS.PLANNING));
    // A mixed thread's snippet could be its hidden message's text: listed threads carry none.
    for (const t of threads.data.threads ?? []) assert.equal(t.snippet ?? "", "", t.id ?? "");
    assert.ok(!JSON.stringify(threads.data).includes("HR sign-off"));

    const attachmentId = `ANGjdJ8${MESSAGE_IDS.HR_PAYROLL.slice(-3)}0wXk3vQ_payroll2024pdf`;
    await assert.rejects(
      users.messages.attachments.get(
        { userId: "me", messageId: MESSAGE_IDS.HR_PAYROLL, id: attachmentId },
        options,
      ),
      refusedWith(404, "SX-FOLDER-HIDDEN"),
    );

    // Queries that would break out of the narrowing never reach Gmail.
    const before = env.fake.seen.length;
    for (const q of ["label:HR) OR (x", 'subject:"payroll', "{label:HR"]) {
      const res = await fetch(
        `${env.proxy("gmail")}/gmail/v1/users/me/messages?q=${encodeURIComponent(q)}`,
        { headers: env.headers() },
      );
      assert.equal(res.status, 400, q);
      assert.equal((await envelope(res)).code, "SX-HIDE-QUERY", q);
    }
    assert.equal(env.fake.seen.length, before, "refused queries never reached the fake");

    const mark = await env.mark();
    await assert.rejects(
      users.messages.get({ userId: "me", id: MESSAGE_IDS.HR_BENEFITS }, options),
      refusedWith(404, "SX-FOLDER-HIDDEN"),
    );
    const [record] = await env.audit(mark, "proxy.request");
    assert.equal(record.data.decision, "hidden", JSON.stringify(record.data));
    assert.deepEqual(record.data.rules, ["hide_hr"]);
  } finally {
    await env.close();
  }
});

Deno.test("rules/gmail: redact replaces the SSN and card in base64url bodies and the snippet", async () => {
  const env = await rulesEnv({
    rules: [{
      name: "redact_pii",
      target: "google.*",
      effect: "redact",
      patterns: ["ssn", "credit_card"],
    }],
  });
  try {
    // As Google's front end does for clients that accept gzip (googleapis does).
    env.fake.gzip = true;
    const { users, options } = gmailFor(env);
    const mark = await env.mark();
    const got = await users.messages.get(
      { userId: "me", id: MESSAGE_IDS.CARD_ON_FILE, format: "full" },
      options,
    );
    assert.equal(got.status, 200);
    const parts = got.data.payload?.parts ?? [];
    assert.equal(parts.length, 2, "text/plain and text/html");
    for (const part of parts) {
      const text = fromBase64Url(part.body?.data ?? "");
      assert.match(text, /\[REDACTED:ssn\]/, part.mimeType ?? "");
      assert.match(text, /\[REDACTED:credit_card\]/, part.mimeType ?? "");
      assert.ok(!text.includes(PII.ssn) && !text.includes(PII.card), part.mimeType ?? "");
      assert.ok(text.includes(PII.iban), "patterns not asked for are left alone");
    }
    const snippet = got.data.snippet ?? "";
    assert.ok(!snippet.includes(PII.card) && !snippet.includes(PII.ssn), snippet);
    assert.match(snippet, /\[REDACTED:credit_card\]/);

    // Framing: the rewritten answer's length is announced correctly.
    const res = await fetch(
      `${env.proxy("gmail")}/gmail/v1/users/me/messages/${MESSAGE_IDS.CARD_ON_FILE}`,
      { headers: env.headers() },
    );
    const bytes = new Uint8Array(await res.arrayBuffer());
    const length = res.headers.get("content-length");
    if (length !== null) assert.equal(Number(length), bytes.length);
    assert.ok(!new TextDecoder().decode(bytes).includes("4111"));

    // raw format: the whole RFC 822 text is decoded, redacted and re-encoded.
    const raw = await users.messages.get(
      { userId: "me", id: MESSAGE_IDS.CARD_ON_FILE, format: "raw" },
      options,
    );
    const rawText = fromBase64Url(raw.data.raw ?? "");
    assert.ok(rawText.includes("[REDACTED:ssn]") && !rawText.includes(PII.ssn));

    const records = await env.audit(mark, "proxy.request");
    assert.equal(records.length, 3);
    const first = records[0].data as {
      decision: string;
      notes?: { redactions?: Record<string, number> };
      rules?: string[];
    };
    assert.equal(first.decision, "redacted");
    assert.deepEqual(first.rules, ["redact_pii"]);
    const counts = first.notes?.redactions ?? {};
    assert.ok((counts.ssn ?? 0) >= 2 && (counts.credit_card ?? 0) >= 2, JSON.stringify(counts));
    const dump = await env.auditDump();
    assert.ok(!dump.includes(PII.ssn), "the audit trail holds no SSN");
    // Not a bare "4111": hex hashes in the rows may contain it by chance.
    for (const card of [PII.card, PII.card.replace(/ /g, ""), "4111 1111", "4111-1111"]) {
      assert.ok(!dump.includes(card), "the audit trail holds no card number");
    }
  } finally {
    await env.close();
  }
});

Deno.test("rules/gmail: send conditions check recipients and body of the raw message", async () => {
  const env = await rulesEnv({
    rules: [
      {
        name: "no_external_mail",
        target: "gmail.users.messages.send",
        effect: "deny",
        llm_error: "Mail may only go to acme.com addresses.",
        condition: { recipient_domain_not_in: ["acme.com"] },
      },
      {
        name: "no_confidential",
        target: "gmail.users.messages.send",
        effect: "deny",
        condition: { body_contains: ["confidential"] },
      },
    ],
  });
  try {
    const { users, options } = gmailFor(env);
    const send = (text: string) =>
      users.messages.send({ userId: "me", requestBody: { raw: toBase64Url(text) } }, options);

    const ok = await send(rfc822("Bob <bob@acme.com>", "Lunch?", "Cc: carol@acme.com"));
    assert.equal(ok.status, 200);
    assert.deepEqual(env.fake.state.gmail.sent.map((m) => m.to), [["bob@acme.com"]]);

    for (
      const text of [
        rfc822("Eve <eve@evil.com>"),
        rfc822("bob@acme.com", "Lunch?", "Bcc: eve@evil.com"),
        rfc822("bob@acme.com, eve@evil.com"),
      ]
    ) {
      await assert.rejects(
        send(text),
        refusedWith(403, "SX-POLICY-DENIED", "Mail may only go to acme.com addresses."),
      );
    }
    // The upload form is parsed the same way.
    await assert.rejects(
      users.messages.send({
        userId: "me",
        media: { mimeType: "message/rfc822", body: rfc822("eve@evil.com") },
      }, options),
      refusedWith(403, "SX-POLICY-DENIED"),
    );
    await assert.rejects(
      send(rfc822("bob@acme.com", "This is CONFIDENTIAL, do not share.")),
      (error: SdkError) => {
        assert.equal(error.response?.data?.error?.code, "SX-POLICY-DENIED");
        return true;
      },
    );
    assert.equal(env.fake.state.gmail.sent.length, 1, "only the internal mail left");
    assert.equal(env.fake.seenBy("gmail").length, 1, "refused sends never reached Gmail");
  } finally {
    await env.close();
  }
});

Deno.test("rules/gmail: a send condition on the send class also holds drafts.send, whose recipients the call does not carry", async () => {
  const env = await rulesEnv({
    rules: [{
      name: "no_external_sends",
      target: "gmail.*",
      classes: ["send"],
      effect: "deny",
      condition: { recipient_domain_not_in: ["acme.com"] },
    }],
  });
  try {
    const { users, options } = gmailFor(env);
    // Writing a draft is not sending it.
    const draft = await users.drafts.create(
      { userId: "me", requestBody: { message: { raw: toBase64Url(rfc822("eve@evil.com")) } } },
      options,
    );
    assert.equal(draft.status, 200);
    // drafts.send names the draft only: recipients unknown, so refused.
    await assert.rejects(
      users.drafts.send({ userId: "me", requestBody: { id: draft.data.id! } }, options),
      refusedWith(403, "SX-POLICY-DENIED"),
    );
    assert.deepEqual(env.fake.state.gmail.sent, []);
    assert.equal(env.fake.state.gmail.drafts.size, 1, "the draft is still there");
  } finally {
    await env.close();
  }
});

Deno.test("rules/gmail: hide and redact compose; of two denies the most specific one's llm_error is returned", async () => {
  const env = await rulesEnv({
    rules: [
      {
        name: "no_sends",
        target: "gmail.*",
        classes: ["send"],
        effect: "deny",
        llm_error: "No sends.",
      },
      {
        name: "gmail_draft_only",
        target: "gmail.users.messages.send",
        effect: "deny",
        llm_error: DRAFT_ONLY_ERROR,
      },
      { name: "hide_hr", target: "gmail.*", effect: "hide", labels: ["HR"] },
      { name: "redact_pii", target: "google.*", effect: "redact", patterns: ["ssn"] },
    ],
  });
  try {
    const { users, options } = gmailFor(env);
    const mark = await env.mark();
    await assert.rejects(
      users.messages.send(
        { userId: "me", requestBody: { raw: toBase64Url(rfc822("b@acme.com")) } },
        options,
      ),
      refusedWith(403, "SX-POLICY-DENIED", DRAFT_ONLY_ERROR),
    );
    await assert.rejects(
      users.messages.get({ userId: "me", id: MESSAGE_IDS.HR_PAYROLL }, options),
      refusedWith(404, "SX-FOLDER-HIDDEN"),
    );
    const card = await users.messages.get({ userId: "me", id: MESSAGE_IDS.CARD_ON_FILE }, options);
    assert.ok(!JSON.stringify(card.data).includes(PII.ssn));
    assert.ok(card.data.snippet?.includes("[REDACTED:ssn]"));
    const records = await env.audit(mark, "proxy.request");
    // `rules` names every rule that matched the call, in evaluation order.
    assert.deepEqual(records.map((r) => [r.data.decision, r.data.rules]), [
      ["denied", ["no_sends", "gmail_draft_only", "hide_hr", "redact_pii"]],
      ["hidden", ["hide_hr", "redact_pii"]],
      ["redacted", ["hide_hr", "redact_pii"]],
    ]);
  } finally {
    await env.close();
  }
});
