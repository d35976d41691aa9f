/**
 * The response field that names one request to the appliance's logs and
 * audit log. In the `securix-` family: the proxy strips every `securix-*`
 * header on the way upstream, so an id a client copies into a call never
 * reaches a provider.
 */
export const REQUEST_ID_HEADER = "securix-request-id";

/** Hands out request ids, unique across isolates and processes: `req_` + 21 base32hex characters. */
export type RequestIds = () => string;

/**
 * A source of request ids: 64 random bits drawn once (per isolate, in
 * practice) and a counter. Two sources collide only if their prefixes do
 * (about k²/2⁶⁵ for k sources ever started), and ids from one source never
 * repeat, so isolates and nodes sharing a database hand out distinct ids
 * without asking each other. A counter, not a random value per request: a
 * random UUID per call costs more than the rest of the id's work together.
 */
export function requestIdSource(
  random: (bytes: Uint8Array) => Uint8Array = (bytes) => crypto.getRandomValues(bytes),
): RequestIds {
  // The counter's last two digits come from a table, the rest is redrawn every 1,024
  // ids: one concatenation per id, cheaper than formatting and padding a number.
  let head = "";
  let high = 0;
  let low = LOW.length;
  return function nextRequestId(): string {
    if (low === LOW.length) {
      // Drawn on first use, not when the module loads: no side effect at import.
      if (head === "") head = `req_${randomPrefix(random)}`;
      head = head.slice(0, PREFIX_LENGTH) + high.toString(32).padStart(5, "0");
      high++;
      low = 0;
    }
    return head + LOW[low++];
  };
}

/** `req_` and 14 random digits. */
const PREFIX_LENGTH = 18;
/** `00` to `vv`. Seven counter digits cover 32⁷ (34 billion) ids at one length; then they grow. */
const LOW = Array.from({ length: 1024 }, (_, i) => i.toString(32).padStart(2, "0"));

function randomPrefix(random: (bytes: Uint8Array) => Uint8Array): string {
  const words = new Uint32Array(random(new Uint8Array(8)).buffer, 0, 2);
  return words[0].toString(32).padStart(7, "0") + words[1].toString(32).padStart(7, "0");
}

let isolateSource: RequestIds | null = null;

/** This isolate's source: every door of one serving isolate draws from it. */
export function isolateRequestIds(): RequestIds {
  return isolateSource ??= requestIdSource();
}

/** What a request id looks like, for the CLI's filter and the tests. */
export const REQUEST_ID_PATTERN = /^req_[0-9a-v]{21,}$/;

/** Longest caller trace id kept (`x-request-id`). */
export const CLIENT_REQUEST_ID_MAX = 128;
const CLIENT_REQUEST_ID = /^[\x21-\x7e]+$/;

/**
 * A caller's own trace id (`x-request-id`) when it is worth keeping beside
 * ours: 1–128 visible ASCII characters. Anything else is dropped, not
 * refused: tracing is the caller's business, and no call should fail over it.
 * Never taken as our id: anyone can send any value.
 */
export function clientRequestId(sent: string | null): string | null {
  if (sent === null || sent.length > CLIENT_REQUEST_ID_MAX) return null;
  return CLIENT_REQUEST_ID.test(sent) ? sent : null;
}
