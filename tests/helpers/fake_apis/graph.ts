/**
 * A fake Microsoft Graph v1.0 mailbox (`/v1.0/me…`, `/v1.0/users/{id}…`):
 * the signed-in user, messages (list with `$top`/`$skip`/`$select` and
 * `@odata.nextLink`, get, create draft, send, delete) and `sendMail`, in
 * Graph's OData JSON with its `{error:{code,message,innerError}}` errors.
 */
import { bearerToken, bodyJson, type FakeCall, type FakeProvider } from "./dispatcher.ts";

interface Recipient {
  emailAddress: { name?: string; address: string };
}

export interface GraphMessage {
  id: string;
  subject: string;
  from: Recipient;
  toRecipients: Recipient[];
  ccRecipients: Recipient[];
  bccRecipients: Recipient[];
  body: { contentType: "html" | "text"; content: string };
  receivedDateTime: string;
  isRead: boolean;
  isDraft: boolean;
  hasAttachments: boolean;
}

/** A `sendMail` (or draft send) as the test asserts on it. */
export interface GraphSent {
  via: "sendMail" | "draft";
  subject: string;
  to: string[];
  cc: string[];
  bcc: string[];
  body: string;
  saveToSentItems: boolean;
}

export interface GraphState {
  me: { id: string; displayName: string; mail: string };
  messages: GraphMessage[];
  sent: GraphSent[];
  deleted: string[];
  nextId: number;
}

export const GRAPH_MESSAGE_IDS = {
  /** HTML body with SSN 123-45-6789, card 4111 1111 1111 1111, IBAN, phone. */
  PAYROLL: "AAMkAGI2TGuLAAA=payroll",
  /** No PII. */
  LUNCH: "AAMkAGI2TGuLAAA=lunch",
  /** From an external sender; text body with an email address. */
  CONTRACT: "AAMkAGI2TGuLAAA=contract",
};

function who(address: string, name?: string): Recipient {
  return { emailAddress: { name: name ?? address, address } };
}

export function createGraphState(): GraphState {
  const me = {
    id: "87d349ed-44d7-43e1-9a83-5f2406dee5bd",
    displayName: "Alice Martin",
    mail: "alice@acme.com",
  };
  const message = (
    m: Partial<GraphMessage> & Pick<GraphMessage, "id" | "subject" | "from" | "body">,
  ): GraphMessage => ({
    toRecipients: [who(me.mail, me.displayName)],
    ccRecipients: [],
    bccRecipients: [],
    receivedDateTime: "2024-05-06T09:00:00Z",
    isRead: false,
    isDraft: false,
    hasAttachments: false,
    ...m,
  });
  return {
    me,
    messages: [
      message({
        id: GRAPH_MESSAGE_IDS.PAYROLL,
        subject: "Payroll correction",
        from: who("payroll@acme.com", "Payroll"),
        receivedDateTime: "2024-05-06T11:00:00Z",
        body: {
          contentType: "html",
          content:
            '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head>' +
            "<body><p>Hi Alice, we corrected the payroll record for SSN 123-45-6789.</p>" +
            "<p>Refund goes to card 4111 1111 1111 1111 or IBAN DE89 3704 0044 0532 0130 00.</p>" +
            "<p>Questions: +1 415-555-0132</p></body></html>",
        },
      }),
      message({
        id: GRAPH_MESSAGE_IDS.LUNCH,
        subject: "Lunch on Friday?",
        from: who("carol@acme.com", "Carol Diaz"),
        receivedDateTime: "2024-05-06T10:00:00Z",
        isRead: true,
        body: { contentType: "text", content: "Are you free for lunch on Friday?" },
      }),
      message({
        id: GRAPH_MESSAGE_IDS.CONTRACT,
        subject: "Contract renewal",
        from: who("dana.lee@contoso.com", "Dana Lee"),
        receivedDateTime: "2024-05-06T09:00:00Z",
        hasAttachments: true,
        body: {
          contentType: "text",
          content: "Please send the signed renewal to dana.lee@contoso.com.",
        },
      }),
    ],
    sent: [],
    deleted: [],
    nextId: 0,
  };
}

function graphHeaders(call: FakeCall): Headers {
  return new Headers({
    "content-type":
      "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8",
    "odata-version": "4.0",
    "request-id": crypto.randomUUID(),
    "client-request-id": call.headers.get("client-request-id") ?? crypto.randomUUID(),
    "x-ms-ags-diagnostic":
      '{"ServerInfo":{"DataCenter":"West Europe","Slice":"E","Ring":"5","ScaleUnit":"000","RoleInstance":"AM4PEPF00012345"}}',
    "strict-transport-security": "max-age=31536000",
    "cache-control": "no-cache",
  });
}

function answer(call: FakeCall, body: unknown, status = 200): Response {
  const headers = graphHeaders(call);
  if (body === null) {
    headers.delete("content-type");
    return new Response(null, { status, headers });
  }
  return new Response(JSON.stringify(body), { status, headers });
}

function error(call: FakeCall, status: number, code: string, message: string): Response {
  return answer(call, {
    error: {
      code,
      message,
      innerError: {
        date: new Date().toISOString().replace(/\.\d+Z$/, ""),
        "request-id": crypto.randomUUID(),
        "client-request-id": call.headers.get("client-request-id") ?? crypto.randomUUID(),
      },
    },
  }, status);
}

function messageJson(m: GraphMessage) {
  const preview = m.body.content.replace(/<head>.*?<\/head>/s, "").replace(/<[^>]*>/g, " ")
    .replace(/\s+/g, " ").trim().slice(0, 255);
  return {
    "@odata.etag": `W/"CQAAABYAAAC${m.id.length}k2o"`,
    id: m.id,
    createdDateTime: m.receivedDateTime,
    lastModifiedDateTime: m.receivedDateTime,
    changeKey: `CQAAABYAAAC${m.id.length}k2o`,
    categories: [],
    receivedDateTime: m.receivedDateTime,
    sentDateTime: m.receivedDateTime,
    hasAttachments: m.hasAttachments,
    internetMessageId: `<${m.id.replace(/\W/g, "")}@AM4PR01MB1234.eurprd01.prod.outlook.com>`,
    subject: m.subject,
    bodyPreview: preview,
    importance: "normal",
    parentFolderId: m.isDraft ? "AQMkAGI2TGuLAAAuAAADrafts" : "AQMkAGI2TGuLAAAuAAAInbox",
    conversationId: `AAQkAGI2TGuL${m.id.length}=`,
    isDeliveryReceiptRequested: false,
    isReadReceiptRequested: false,
    isRead: m.isRead,
    isDraft: m.isDraft,
    webLink: `https://outlook.office365.com/owa/?ItemID=${
      encodeURIComponent(m.id)
    }&exvsurl=1&viewmodel=ReadMessageItem`,
    inferenceClassification: "focused",
    body: m.body,
    sender: m.from,
    from: m.from,
    toRecipients: m.toRecipients,
    ccRecipients: m.ccRecipients,
    bccRecipients: m.bccRecipients,
    replyTo: [],
    flag: { flagStatus: "notFlagged" },
  };
}

function select(json: Record<string, unknown>, spec: string | null): Record<string, unknown> {
  if (!spec) return json;
  const wanted = new Set(["@odata.etag", "id", ...spec.split(",").map((s) => s.trim())]);
  return Object.fromEntries(Object.entries(json).filter(([k]) => wanted.has(k)));
}

function addressesOf(list: unknown): string[] | null {
  if (list === undefined) return [];
  if (!Array.isArray(list)) return null;
  const out: string[] = [];
  for (const r of list) {
    const address = (r as Recipient | undefined)?.emailAddress?.address;
    if (typeof address !== "string") return null;
    out.push(address);
  }
  return out;
}

interface IncomingMessage {
  subject?: string;
  body?: { contentType?: string; content?: string };
  toRecipients?: unknown;
  ccRecipients?: unknown;
  bccRecipients?: unknown;
}

function sendMail(state: GraphState, call: FakeCall): Response {
  const json = bodyJson(call) as
    | { message?: IncomingMessage; saveToSentItems?: unknown }
    | undefined;
  const m = json?.message;
  if (!m || typeof m !== "object") {
    return error(call, 400, "ErrorInvalidRequest", "Empty Payload. JSON content expected.");
  }
  const to = addressesOf(m.toRecipients);
  const cc = addressesOf(m.ccRecipients);
  const bcc = addressesOf(m.bccRecipients);
  if (!to || !cc || !bcc) {
    return error(call, 400, "ErrorInvalidRecipients", "At least one recipient isn't valid.");
  }
  if (to.length + cc.length + bcc.length === 0) {
    return error(
      call,
      400,
      "ErrorInvalidRecipients",
      "At least one recipient isn't valid., A message can't be sent because it contains no recipients.",
    );
  }
  state.sent.push({
    via: "sendMail",
    subject: m.subject ?? "",
    to,
    cc,
    bcc,
    body: m.body?.content ?? "",
    saveToSentItems: json?.saveToSentItems !== false,
  });
  return answer(call, null, 202);
}

function createDraft(state: GraphState, call: FakeCall): Response {
  const m = (bodyJson(call) ?? {}) as IncomingMessage;
  state.nextId++;
  const recipients = (list: unknown) => (addressesOf(list) ?? []).map((a) => who(a));
  const draft: GraphMessage = {
    id: `AAMkAGI2TGuLAAA=draft${state.nextId}`,
    subject: m.subject ?? "",
    from: who(state.me.mail, state.me.displayName),
    toRecipients: recipients(m.toRecipients),
    ccRecipients: recipients(m.ccRecipients),
    bccRecipients: recipients(m.bccRecipients),
    body: {
      contentType: m.body?.contentType === "html" ? "html" : "text",
      content: m.body?.content ?? "",
    },
    receivedDateTime: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    isRead: true,
    isDraft: true,
    hasAttachments: false,
  };
  state.messages.unshift(draft);
  return answer(call, {
    "@odata.context": `${call.url.origin}/v1.0/$metadata#users('${state.me.id}')/messages/$entity`,
    ...messageJson(draft),
  }, 201);
}

function route(state: GraphState, call: FakeCall): Response {
  const match = /^\/v1\.0\/(me|users\/([^/]+))(\/.*)?$/.exec(call.path);
  if (!match) {
    return error(
      call,
      400,
      "BadRequest",
      `Resource not found for the segment '${call.path.split("/")[2] ?? ""}'.`,
    );
  }
  const user = match[2] ? decodeURIComponent(match[2]) : "me";
  if (user !== "me" && user !== state.me.id && user.toLowerCase() !== state.me.mail) {
    return error(call, 404, "ErrorInvalidUser", `The requested user '${user}' is invalid.`);
  }
  const rest = (match[3] ?? "").split("/").slice(1).map(decodeURIComponent);
  const method = call.method;
  const origin = call.url.origin;
  const context = `${origin}/v1.0/$metadata#users('${state.me.id}')`;
  if (rest.length === 0 && method === "GET") {
    return answer(call, {
      "@odata.context": `${origin}/v1.0/$metadata#users/$entity`,
      businessPhones: ["+1 425 555 0109"],
      displayName: state.me.displayName,
      givenName: "Alice",
      jobTitle: "Engineering Manager",
      mail: state.me.mail,
      mobilePhone: null,
      officeLocation: "18/2111",
      preferredLanguage: "en-US",
      surname: "Martin",
      userPrincipalName: state.me.mail,
      id: state.me.id,
    });
  }
  if (rest[0] === "sendMail" && rest.length === 1) {
    return method === "POST"
      ? sendMail(state, call)
      : error(call, 405, "Request_BadRequest", "Method not allowed.");
  }
  if (rest[0] !== "messages") {
    return error(call, 400, "BadRequest", `Resource not found for the segment '${rest[0]}'.`);
  }
  if (rest.length === 1 && method === "GET") {
    const top = Math.min(Math.max(Number(call.query.get("$top") ?? "10") || 10, 1), 1000);
    const skip = Math.max(Number(call.query.get("$skip") ?? "0") || 0, 0);
    const slice = state.messages.slice(skip, skip + top);
    const spec = call.query.get("$select");
    const next = new URL(`${origin}${call.path}`);
    next.searchParams.set("$top", String(top));
    next.searchParams.set("$skip", String(skip + top));
    if (spec) next.searchParams.set("$select", spec);
    return answer(call, {
      "@odata.context": `${context}/messages${spec ? `(${spec})` : ""}`,
      value: slice.map((m) => select(messageJson(m), spec)),
      ...(skip + top < state.messages.length ? { "@odata.nextLink": next.toString() } : {}),
    });
  }
  if (rest.length === 1 && method === "POST") return createDraft(state, call);
  const m = state.messages.find((x) => x.id === rest[1]);
  if (!m) {
    return error(
      call,
      404,
      "ErrorItemNotFound",
      "The specified object was not found in the store.",
    );
  }
  if (rest.length === 2 && method === "GET") {
    return answer(call, {
      "@odata.context": `${context}/messages/$entity`,
      ...select(messageJson(m), call.query.get("$select")),
    });
  }
  if (rest.length === 2 && method === "DELETE") {
    state.messages = state.messages.filter((x) => x !== m);
    state.deleted.push(m.id);
    return answer(call, null, 204);
  }
  if (rest.length === 3 && rest[2] === "send" && method === "POST") {
    if (!m.isDraft) return error(call, 400, "ErrorInvalidOperation", "Only drafts can be sent.");
    const list = (r: Recipient[]) => r.map((x) => x.emailAddress.address);
    m.isDraft = false;
    state.sent.push({
      via: "draft",
      subject: m.subject,
      to: list(m.toRecipients),
      cc: list(m.ccRecipients),
      bcc: list(m.bccRecipients),
      body: m.body.content,
      saveToSentItems: true,
    });
    return answer(call, null, 202);
  }
  return error(call, 400, "BadRequest", `Resource not found for the segment '${rest.at(-1)}'.`);
}

export function graphFake(state: GraphState): FakeProvider {
  return {
    name: "microsoft",
    serves: (path) => path.startsWith("/v1.0/"),
    tokenOf: (call) => bearerToken(call.headers),
    unauthorized: (call, sent) => {
      const response = error(
        call,
        401,
        "InvalidAuthenticationToken",
        sent === null
          ? "Access token is empty."
          : "IDX14100: JWT is not well formed, there are no dots (.).",
      );
      response.headers.set(
        "www-authenticate",
        'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"',
      );
      return response;
    },
    handle: (call) => route(state, call),
  };
}
