/**
 * The fake provider APIs hold up against the official clients, unmodified:
 * googleapis (Gmail v1, Drive v3) with an OAuth2 client, @octokit/rest, and
 * plain fetch for Slack and Microsoft Graph, pointed straight at the fakes
 * (no appliance). If these pass, an end-to-end rule test that puts the
 * appliance in between fails only because of the appliance.
 */
import assert from "node:assert/strict";
import { google } from "googleapis";
import { Octokit } from "@octokit/rest";
import { type FakeApis, startFakeApis } from "./helpers/fake_provider_apis.ts";
import { LABEL_IDS, MESSAGE_IDS, PII, THREAD_IDS } from "./helpers/fake_apis/gmail_seed.ts";
import { DRIVE_IDS } from "./helpers/fake_apis/drive.ts";
import { GITHUB_REPOS } from "./helpers/fake_apis/github.ts";
import { SLACK_CHANNELS } from "./helpers/fake_apis/slack.ts";
import { fromBase64urlText } from "./helpers/fake_apis/google_wire.ts";

const TOKEN = "ya29.fake-access-token";

async function withFakes(
  run: (fake: FakeApis) => Promise<void>,
  options: Parameters<typeof startFakeApis>[0] = { token: TOKEN },
) {
  const fake = await startFakeApis(options);
  try {
    await run(fake);
  } finally {
    await fake.close();
  }
}

function googleAuth(token = TOKEN) {
  const auth = new google.auth.OAuth2();
  auth.setCredentials({ access_token: token });
  return auth;
}

/** Octokit logs every failed request; the tests expect some. */
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

function gmailClient(fake: FakeApis, token = TOKEN) {
  return google.gmail({
    version: "v1",
    rootUrl: `${fake.url}/`,
    auth: googleAuth(token),
    retry: false,
  });
}

function driveClient(fake: FakeApis) {
  return google.drive({ version: "v3", rootUrl: `${fake.url}/`, auth: googleAuth(), retry: false });
}

/** What googleapis (gaxios) throws for a non-2xx answer. */
interface GaxiosLike {
  status?: number;
  response?: {
    status?: number;
    data?: { error?: { code?: number; status?: string; message?: string } };
  };
}

async function listAll(fake: FakeApis, q: string | undefined, labelIds?: string[]) {
  const gmail = gmailClient(fake);
  const ids: string[] = [];
  let pageToken: string | undefined;
  for (let round = 0; round < 20; round++) {
    const page = await gmail.users.messages.list({
      userId: "me",
      q,
      labelIds,
      maxResults: 3,
      pageToken,
    });
    assert.equal(page.status, 200);
    ids.push(...(page.data.messages ?? []).map((m) => m.id!));
    pageToken = page.data.nextPageToken ?? undefined;
    if (!pageToken) return ids;
  }
  throw new Error("paging never ended");
}

type Part = {
  mimeType?: string | null;
  body?: { data?: string | null } | null;
  parts?: Part[] | null;
};

function findPart(part: Part, mimeType: string): Part | undefined {
  if (part.mimeType === mimeType) return part;
  for (const child of part.parts ?? []) {
    const found = findPart(child, mimeType);
    if (found) return found;
  }
  return undefined;
}

function rfc822(to: string, subject: string, body: string, extra = ""): string {
  return `From: alice@acme.com\r\nTo: ${to}\r\n${extra}Subject: ${subject}\r\n` +
    `Content-Type: text/plain; charset="UTF-8"\r\n\r\n${body}\r\n`;
}

function base64url(text: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(text)))
    .replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

// No timing assertion: on a shared machine a wall-clock bound only measures the neighbours.
Deno.test("fake APIs start on 127.0.0.1 and serve every provider from one URL", async () => {
  const fake = await startFakeApis({ token: TOKEN });
  try {
    assert.match(fake.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.deepEqual(fake.apiBaseUrls(), {
      gmail: fake.url,
      drive: fake.url,
      github: fake.url,
      slack: fake.url,
      microsoft: fake.url,
    });
    const unknown = await fetch(`${fake.url}/nothing/here`);
    assert.equal(unknown.status, 404);
    await unknown.body?.cancel();
    assert.equal(fake.seen.at(-1)?.provider, null);
  } finally {
    await fake.close();
  }
});

Deno.test("gmail: googleapis lists labels and messages, and -label:HR leaves HR out", async () => {
  await withFakes(async (fake) => {
    const gmail = gmailClient(fake);
    const labels = await gmail.users.labels.list({ userId: "me" });
    const byName = Object.fromEntries(labels.data.labels!.map((l) => [l.name, l]));
    assert.equal(byName.HR.id, "Label_1");
    assert.equal(byName.Legal.id, "Label_2");
    assert.equal(byName.Projects.id, "Label_3");
    assert.equal(byName.HR.type, "user");
    for (const system of ["INBOX", "SENT", "DRAFT", "SPAM", "TRASH", "UNREAD", "IMPORTANT"]) {
      assert.equal(byName[system]?.type, "system", system);
    }

    const everything = await listAll(fake, undefined);
    const hr = [MESSAGE_IDS.HR_PAYROLL, MESSAGE_IDS.HR_BENEFITS, MESSAGE_IDS.LAUNCH_HR_REPLY];
    for (const id of hr) assert.ok(everything.includes(id), id);
    assert.ok(!everything.includes(MESSAGE_IDS.SPAM), "spam only when asked for");
    assert.deepEqual(everything, [...everything].sort().reverse(), "newest first");

    const notHr = await listAll(fake, "-label:HR");
    assert.deepEqual(notHr, everything.filter((id) => !hr.includes(id)));
    assert.deepEqual(await listAll(fake, "label:hr"), everything.filter((id) => hr.includes(id)));
    // The form the appliance narrows with: the caller's query, grouped, then the exclusion.
    assert.deepEqual(
      await listAll(fake, '(in:inbox OR label:Legal) -label:"HR" -label:"Legal"'),
      [MESSAGE_IDS.LAUNCH, MESSAGE_IDS.CARD_ON_FILE, MESSAGE_IDS.PLANNING],
    );
    assert.deepEqual(await listAll(fake, 'label:"Board Minutes"'), [MESSAGE_IDS.BOARD_MINUTES]);
    assert.deepEqual(await listAll(fake, "label:board-minutes"), [MESSAGE_IDS.BOARD_MINUTES]);
    assert.ok(!(await listAll(fake, '-label:"board minutes"')).includes(MESSAGE_IDS.BOARD_MINUTES));
    assert.deepEqual(await listAll(fake, undefined, [LABEL_IDS.Legal]), [
      MESSAGE_IDS.LEGAL_HOLD,
      MESSAGE_IDS.LEGAL_NDA,
    ]);
    assert.deepEqual(await listAll(fake, "in:spam"), [MESSAGE_IDS.SPAM]);

    const empty = await gmail.users.messages.list({ userId: "me", q: "label:Projects label:HR" });
    assert.deepEqual(
      empty.data,
      { resultSizeEstimate: 0 },
      "Gmail leaves `messages` out when none match",
    );

    const first = await gmail.users.messages.list({ userId: "me", maxResults: 2 });
    assert.equal(first.data.messages?.length, 2);
    assert.equal(first.data.resultSizeEstimate, everything.length);
    assert.match(first.data.nextPageToken!, /^\d{20}$/);
    const list = fake.seenBy("gmail").at(-1)!;
    assert.equal(list.path, "/gmail/v1/users/me/messages");
    assert.equal(list.query.get("maxResults"), "2");
    assert.equal(list.headers.get("authorization"), `Bearer ${TOKEN}`);
  });
});

Deno.test("gmail: messages.get decodes to the PII the redaction tests look for", async () => {
  await withFakes(async (fake) => {
    const gmail = gmailClient(fake);
    const full = await gmail.users.messages.get({ userId: "me", id: MESSAGE_IDS.CARD_ON_FILE });
    assert.equal(full.data.threadId, THREAD_IDS.CARD_ON_FILE);
    assert.deepEqual(full.data.labelIds, ["INBOX", "UNREAD", "CATEGORY_PERSONAL"]);
    assert.equal(full.data.payload?.mimeType, "multipart/alternative");
    assert.ok(
      full.data.payload?.headers?.some((h) =>
        h.name === "Subject" && h.value === "Card on file for the offsite"
      ),
    );
    assert.match(full.data.internalDate!, /^\d{13}$/);
    assert.ok(full.data.sizeEstimate! > 300);
    assert.ok(full.data.snippet!.includes(PII.card));
    const plain = findPart(full.data.payload as Part, "text/plain")!;
    assert.match(plain.body!.data!, /^[A-Za-z0-9_-]+=*$/, "base64url, as Gmail sends it");
    const text = fromBase64urlText(plain.body!.data!)!;
    for (const value of Object.values(PII)) assert.ok(text.includes(value), value);
    const html = fromBase64urlText(findPart(full.data.payload as Part, "text/html")!.body!.data!)!;
    assert.ok(html.includes(`<a href="mailto:${PII.email}">`));

    const raw = await gmail.users.messages.get({
      userId: "me",
      id: MESSAGE_IDS.CARD_ON_FILE,
      format: "raw",
    });
    assert.equal(raw.data.payload, undefined);
    const mime = fromBase64urlText(raw.data.raw!)!;
    assert.match(mime, /^Delivered-To: alice@acme\.com\r\n/);
    assert.ok(mime.includes(PII.ssn) && mime.includes(PII.card));

    const minimal = await gmail.users.messages.get({
      userId: "me",
      id: MESSAGE_IDS.HR_PAYROLL,
      format: "minimal",
    });
    assert.deepEqual(minimal.data.labelIds, [LABEL_IDS.HR, "INBOX", "CATEGORY_PERSONAL"]);
    assert.equal(minimal.data.payload, undefined);
    const metadata = await gmail.users.messages.get({
      userId: "me",
      id: MESSAGE_IDS.HR_PAYROLL,
      format: "metadata",
      metadataHeaders: ["From", "Subject"],
    });
    assert.deepEqual(metadata.data.payload?.headers?.map((h) => h.name), ["Subject", "From"]);

    const hrFull = await gmail.users.messages.get({ userId: "me", id: MESSAGE_IDS.HR_PAYROLL });
    assert.equal(hrFull.data.payload?.mimeType, "multipart/mixed");
    const hrText = fromBase64urlText(
      findPart(hrFull.data.payload as Part, "text/plain")!.body!.data!,
    )!;
    assert.ok(hrText.includes(PII.ssn));
    const pdf = hrFull.data.payload!.parts!.find((p) => p.filename === "payroll-2024.pdf")!;
    const attachment = await gmail.users.messages.attachments.get({
      userId: "me",
      messageId: MESSAGE_IDS.HR_PAYROLL,
      id: pdf.body!.attachmentId!,
    });
    assert.equal(attachment.data.size, pdf.body!.size);
    assert.match(fromBase64urlText(attachment.data.data!)!, /^%PDF-1\.4/);

    const thread = await gmail.users.threads.get({ userId: "me", id: THREAD_IDS.LAUNCH });
    assert.deepEqual(thread.data.messages?.map((m) => m.labelIds), [
      [LABEL_IDS.Projects, "INBOX"],
      [LABEL_IDS.HR],
    ]);
    const threads = await gmail.users.threads.list({ userId: "me", q: "label:Projects" });
    assert.deepEqual(threads.data.threads?.map((t) => t.id), [THREAD_IDS.LAUNCH]);

    await assert.rejects(
      gmail.users.messages.get({ userId: "me", id: "0000000000000000" }),
      (e: GaxiosLike) =>
        e.status === 404 && e.response?.data?.error?.status === "NOT_FOUND" &&
        e.response.data.error.code === 404,
    );
    await assert.rejects(
      gmailClient(fake, "some-other-token").users.messages.list({ userId: "me" }),
      (e: GaxiosLike) => e.status === 401 && e.response?.data?.error?.status === "UNAUTHENTICATED",
    );
  });
});

Deno.test("gmail: drafts.create, messages.send (JSON and upload) are recorded with recipients", async () => {
  await withFakes(async (fake) => {
    const gmail = gmailClient(fake);
    const draft = await gmail.users.drafts.create({
      userId: "me",
      requestBody: { message: { raw: base64url(rfc822("bob@example.com", "Draft", "hello")) } },
    });
    assert.equal(draft.status, 200);
    assert.match(draft.data.id!, /^r-\d+$/);
    assert.deepEqual(draft.data.message?.labelIds, ["DRAFT"]);
    assert.equal(fake.state.gmail.sent.length, 0, "a draft is not sent");

    const sent = await gmail.users.messages.send({
      userId: "me",
      requestBody: {
        raw: base64url(rfc822(
          '"Bob Stone" <bob@example.com>, carol@acme.com',
          "Numbers",
          "see attached",
          "Cc: Dana <dana@contoso.com>\r\nBcc: eve@evil.example\r\n",
        )),
      },
    });
    assert.equal(sent.status, 200);
    assert.deepEqual(sent.data.labelIds, ["SENT"]);
    assert.deepEqual(fake.state.gmail.sent.map((s) => [s.via, s.to, s.cc, s.bcc, s.subject]), [
      [
        "json",
        ["bob@example.com", "carol@acme.com"],
        ["dana@contoso.com"],
        ["eve@evil.example"],
        "Numbers",
      ],
    ]);
    const stored = await gmail.users.messages.get({ userId: "me", id: sent.data.id! });
    assert.deepEqual(stored.data.labelIds, ["SENT"]);

    // The upload path googleapis takes for `media`: multipart with metadata, or the media alone.
    // googleapis applies a client-wide rootUrl to `url` but not to `mediaUrl`, so uploads
    // need the root per call (through the appliance too).
    const perCall = { rootUrl: `${fake.url}/` };
    await gmail.users.messages.send({
      userId: "me",
      requestBody: { threadId: THREAD_IDS.CARD_ON_FILE },
      media: { mimeType: "message/rfc822", body: rfc822("bob@example.com", "Re: card", "thanks") },
    }, perCall);
    await gmail.users.messages.send({
      userId: "me",
      media: { mimeType: "message/rfc822", body: rfc822("frank@example.org", "Hi", "media only") },
    }, perCall);
    const uploads = fake.seenBy("gmail").filter((s) => s.path.startsWith("/upload/"));
    assert.deepEqual(uploads.map((s) => s.query.get("uploadType")), ["multipart", "media"]);
    assert.deepEqual(
      fake.state.gmail.sent.slice(1).map((
        s,
      ) => [s.via, s.to, s.threadId === THREAD_IDS.CARD_ON_FILE]),
      [
        ["multipart", ["bob@example.com"], true],
        ["media", ["frank@example.org"], false],
      ],
    );
    assert.equal(fake.state.gmail.sent[2].text, "media only\r\n");

    await assert.rejects(
      gmail.users.messages.send({
        userId: "me",
        requestBody: { raw: base64url("Subject: nobody\r\n\r\nx") },
      }),
      (e: GaxiosLike) =>
        e.status === 400 && e.response?.data?.error?.message === "Recipient address required",
    );

    const sentDraft = await gmail.users.drafts.send({
      userId: "me",
      requestBody: { id: draft.data.id! },
    });
    assert.deepEqual(sentDraft.data.labelIds, ["SENT"]);
    assert.deepEqual(fake.state.gmail.sent.at(-1)?.to, ["bob@example.com"]);
    assert.equal(fake.state.gmail.sent.at(-1)?.via, "draft");

    const trashed = await gmail.users.messages.trash({ userId: "me", id: MESSAGE_IDS.PLANNING });
    assert.ok(trashed.data.labelIds?.includes("TRASH"));
    assert.ok(!trashed.data.labelIds?.includes("INBOX"));
    const deleted = await gmail.users.messages.delete({ userId: "me", id: MESSAGE_IDS.LEGAL_HOLD });
    assert.equal(deleted.status, 204);
    assert.deepEqual(fake.state.gmail.deleted, [MESSAGE_IDS.LEGAL_HOLD]);
  });
});

Deno.test("drive: googleapis lists with q and fields, reads, copies and deletes", async () => {
  await withFakes(async (fake) => {
    const drive = driveClient(fake);
    const plain = await drive.files.list({});
    assert.equal(plain.data.kind, "drive#fileList");
    assert.deepEqual(Object.keys(plain.data.files![0]).sort(), ["id", "kind", "mimeType", "name"]);

    const narrowed = await drive.files.list({
      q: "not 'fold_hr' in parents and trashed = false",
      fields: "files(id,name,parents)",
    });
    const files = narrowed.data.files!;
    assert.ok(files.length > 0);
    for (const f of files) {
      assert.deepEqual(Object.keys(f).sort(), ["id", "name", "parents"]);
      assert.ok(!f.parents!.includes(DRIVE_IDS.HR), f.name!);
    }
    const ids = files.map((f) => f.id);
    assert.ok(!ids.includes(DRIVE_IDS.SALARIES) && !ids.includes(DRIVE_IDS.OLD_BUDGET));
    assert.ok(ids.includes(DRIVE_IDS.CONTACTS) && ids.includes(DRIVE_IDS.HR));
    assert.ok(ids.includes(DRIVE_IDS.OFFER), "nested folders are not excluded by a parent test");
    assert.equal(narrowed.data.nextPageToken, undefined);

    const inHr = await drive.files.list({
      q: "('fold_hr' in parents or 'fold_pub' in parents) and name contains 'salaries'",
      fields: "nextPageToken, files(id, parents)",
    });
    assert.deepEqual(inHr.data.files, [{ id: DRIVE_IDS.SALARIES, parents: [DRIVE_IDS.HR] }]);

    const paged = await drive.files.list({ pageSize: 4, fields: "nextPageToken,files(id)" });
    assert.equal(paged.data.files?.length, 4);
    const rest = await drive.files.list({
      pageSize: 100,
      pageToken: paged.data.nextPageToken!,
      fields: "files(id)",
    });
    assert.equal(paged.data.files!.length + rest.data.files!.length, fake.state.drive.files.size);

    await assert.rejects(
      drive.files.list({ q: "not 'fold_hr' in parents and" }),
      (e: GaxiosLike) => e.status === 400 && e.response?.data?.error?.message === "Invalid Value",
    );

    const meta = await drive.files.get({ fileId: DRIVE_IDS.CONTACTS, fields: "*" });
    assert.equal(meta.data.name, "Customer contacts.csv");
    assert.deepEqual(meta.data.parents, [DRIVE_IDS.PUBLIC]);
    assert.equal(meta.data.owners?.[0].emailAddress, "alice@acme.com");
    const media = await drive.files.get({ fileId: DRIVE_IDS.CONTACTS, alt: "media" }, {
      responseType: "text",
    });
    assert.match(String(media.data), /4111 1111 1111 1111/);
    await assert.rejects(
      drive.files.get({ fileId: DRIVE_IDS.ROADMAP, alt: "media" }),
      (e: GaxiosLike) => e.status === 403,
    );

    const copied = await drive.files.copy({
      fileId: DRIVE_IDS.SALARIES,
      requestBody: { name: "leak.csv" },
      fields: "id,name,parents",
    });
    assert.deepEqual(fake.state.drive.copies, [{ from: DRIVE_IDS.SALARIES, id: copied.data.id }]);
    assert.deepEqual(copied.data.parents, [DRIVE_IDS.HR]);
    const renamed = await drive.files.update({
      fileId: DRIVE_IDS.NOTES,
      requestBody: { name: "Notes.txt" },
      addParents: DRIVE_IDS.PUBLIC,
    });
    assert.equal(renamed.data.name, "Notes.txt");
    const removed = await drive.files.delete({ fileId: DRIVE_IDS.HR });
    assert.equal(removed.status, 204);
    assert.deepEqual(fake.state.drive.deleted, [DRIVE_IDS.HR]);
    assert.ok(!fake.state.drive.files.has(DRIVE_IDS.OFFER), "a folder's contents go with it");
    await assert.rejects(
      drive.files.get({ fileId: DRIVE_IDS.HR }),
      (e: GaxiosLike) =>
        e.status === 404 && e.response?.data?.error?.message === "File not found: fold_hr.",
    );
  });
});

Deno.test("github: @octokit/rest reads, creates an issue, deletes a repository", async () => {
  await withFakes(async (fake) => {
    const octokit = new Octokit({ auth: TOKEN, baseUrl: fake.url, log: quiet });
    const repo = await octokit.rest.repos.get({ owner: "octo-org", repo: "hello-world" });
    assert.equal(repo.status, 200);
    assert.equal(repo.data.full_name, GITHUB_REPOS.HELLO_WORLD);
    assert.equal(repo.data.owner.type, "Organization");
    assert.equal(repo.data.permissions?.admin, true);
    assert.equal(repo.headers["x-github-media-type"], "github.v3; format=json");
    assert.equal(repo.headers["x-ratelimit-limit"], "5000");
    // Octokit sends `token X`; the appliance sends `Bearer X`: both are GitHub's.
    assert.equal(fake.seenBy("github").at(-1)?.headers.get("authorization"), `token ${TOKEN}`);
    const viaBearer = await fetch(`${fake.url}/user`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal((await viaBearer.json()).login, "alice");

    const issues = await octokit.rest.issues.listForRepo({
      owner: "octo-org",
      repo: "hello-world",
    });
    assert.deepEqual(issues.data.map((i) => i.number), [2, 1]);
    const created = await octokit.rest.issues.create({
      owner: "octo-org",
      repo: "hello-world",
      title: "From an agent",
      body: "hi",
    });
    assert.equal(created.status, 201);
    assert.equal(created.data.number, 3);
    assert.equal(fake.state.github.createdIssues[0].issue.title, "From an agent");

    const deleted = await octokit.rest.repos.delete({ owner: "octo-org", repo: "payroll" });
    assert.equal(deleted.status, 204);
    assert.deepEqual(fake.state.github.deletedRepos, [GITHUB_REPOS.PAYROLL]);
    await assert.rejects(
      octokit.rest.repos.get({ owner: "octo-org", repo: "payroll" }),
      (
        e: {
          status?: number;
          response?: { data?: { message?: string; documentation_url?: string } };
        },
      ) =>
        e.status === 404 && e.response?.data?.message === "Not Found" &&
        typeof e.response.data.documentation_url === "string",
    );
    await assert.rejects(
      new Octokit({ auth: "wrong", baseUrl: fake.url, log: quiet }).rest.repos.get({
        owner: "octo-org",
        repo: "hello-world",
      }),
      (e: { status?: number; message?: string }) =>
        e.status === 401 && /Bad credentials/.test(e.message ?? ""),
    );
  });
});

Deno.test("slack: postMessage (JSON and form), history with PII, delete, auth errors", async () => {
  await withFakes(async (fake) => {
    const slack = async (method: string, init: RequestInit = {}) => {
      const response = await fetch(`${fake.url}/api/${method}`, init);
      assert.equal(response.status, 200, "Slack answers 200 even on errors");
      return await response.json();
    };
    const auth = { authorization: `Bearer ${TOKEN}` };
    const posted = await slack("chat.postMessage", {
      method: "POST",
      headers: { ...auth, "content-type": "application/json; charset=utf-8" },
      body: JSON.stringify({ channel: "#general", text: "Deploy done" }),
    });
    assert.equal(posted.ok, true);
    assert.equal(posted.channel, SLACK_CHANNELS.GENERAL);
    assert.match(posted.ts, /^\d{10}\.\d{6}$/);
    assert.equal(posted.message.text, "Deploy done");
    assert.equal(posted.response_metadata, undefined);

    const form = await slack("chat.postMessage", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: TOKEN, channel: SLACK_CHANNELS.RANDOM, text: "hi" }),
    });
    assert.equal(form.ok, true);
    assert.deepEqual(fake.state.slack.posted.map((p) => [p.channel, p.message.text]), [
      [SLACK_CHANNELS.GENERAL, "Deploy done"],
      [SLACK_CHANNELS.RANDOM, "hi"],
    ]);

    const list = await slack("conversations.list", { headers: auth });
    assert.deepEqual(list.channels.map((c: { name: string }) => c.name), ["general", "random"]);
    const history = await slack(`conversations.history?channel=${SLACK_CHANNELS.GENERAL}`, {
      headers: auth,
    });
    const texts = history.messages.map((m: { text: string }) => m.text).join("\n");
    assert.match(texts, /dana\.lee@contoso\.com/);
    assert.match(texts, /\+1 \(415\) 555-0132/);

    const removed = await slack("chat.delete", {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ channel: SLACK_CHANNELS.GENERAL, ts: posted.ts }),
    });
    assert.equal(removed.ok, true);
    assert.deepEqual(fake.state.slack.deleted, [{
      channel: SLACK_CHANNELS.GENERAL,
      ts: posted.ts,
    }]);
    assert.deepEqual(
      await slack("chat.delete", {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify({ channel: SLACK_CHANNELS.GENERAL, ts: posted.ts }),
      }),
      { ok: false, error: "message_not_found" },
    );

    assert.deepEqual(await slack("auth.test", { method: "POST" }), {
      ok: false,
      error: "not_authed",
    });
    assert.deepEqual(
      await slack("auth.test", { method: "POST", headers: { authorization: "Bearer xoxp-wrong" } }),
      {
        ok: false,
        error: "invalid_auth",
      },
    );
    assert.equal(fake.state.slack.posted.length, 2, "refused calls change nothing");
  });
});

Deno.test("graph: sendMail records recipients, messages carry PII, errors in Graph's shape", async () => {
  await withFakes(async (fake) => {
    const headers = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
    const sent = await fetch(`${fake.url}/v1.0/me/sendMail`, {
      method: "POST",
      headers,
      body: JSON.stringify({
        message: {
          subject: "Offsite",
          body: { contentType: "Text", content: "See you there" },
          toRecipients: [{ emailAddress: { address: "bob@example.com" } }],
          ccRecipients: [{ emailAddress: { address: "carol@acme.com", name: "Carol" } }],
        },
      }),
    });
    assert.equal(sent.status, 202);
    assert.equal(await sent.text(), "");
    assert.deepEqual(fake.state.microsoft.sent.map((s) => [s.to, s.cc, s.subject]), [
      [["bob@example.com"], ["carol@acme.com"], "Offsite"],
    ]);

    const messages = await fetch(`${fake.url}/v1.0/me/messages?$top=2`, { headers });
    assert.match(
      messages.headers.get("content-type")!,
      /^application\/json;odata\.metadata=minimal/,
    );
    const page = await messages.json();
    assert.match(page["@odata.context"], /\$metadata#users\('.+'\)\/messages$/);
    assert.equal(page.value.length, 2);
    assert.ok(page["@odata.nextLink"].startsWith(`${fake.url}/v1.0/me/messages?`));
    assert.match(page.value[0].body.content, /123-45-6789/);
    assert.match(page.value[0].body.content, /4111 1111 1111 1111/);
    const next = await (await fetch(page["@odata.nextLink"], { headers })).json();
    assert.equal(next.value.length, 1);
    assert.equal(next["@odata.nextLink"], undefined);

    const me = await (await fetch(`${fake.url}/v1.0/me`, { headers })).json();
    assert.equal(me.mail, "alice@acme.com");

    const empty = await fetch(`${fake.url}/v1.0/me/sendMail`, {
      method: "POST",
      headers,
      body: JSON.stringify({ message: { subject: "x" } }),
    });
    assert.equal(empty.status, 400);
    assert.equal((await empty.json()).error.code, "ErrorInvalidRecipients");
    const refused = await fetch(`${fake.url}/v1.0/me`);
    assert.equal(refused.status, 401);
    const error = (await refused.json()).error;
    assert.equal(error.code, "InvalidAuthenticationToken");
    assert.ok(error.innerError["request-id"]);
  });
});

Deno.test("options: gzip on request, intercept, one provider per server, no token check", async () => {
  await withFakes(async (fake) => {
    const listed = await fetch(`${fake.url}/gmail/v1/users/me/messages`, {
      headers: { "accept-encoding": "gzip" },
    });
    assert.equal(listed.status, 200);
    assert.equal(listed.headers.get("content-encoding"), "gzip");
    assert.ok((await listed.json()).messages.length > 0, "fetch decompresses");
    assert.equal(fake.seen.at(-1)?.gzip, true);
    const plain = await fetch(`${fake.url}/gmail/v1/users/me/messages`, {
      headers: { "accept-encoding": "identity" },
    });
    assert.equal(plain.headers.get("content-encoding"), null);
    await plain.body?.cancel();

    fake.intercept = (call, provider) =>
      provider === "gmail" && call.path.endsWith("/profile")
        ? new Response("not json", {
          headers: { "content-type": "text/plain", "content-encoding": "br" },
        })
        : undefined;
    const scripted = await fetch(`${fake.url}/gmail/v1/users/me/profile`);
    assert.equal(scripted.headers.get("content-encoding"), "br");
    await scripted.body?.cancel();
  }, { gzip: true });

  const github = await startFakeApis({ only: ["github"] });
  const microsoft = await startFakeApis({ only: ["microsoft"] });
  try {
    assert.notEqual(github.url, microsoft.url);
    assert.deepEqual(github.apiBaseUrls(), { github: github.url });
    const repo = await fetch(`${github.url}/repos/octo-org/hello-world`);
    assert.equal(repo.status, 200, "no token option: nothing is checked");
    await repo.body?.cancel();
    const elsewhere = await fetch(`${github.url}/v1.0/me`);
    assert.equal(elsewhere.status, 404);
    await elsewhere.body?.cancel();
    const me = await fetch(`${microsoft.url}/v1.0/me`);
    assert.equal(me.status, 200);
    await me.body?.cancel();
  } finally {
    await github.close();
    await microsoft.close();
  }
});

Deno.test("token per provider: a function decides which token each fake accepts", async () => {
  const tokens: Record<string, string> = { gmail: "g-token", github: "gh-token" };
  await withFakes(async (fake) => {
    const ask = async (path: string, token: string) => {
      const response = await fetch(`${fake.url}${path}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      await response.body?.cancel();
      return response.status;
    };
    assert.equal(await ask("/gmail/v1/users/me/labels", "g-token"), 200);
    assert.equal(await ask("/gmail/v1/users/me/labels", "gh-token"), 401);
    assert.equal(await ask("/repos/octo-org/hello-world", "gh-token"), 200);
    assert.equal(await ask("/repos/octo-org/hello-world", "g-token"), 401);
    assert.equal(await ask("/drive/v3/files", "g-token"), 401, "no token for drive: refused");
    assert.deepEqual(fake.seen.map((s) => s.status), [200, 401, 200, 401, 401]);
  }, { token: (provider) => tokens[provider] ?? null });
});

Deno.test("search languages: Gmail's tolerant q and Drive's strict q", async () => {
  await withFakes(async (fake) => {
    const ids = (q: string) => listAll(fake, q);
    assert.deepEqual(await ids("{label:Legal label:Projects}"), [
      MESSAGE_IDS.LAUNCH,
      MESSAGE_IDS.LEGAL_HOLD,
      MESSAGE_IDS.LEGAL_NDA,
    ]);
    assert.deepEqual(await ids("label:Legal OR label:Projects has:attachment"), [
      MESSAGE_IDS.LEGAL_NDA,
    ]);
    assert.deepEqual(await ids('"card on file" -in:sent'), [MESSAGE_IDS.CARD_ON_FILE]);
    assert.deepEqual(await ids("from:dana.lee newer_than:2d"), [MESSAGE_IDS.LAUNCH]);
    assert.ok((await ids("(unbalanced")).length === 0);
    assert.equal((await ids("label:hr )")).length, 3, "a stray ) is ignored");

    const drive = driveClient(fake);
    const names = async (q: string) =>
      (await drive.files.list({ q, fields: "files(name)" })).data.files!.map((f) => f.name);
    assert.deepEqual(
      await names("'root' in parents and mimeType != 'application/vnd.google-apps.folder'"),
      [
        "Meeting notes.txt",
      ],
    );
    assert.deepEqual(await names("name = 'Old budget.xlsx' and trashed = true"), [
      "Old budget.xlsx",
    ]);
    assert.deepEqual(await names("fullText contains '123-45-6789'"), ["Salaries 2024.csv"]);
    assert.deepEqual(await names("name contains 'it\\'s'"), []);
    for (
      const bad of ["name contains 'open", "not", "'fold_hr' in", "trashed == false", "(name = 'x'"]
    ) {
      await assert.rejects(drive.files.list({ q: bad }), (e: GaxiosLike) => e.status === 400, bad);
    }
  });
});
