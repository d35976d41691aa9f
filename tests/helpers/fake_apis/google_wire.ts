/**
 * How Google's APIs (Gmail, Drive) put things on the wire: JSON with the
 * headers Google's front end sends, the `{error:{code,message,errors,status}}`
 * envelope, base64url bytes, and numeric page tokens.
 */

const GOOGLE_HEADERS: [string, string][] = [
  ["content-type", "application/json; charset=UTF-8"],
  ["vary", "Origin"],
  ["vary", "X-Origin"],
  ["vary", "Referer"],
  ["cache-control", "private"],
  ["server", "ESF"],
  ["x-xss-protection", "0"],
  ["x-frame-options", "SAMEORIGIN"],
  ["x-content-type-options", "nosniff"],
];

export function googleJson(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body, null, 2), {
    status,
    headers: new Headers(GOOGLE_HEADERS),
  });
}

/** 204 with Google's headers and no body, as `DELETE` answers. */
export function googleEmpty(): Response {
  const headers = new Headers(GOOGLE_HEADERS);
  headers.delete("content-type");
  return new Response(null, { status: 204, headers });
}

const STATUS_NAMES: Record<number, string> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  409: "ALREADY_EXISTS",
};

export interface GoogleErrorDetail {
  reason: string;
  domain?: string;
  location?: string;
  locationType?: string;
}

/**
 * Google's error envelope. Drive v3 leaves out `status` (its front end is
 * older than the one Gmail sits behind); `withStatus` chooses.
 */
export function googleError(
  code: number,
  message: string,
  detail: GoogleErrorDetail,
  withStatus = true,
): Response {
  const errors = [{ message, domain: detail.domain ?? "global", ...detail }];
  const error = {
    code,
    message,
    errors,
    ...(withStatus ? { status: STATUS_NAMES[code] ?? "UNKNOWN" } : {}),
  };
  return googleJson({ error }, code);
}

export function googleUnauthorized(sent: string | null): Response {
  const response = googleError(
    401,
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login " +
      "cookie or other valid authentication credential. " +
      "See https://developers.google.com/identity/sign-in/web/devconsole-project.",
    {
      reason: "authError",
      location: "Authorization",
      locationType: "header",
    },
  );
  response.headers.set(
    "www-authenticate",
    sent === null
      ? 'Bearer realm="https://accounts.google.com/"'
      : 'Bearer realm="https://accounts.google.com/", error="invalid_token"',
  );
  return response;
}

/** Google's paths start with a product prefix, so the fake can own whole subtrees. */
export function underAny(path: string, prefixes: readonly string[]): boolean {
  return prefixes.some((p) => path === p || path.startsWith(`${p}/`));
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** base64url with padding, as Gmail's `data` and `raw` fields carry it. */
export function base64url(input: string | Uint8Array): string {
  const bytes = typeof input === "string" ? encoder.encode(input) : input;
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_");
}

/** Decodes base64url or standard base64, padded or not; null when it is neither. */
export function fromBase64url(text: string): Uint8Array | null {
  const standard = text.replace(/\s+/g, "").replaceAll("-", "+").replaceAll("_", "/");
  const padded = standard + "=".repeat((4 - (standard.length % 4)) % 4);
  try {
    const binary = atob(padded);
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

export function fromBase64urlText(text: string): string | null {
  const bytes = fromBase64url(text);
  return bytes === null ? null : decoder.decode(bytes);
}

// Google's page tokens are long opaque digit strings; an offset hidden in one does.
const TOKEN_BASE = 10_000_000_000_000_000_000n;

export function pageToken(offset: number): string {
  return String(TOKEN_BASE + BigInt(offset) * 7919n);
}

/** The offset a page token stands for; 0 without one, null when it is not one of ours. */
export function pageOffset(token: string | null): number | null {
  if (token === null || token === "") return 0;
  if (!/^\d{20}$/.test(token)) return null;
  const scaled = BigInt(token) - TOKEN_BASE;
  if (scaled < 0n || scaled % 7919n !== 0n) return null;
  return Number(scaled / 7919n);
}

export interface BodyPart {
  headers: Headers;
  body: Uint8Array;
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  outer: for (let i = from; i <= haystack.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/**
 * The parts of a `multipart/related` upload (`uploadType=multipart`: JSON
 * metadata, then the media), byte-exact; null when the body is not one.
 */
export function splitMultipart(body: Uint8Array, contentType: string | null): BodyPart[] | null {
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType ?? "")?.[1];
  if (!boundary) return null;
  const delimiter = encoder.encode(`--${boundary}`);
  const parts: BodyPart[] = [];
  let at = indexOf(body, delimiter, 0);
  while (at >= 0) {
    let start = at + delimiter.length;
    // `--boundary--` closes the body.
    if (body[start] === 0x2d && body[start + 1] === 0x2d) break;
    if (body[start] === 0x0d) start++;
    if (body[start] === 0x0a) start++;
    const next = indexOf(body, delimiter, start);
    if (next < 0) return null;
    let end = next;
    if (body[end - 1] === 0x0a) end--;
    if (body[end - 1] === 0x0d) end--;
    const part = body.subarray(start, end);
    const text = decoder.decode(part);
    const split = /\r?\n\r?\n/.exec(text);
    const headerText = split ? text.slice(0, split.index) : "";
    const headerBytes = split
      ? encoder.encode(text.slice(0, split.index + split[0].length)).length
      : 0;
    const headers = new Headers();
    for (const line of headerText.split(/\r?\n/)) {
      const colon = line.indexOf(":");
      if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    }
    parts.push({ headers, body: part.subarray(headerBytes) });
    at = next;
  }
  return parts;
}
