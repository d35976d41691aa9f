import { headerValues, type Rfc822Entity } from "./rfc822_message.ts";

/** The headers a mail server delivers to when it is asked to send a raw message. */
const RECIPIENT_HEADERS = ["to", "cc", "bcc"] as const;

/**
 * Every recipient address of a message (To, Cc, Bcc, each possibly repeated),
 * lowercased, de-duplicated. Null when any of them cannot be read with
 * certainty: a recipient condition must then deny rather than guess.
 */
export function messageRecipients(entity: Rfc822Entity): string[] | null {
  const out = new Set<string>();
  for (const name of RECIPIENT_HEADERS) {
    for (const value of headerValues(entity, name)) {
      const list = parseAddressList(value);
      if (list === null) return null;
      for (const address of list) out.add(address);
    }
  }
  return [...out];
}

/**
 * Addresses of an RFC 5322 address list: display names (quoted, with commas,
 * RFC 2047 encoded-words), comments, angle addresses with obsolete routes,
 * and groups (`team: a@x.com, b@y.com;`, `undisclosed-recipients:;`).
 * Null when the list is malformed.
 */
export function parseAddressList(value: string): string[] | null {
  const mailboxes: string[] = [];
  let current = "";
  let inGroup = false;
  let i = 0;
  while (i < value.length) {
    const c = value[i];
    if (c === '"') {
      const end = quotedEnd(value, i);
      if (end < 0) return null;
      current += value.slice(i, end + 1);
      i = end + 1;
    } else if (c === "(") {
      const end = commentEnd(value, i);
      if (end < 0) return null;
      current += " ";
      i = end + 1;
    } else if (c === "<") {
      const end = value.indexOf(">", i);
      if (end < 0) return null;
      current += value.slice(i, end + 1);
      i = end + 1;
    } else if (c === ",") {
      mailboxes.push(current);
      current = "";
      i++;
    } else if (c === ":") {
      // A group's display name ends at its colon; its members follow.
      if (inGroup || current.includes("<")) return null;
      inGroup = true;
      current = "";
      i++;
    } else if (c === ";") {
      if (!inGroup) return null;
      mailboxes.push(current);
      current = "";
      inGroup = false;
      i++;
    } else if (c === ">" || c === ")") {
      return null;
    } else {
      current += c;
      i++;
    }
  }
  if (inGroup) return null;
  mailboxes.push(current);
  const out: string[] = [];
  for (const mailbox of mailboxes) {
    if (mailbox.trim() === "") continue;
    const address = mailboxAddress(mailbox);
    if (address === null) return null;
    out.push(address);
  }
  return out;
}

/** The lowercased `local@domain` of one mailbox, or null when it is not one. */
function mailboxAddress(mailbox: string): string | null {
  const open = indexOutsideQuotes(mailbox, "<");
  let spec: string;
  if (open >= 0) {
    const close = mailbox.indexOf(">", open);
    if (mailbox.indexOf("<", open + 1) >= 0 || mailbox.slice(close + 1).trim() !== "") return null;
    // Obsolete source route `<@relay.example:user@x.com>`: only the final address receives.
    spec = mailbox.slice(open + 1, close).replace(/^(?:\s*@[^,:]*,?)+:/, "");
  } else {
    spec = mailbox;
  }
  spec = spec.trim();
  // `John john@x.com` is no address: guessing which word receives would be a guess.
  if (indexOutsideQuotes(spec, " ") >= 0 || indexOutsideQuotes(spec, "\t") >= 0) return null;
  const at = spec.lastIndexOf("@");
  if (at <= 0 || at === spec.length - 1) return null;
  const local = spec.slice(0, at);
  const domain = spec.slice(at + 1);
  if (!/^(?:"(?:[^"\\]|\\.)*"|[^\s"@<>()\[\],;:\\]+)$/.test(local)) return null;
  if (!/^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[^\[\]\\]+\])$/.test(domain)) return null;
  return `${local}@${domain}`.toLowerCase();
}

function quotedEnd(value: string, start: number): number {
  for (let i = start + 1; i < value.length; i++) {
    if (value[i] === "\\") i++;
    else if (value[i] === '"') return i;
  }
  return -1;
}

function commentEnd(value: string, start: number): number {
  let depth = 0;
  for (let i = start; i < value.length; i++) {
    const c = value[i];
    if (c === "\\") i++;
    else if (c === "(") depth++;
    else if (c === ")" && --depth === 0) return i;
  }
  return -1;
}

function indexOutsideQuotes(text: string, wanted: string): number {
  let inside = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "\\" && inside) i++;
    else if (c === '"') inside = !inside;
    else if (c === wanted && !inside) return i;
  }
  return -1;
}
