import assert from "node:assert/strict";
import { SecurixError } from "../errors/securix_error.ts";
import { MultipartOverrideScan, PART_HEAD_LIMIT, rackBoundary } from "./multipart_override_scan.ts";

const REFUSALS = {
  override: () => new SecurixError("SX-INVALID-INPUT", "override", { status: 400 }),
  headTooLong: () => new SecurixError("SX-INVALID-INPUT", "head too long", { status: 400 }),
};

const bytes = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
const text = (pieces: Uint8Array[]) => pieces.map((p) => String.fromCharCode(...p)).join("");

/** The body through a scan in the given chunks: what went on, and the refusal if any. */
function scanned(
  body: Uint8Array,
  cuts: number[],
  boundary = "b0und",
  refuseNamed = false,
): { out: string; refused: string | null; maxHeld: number } {
  const scan = new MultipartOverrideScan(boundary, "_method", REFUSALS, { refuseNamed });
  const out: Uint8Array[] = [];
  let maxHeld = 0;
  let at = 0;
  try {
    for (const cut of [...cuts, body.byteLength]) {
      out.push(...scan.push(body.subarray(at, cut)));
      maxHeld = Math.max(maxHeld, scan.holding);
      at = cut;
    }
    out.push(...scan.end());
    return { out: text(out), refused: null, maxHeld };
  } catch (error) {
    assert.ok(error instanceof SecurixError);
    return { out: text(out), refused: error.message, maxHeld };
  }
}

/** Every way to cut the body in two, and in one-byte chunks. */
function everySplit(body: string): number[][] {
  const splits = Array.from({ length: body.length + 1 }, (_, i) => [i]);
  splits.push(Array.from({ length: body.length }, (_, i) => i));
  return splits;
}

const part = (head: string, value: string) => `--b0und\r\n${head}\r\n\r\n${value}\r\n`;
const FIELD = part('Content-Disposition: form-data; name="title"', "a title");
const FILE = part(
  'Content-Disposition: form-data; name="file"; filename="m.rb"\r\nContent-Type: text/plain',
  'def x = _method = "DELETE"\n--b0un--b0u',
);
const END = "--b0und--\r\n";

Deno.test("multipart override scan: a `_method=DELETE` part is refused at every split point, none of its bytes let by", () => {
  const override = part('Content-Disposition: form-data; name="_method"', "DELETE");
  const body = `preamble\r\n${FIELD}${FILE}${override}${END}epilogue`;
  const before = body.indexOf(override);
  for (const cuts of everySplit(body)) {
    const { out, refused } = scanned(bytes(body), cuts);
    assert.equal(refused, "override", `cut at ${cuts}`);
    assert.ok(body.startsWith(out), `cut at ${cuts}: only bytes in order`);
    assert.ok(
      out.length <= before,
      `cut at ${cuts}: ${out.length} bytes let by, part at ${before}`,
    );
  }
});

Deno.test("multipart override scan: a body without an override goes by byte for byte at every split point", () => {
  const kept = part('Content-Disposition: form-data; name="_method"', "post") +
    part('Content-Disposition: form-data; name="_method"', "destroy") +
    part('Content-Disposition: form-data; name="_method"', "DELETE!");
  const body = `pre --b0un\r\n${FIELD}${FILE}${kept}${END}after --b0und`;
  for (const cuts of everySplit(body)) {
    const { out, refused, maxHeld } = scanned(bytes(body), cuts);
    assert.equal(refused, null, `cut at ${cuts}`);
    assert.equal(out, body, `cut at ${cuts}`);
    assert.ok(maxHeld < 200, `cut at ${cuts}: held ${maxHeld}`);
  }
});

Deno.test("multipart override scan: every spelling Rack reads as the field, and every value it takes as a method", () => {
  const cases: [string, string][] = [
    ['Content-Disposition: form-data; name="x"; name="_method"', "DELETE"],
    ["content-disposition: form-data; name=_method", "delete"],
    ['Content-Disposition: form-data; name="[_method]"', "PATCH"],
    ['Content-Disposition: form-data; name="\\_me\\thod"', "put"],
    ["Content-Disposition: form-data; name*=utf-8''%5Fmethod", "DELETE"],
    ["Content-ID: _method", "DELETE"],
    ['Content-Disposition: form-data; name="_METHOD"', "DELETE"],
    // Ruby's upcase maps the dotless ı to I, as JavaScript's does.
    ['Content-Disposition: form-data; name="_method"', "optıons"],
    ['Content-Disposition: form-data; name="_method"', "link"],
  ];
  for (const [head, value] of cases) {
    const utf8 = String.fromCharCode(...new TextEncoder().encode(part(head, value)));
    assert.equal(scanned(bytes(utf8 + END), []).refused, "override", `${head} = ${value}`);
  }
  // UTF-16 under a charset Rack honours, a value ended by the body's end, a bare delimiter.
  const utf16 = String.fromCharCode(
    ...new Uint8Array(new Uint16Array([68, 69, 76, 69, 84, 69]).buffer),
  );
  const tails = [
    part('Content-Disposition: form-data; name="_method"', utf16) + END,
    '--b0und\r\nContent-Disposition: form-data; name="_method"\r\n\r\nDELETE',
    '--b0und\r\nContent-Disposition: form-data; name="_method"\r\n\r\nDELETE--b0und--',
    // Rack 2 ends a value at a bare delimiter mid-line.
    `${
      FIELD.slice(0, -2)
    }--b0und\r\nContent-Disposition: form-data; name="_method"\r\n\r\nDELETE\n--b0und--`,
    // Rack reads the header block from the line after the delimiter's.
    '--b0und\r\n\r\nContent-Disposition: form-data; name="_method"\r\n\r\nDELETE\r\n--b0und--',
  ];
  for (const body of tails) {
    assert.equal(scanned(bytes(body), []).refused, "override", JSON.stringify(body));
  }
});

/** Bodies Rack 2.2 (MethodOverride on a MockRequest) reads as DELETE: a line only starting like a delimiter shifts nothing. */
const FAKE_LINE_ATTACKS = [
  // Rack skips `--b0undx`, takes the next line as the delimiter, and its header block is
  // `\r\nContent-ID: _method\r\n`.
  "--b0undx\r\n--b0und\r\n\r\nContent-ID: _method\r\n\r\nDELETE\r\n--b0und--\r\n",
  // Rack 2's Content-Disposition pattern is unanchored: it reads a name mid-line.
  '--b0undx\r\n--b0und\r\nX-Content-Disposition: form-data; name="_method"\r\n\r\nDELETE\r\n--b0und--\r\n',
  // A delimiter mid-line in a file ends it, then Rack skips to the next delimiter line.
  '--b0und\r\nContent-Disposition: form-data; name="f"; filename="a.txt"\r\n\r\nabc --b0und\r\n' +
  "--b0und\r\n\r\nContent-ID: _method\r\n\r\nDELETE\r\n--b0und--\r\n",
];

Deno.test("multipart override scan: a line that only starts like a delimiter hides no part, at every split point", () => {
  for (const body of FAKE_LINE_ATTACKS) {
    for (const refuseNamed of [false, true]) {
      for (const cuts of everySplit(body)) {
        const { out, refused } = scanned(bytes(body), cuts, "b0und", refuseNamed);
        assert.equal(refused, "override", `${JSON.stringify(body)} cut at ${cuts}`);
        assert.ok(!out.includes("DELETE"), `${JSON.stringify(body)} cut at ${cuts}: ${out}`);
      }
    }
  }
  // The same lines around fields that name nothing go by byte for byte.
  const benign = `--b0undx\r\n${FIELD}${FILE.replace("m.rb", "m.rb\r\n--b0und x")}${END}`;
  for (const cuts of everySplit(benign)) {
    assert.deepEqual(scanned(bytes(benign), cuts).out, benign, `cut at ${cuts}`);
  }
});

Deno.test("multipart override scan: a part naming the field in a charset other than UTF-8 is refused; a long one goes by", () => {
  const latin = (head: string, value: string) => bytes(part(head, value) + END);
  // Rack upcases `opt\xFDons` in iso-8859-9 (ı) to OPTIONS.
  const turkish = 'Content-Disposition: form-data; name="_method"\r\n' +
    "Content-Type: text/plain; charset=iso-8859-9";
  assert.equal(scanned(latin(turkish, "opt\xFDons"), []).refused, "override");
  assert.equal(
    scanned(latin(turkish.replace("iso-8859-9", '"koi8-r"'), "x"), []).refused,
    "override",
  );
  const own = turkish.replace("iso-8859-9", "UTF-8");
  assert.equal(scanned(latin(own, "opt\xFDons"), []).refused, null);
  // An upload mentioning the field in another charset is no method when it is long.
  const upload = 'Content-Disposition: form-data; name="f"; filename="define_method.rb"\r\n' +
    "Content-Type: text/plain; charset=iso-8859-1";
  assert.equal(scanned(latin(upload, "x".repeat(200)), []).refused, null);
});

Deno.test("multipart override scan: refuseNamed refuses a named part whatever its value, not a mention", () => {
  const named = [
    'Content-Disposition: form-data; name="_method"',
    "Content-ID: _method",
    'X-Content-Disposition: form-data; name="[_method]"',
    "Content-Disposition: form-data; name*=utf-8''%5Fmethod",
  ];
  for (const head of named) {
    const body = bytes(part(head, "patch-not") + END);
    assert.equal(scanned(body, [], "b0und", true).refused, "override", head);
    assert.equal(scanned(body, [], "b0und", false).refused, null, head);
  }
  const mentions = [
    'Content-Disposition: form-data; name="merge_method"',
    'Content-Disposition: form-data; name="f"; filename="_method.rb"',
  ];
  for (const head of mentions) {
    assert.equal(scanned(bytes(part(head, "x") + END), [], "b0und", true).refused, null, head);
  }
});

Deno.test("multipart override scan: a long value is no method and goes by; a long header block is refused", () => {
  const long = part('Content-Disposition: form-data; name="_method"', "DELETE" + " ".repeat(100));
  const body = `${long}${FIELD}${END}`;
  assert.deepEqual(scanned(bytes(body), [70]), { out: body, refused: null, maxHeld: 70 });
  const huge = `--b0und\r\nX-Pad: ${
    "a".repeat(PART_HEAD_LIMIT)
  }\r\nContent-Disposition: form-data; name="ok"\r\n\r\n1\r\n${END}`;
  const { refused, maxHeld } = scanned(bytes(huge), [1000, 40_000]);
  assert.equal(refused, "head too long");
  assert.ok(maxHeld <= PART_HEAD_LIMIT + 16, `held ${maxHeld}`);
});

Deno.test("multipart override scan: 16 MiB of upload holds back a few bytes, not the body", () => {
  const scan = new MultipartOverrideScan("b0und", "_method", REFUSALS);
  const chunk = new Uint8Array(64 * 1024);
  for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 7919) & 0xff;
  // Dashes at the chunk's end: a delimiter's start the next chunk does not complete.
  chunk.set(bytes("--b0u"), chunk.length - 5);
  let passed = 0;
  let maxHeld = 0;
  const head = bytes(part('Content-Disposition: form-data; name="file"; filename="a"', ""));
  for (const piece of scan.push(head)) passed += piece.byteLength;
  for (let i = 0; i < 256; i++) {
    for (const piece of scan.push(chunk)) passed += piece.byteLength;
    maxHeld = Math.max(maxHeld, scan.holding);
  }
  for (const piece of scan.end()) passed += piece.byteLength;
  assert.equal(passed, head.byteLength + 256 * chunk.byteLength);
  assert.equal(maxHeld, 5);
});

Deno.test("multipart override scan: the boundary as Rack reads it from Content-Type", () => {
  assert.equal(rackBoundary("multipart/form-data; boundary=b0und"), "b0und");
  assert.equal(rackBoundary('multipart/form-data; BOUNDARY="b 0"; charset=x'), "b 0");
  assert.equal(rackBoundary("multipart/form-data"), null);
  assert.equal(rackBoundary('multipart/form-data; boundary=""'), null);
  assert.equal(rackBoundary("multipart/form-data; boundary=a; xboundary=b"), "ambiguous");
});
