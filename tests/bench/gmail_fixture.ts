/**
 * A ~1 MB Gmail-like answer for benchmarks: full messages as
 * users.messages.get returns them (headers, snippet, text/plain and
 * text/html parts base64url-encoded), with a realistic density of PII (addresses in
 * headers, a phone in most signatures, an SSN, card or IBAN in some bodies)
 * or without any. Seeded: the same bytes every run.
 */
const TARGET_BYTES = 1024 * 1024;

/** Seeded PRNG (mulberry32): the same fixture every run. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ["Jane", "Omar", "Li", "Maria", "Kwame", "Sofia", "Raj", "Emma", "Lucas", "Aiko"];
const LAST = ["Doe", "Haddad", "Wei", "Garcia", "Mensah", "Rossi", "Patel", "Smith", "Martin"];
const SUBJECTS = [
  "Q3 planning follow-up",
  "Invoice #48213 for September",
  "Re: contract renewal",
  "Your order 112-4839201-5563412 has shipped",
  "Onboarding paperwork",
  "Weekly status: platform team",
  "Fwd: travel itinerary",
];
const FILLER = [
  "Thanks for the call on 2024-09-12 at 10:30; notes are below.",
  "The total comes to $1,284.50 including VAT, due within 30 days.",
  "We moved the release to v2.14.3 because of the migration on 15.10.2024.",
  "Order 112-4839201-5563412 left the warehouse at 14:05 and should arrive Tuesday.",
  "Let me know if the numbers in the attached sheet (rows 12-48) look right to you.",
  "Ticket INC0012345 was resolved; the root cause was a stale cache entry.",
  "Budget for FY2025 is 1,250,000 EUR, split 60/40 between build and run.",
  "I'll be out of office from Oct 3 to Oct 11, reachable by email.",
];
const PII = [
  "For the payroll form my SSN is 219-09-9999.",
  "Please charge the card 4111 1111 1111 1111, exp 09/27.",
  "Wire it to IBAN DE89 3704 0044 0532 0130 00 please.",
  "You can also reach me at +44 20 7946 0958 or (415) 555-0132.",
  "Social security number 078051120 as requested by HR.",
  "Backup card: 5555-5555-5555-4444.",
];

function b64url(text: string): string {
  return new TextEncoder().encode(text).toBase64({ alphabet: "base64url" });
}

function message(i: number, rnd: () => number, pii: boolean) {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  const name = () => `${pick(FIRST)} ${pick(LAST)}`;
  const addr = (n: string) => `${n.toLowerCase().replace(" ", ".")}@example.com`;
  const from = name();
  const to = name();
  const lines: string[] = [`Hi ${to.split(" ")[0]},`, ""];
  for (let p = 0; p < 6 + Math.floor(rnd() * 10); p++) lines.push(pick(FILLER));
  if (pii && rnd() < 0.35) lines.splice(3, 0, pick(PII));
  lines.push("", "Best,", from, "Acme Corp, 500 Market St, San Francisco");
  if (pii && rnd() < 0.7) lines.push(`Mobile: +1 415 555 ${String(1000 + i % 9000)}`);
  const plain = lines.join("\r\n");
  const html = `<div dir="ltr">${lines.map((l) => `<div>${l || "<br>"}</div>`).join("")}</div>`;
  const id = (0x18c2f3a4b5d6e7f0n + BigInt(i)).toString(16);
  const fromHeader = pii ? `${from} <${addr(from)}>` : from;
  const toHeader = pii ? `${to} <${addr(to)}>` : to;
  return {
    id,
    threadId: id,
    labelIds: ["INBOX", "CATEGORY_PERSONAL", i % 3 === 0 ? "UNREAD" : "IMPORTANT"],
    snippet: plain.slice(0, 180).replace(/\r\n/g, " "),
    payload: {
      partId: "",
      mimeType: "multipart/alternative",
      filename: "",
      headers: [
        { name: "Delivered-To", value: pii ? addr(to) : to },
        {
          name: "Received",
          value: `by 2002:a05:6a10:${
            (i * 7919 % 65536).toString(16)
          }:b0:5a2:1c4e with SMTP id x${i}csp${1000 + i}; Thu, 12 Sep 2024 01:30:${
            String(i % 60).padStart(2, "0")
          } -0700 (PDT)`,
        },
        {
          name: "ARC-Seal",
          value: "i=1; a=rsa-sha256; t=1726129800; cv=none; d=google.com; s=arc-20240605; " +
            "b=" + b64url(`${id}-seal-${i}`.repeat(6)),
        },
        { name: "MIME-Version", value: "1.0" },
        { name: "Date", value: "Thu, 12 Sep 2024 10:30:00 +0200" },
        { name: "Message-ID", value: `<CA+${id}${i}@mail.gmail.com>` },
        { name: "Subject", value: pick(SUBJECTS) },
        { name: "From", value: fromHeader },
        { name: "To", value: toHeader },
        { name: "Content-Type", value: `multipart/alternative; boundary="000000000000${id}"` },
      ],
      body: { size: 0 },
      parts: [
        {
          partId: "0",
          mimeType: "text/plain",
          filename: "",
          headers: [{ name: "Content-Type", value: 'text/plain; charset="UTF-8"' }],
          body: { size: plain.length, data: b64url(plain) },
        },
        {
          partId: "1",
          mimeType: "text/html",
          filename: "",
          headers: [
            { name: "Content-Type", value: 'text/html; charset="UTF-8"' },
            { name: "Content-Transfer-Encoding", value: "quoted-printable" },
          ],
          body: { size: html.length, data: b64url(html) },
        },
      ],
    },
    sizeEstimate: 4200 + plain.length + html.length,
    historyId: String(2_345_678 + i),
    internalDate: String(1_726_129_800_000 + i * 60_000),
  };
}

export function gmailFixture(pii: boolean): Uint8Array {
  const rnd = prng(42);
  const messages = [];
  let size = 0;
  for (let i = 0; size < TARGET_BYTES; i++) {
    const m = message(i, rnd, pii);
    size += JSON.stringify(m).length + 1;
    messages.push(m);
  }
  return new TextEncoder().encode(
    JSON.stringify({ messages, nextPageToken: "09876543210987654321", resultSizeEstimate: 201 }),
  );
}
