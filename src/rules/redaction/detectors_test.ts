import assert from "node:assert/strict";
import {
  buildRedactor,
  cardValid,
  ibanValid,
  knownCardIssuer,
  type Redactor,
  ssnValid,
} from "./detectors.ts";

const all = buildRedactor({
  patterns: ["ssn", "credit_card", "iban", "email", "phone"],
  regexes: [],
});

function redact(s: string, r: Redactor = all): { out: string; counts: Record<string, number> } {
  const counts: Record<string, number> = {};
  return { out: r.redactString(s, counts), counts };
}

function assertUntouched(samples: readonly string[], r: Redactor = all): void {
  for (const s of samples) {
    const counts: Record<string, number> = {};
    const out = r.redactString(s, counts);
    assert.equal(out, s, `changed: ${s}`);
    assert.deepEqual(counts, {}, `counted: ${s}`);
  }
}

Deno.test("ssn: dashed and spaced forms are redacted", () => {
  assert.deepEqual(redact("My SSN is 123-45-6789."), {
    out: "My SSN is [REDACTED:ssn].",
    counts: { ssn: 1 },
  });
  assert.equal(redact("ssn 219 09 9999 on file").out, "ssn [REDACTED:ssn] on file");
  assert.equal(redact("(078-05-1120)").out, "([REDACTED:ssn])");
});

Deno.test("ssn: nine bare digits only with an SSN label, and the label stays", () => {
  assert.equal(redact("SSN: 123456789").out, "SSN: [REDACTED:ssn]");
  assert.equal(
    redact("Social Security Number 219099999").out,
    "Social Security Number [REDACTED:ssn]",
  );
  assert.equal(redact("ssn#219099999").out, "ssn#[REDACTED:ssn]");
  assertUntouched(["Order 123456789 shipped", "invoice no. 219099999", "SSN: 000456789"]);
});

Deno.test("ssn: invalid areas, groups, serials and look-alikes are not redacted", () => {
  assertUntouched([
    "000-12-3456",
    "666-12-3456",
    "912-12-3456",
    "123-00-4567",
    "123-45-0000",
    "123-45 6789", // mixed separators
    "ORD-123-45-6789", // part of an order code
    "123-45-6789-01",
    "2023-45-6789",
    "1 123 45 6789 2",
  ]);
  assert.equal(ssnValid("123", "45", "6789"), true);
  assert.equal(ssnValid("987", "65", "4321"), false);
});

Deno.test("credit_card: Luhn-valid numbers of known issuers, plain or grouped", () => {
  const cases = [
    "4111111111111111",
    "4111 1111 1111 1111",
    "4111-1111-1111-1111",
    "5555 5555 5555 4444",
    "2223 0031 2200 3222",
    "3782 822463 10005",
    "6011 1111 1111 1117",
    "3530 1113 3330 0000",
    "3056 9309 0259 04",
  ];
  for (const c of cases) {
    assert.deepEqual(redact(`Card: ${c}, exp 12/27`), {
      out: "Card: [REDACTED:credit_card], exp 12/27",
      counts: { credit_card: 1 },
    }, c);
  }
});

Deno.test("credit_card: Luhn failures, unknown issuers and long ids are left alone", () => {
  assertUntouched([
    "4111 1111 1111 1112", // Luhn fails
    "1234567812345670", // Luhn-valid, no issuer starts with 1
    "9111111111111111",
    "1700000000000", // internalDate in ms
    "1700000000000000", // µs timestamp
    "41111111111111110000", // 20 digits
    "4111 1111 1111 1111 2024", // continues into more digits
    "order-4111111111111111", // part of an id
    "18c2f4111111111111111", // inside a hex id
    "4111111111111111.50", // a decimal
  ]);
  assert.equal(knownCardIssuer("5105105105105100"), true);
  assert.equal(knownCardIssuer("51051051051051"), false); // Mastercard is 16 long
  assert.equal(cardValid("378282246310005"), true);
  assert.equal(cardValid("378282246310006"), false);
});

Deno.test("iban: valid check digits, spaced or compact, are redacted", () => {
  const cases = [
    "DE89 3704 0044 0532 0130 00",
    "DE89370400440532013000",
    "GB82 WEST 1234 5698 7654 32",
    "FR14 2004 1010 0505 0001 3M02 606",
    "NL91ABNA0417164300",
    "BE68 5390 0754 7034",
    "NO93 8601 1117 947",
    "CH93 0076 2011 6238 5295 7",
  ];
  for (const c of cases) {
    assert.deepEqual(redact(`IBAN ${c} (EUR)`), {
      out: "IBAN [REDACTED:iban] (EUR)",
      counts: { iban: 1 },
    }, c);
  }
  // Greedy groups take the next word; the country length cuts it back.
  assert.equal(redact("BE68 5390 0754 7034 BIC1 follows").out, "[REDACTED:iban] BIC1 follows");
});

Deno.test("iban: wrong check digits, unknown countries and wrong lengths are left alone", () => {
  assertUntouched([
    "DE88 3704 0044 0532 0130 00",
    "GB83 WEST 1234 5698 7654 32",
    "ZZ89 3704 0044 0532 0130 00",
    "DE89 3704 0044 0532 0130", // too short for DE
    "de89370400440532013000", // lower case
  ]);
  assert.equal(ibanValid("DE89370400440532013000"), true);
  assert.equal(ibanValid("DE89370400440532013001"), false);
  assert.equal(ibanValid("DE8937040044053201300"), false);
});

Deno.test("email: addresses are redacted, handles and file names are not", () => {
  assert.deepEqual(redact("From: Jane Doe <jane.doe+work@mail.example.co.uk>"), {
    out: "From: Jane Doe <[REDACTED:email]>",
    counts: { email: 1 },
  });
  assert.equal(redact("a@b.co, x_y@corp-mail.io").out, "[REDACTED:email], [REDACTED:email]");
  assertUntouched([
    "@jane mentioned you",
    "npm:hono@4.13.19",
    "logo@2x.png",
    "user@localhost",
    "price@ $20",
  ]);
});

Deno.test("phone: E.164 and North American forms are redacted", () => {
  const cases = [
    "+1 (415) 555-0132",
    "+14155550132",
    "+44 20 7946 0958",
    "+49 30 901820",
    "(555) 123-4567",
    "555-123-4567",
    "555.123.4567",
    "1-800-555-1234",
  ];
  for (const c of cases) {
    assert.deepEqual(redact(`Call ${c} today`), {
      out: "Call [REDACTED:phone] today",
      counts: { phone: 1 },
    }, c);
  }
});

Deno.test("phone: dates, timestamps, versions, prices, ids and offsets are not phones", () => {
  assertUntouched([
    "2024-01-15",
    "2024-01-15T10:30:00.000Z",
    "2024-01-15T10:30:00+05:30",
    "Thu, 15 Feb 2024 10:30:00 -0800",
    "15.02.2024 10:30",
    "v1.2.3",
    "version 10.15.7",
    "$1,234,567.89",
    "4155550132", // bare ten digits: an id as often as a phone
    "1700000000000",
    "192.168.100.200",
    "555-1234", // seven digits, no area code
    "155-123-4567", // area code cannot start with 1
    "555-123.4567", // mixed separators
    "+12345", // too short
    "Score +1234",
  ]);
});

Deno.test("several kinds in one string are all redacted and counted", () => {
  const { out, counts } = redact(
    "Hi, I'm jane@example.com, SSN 123-45-6789, card 4111 1111 1111 1111, " +
      "IBAN DE89 3704 0044 0532 0130 00, cell +1 415 555 0132 or 415-555-0199.",
  );
  assert.equal(
    out,
    "Hi, I'm [REDACTED:email], SSN [REDACTED:ssn], card [REDACTED:credit_card], " +
      "IBAN [REDACTED:iban], cell [REDACTED:phone] or [REDACTED:phone].",
  );
  assert.deepEqual(counts, { email: 1, ssn: 1, credit_card: 1, iban: 1, phone: 2 });
});

Deno.test("unchanged strings come back as the same reference", () => {
  const s = "Meeting at 10:30 on 2024-01-15, ticket 18c2f3a4b5d6e7f8";
  const counts: Record<string, number> = {};
  assert.equal(Object.is(all.redactString(s, counts), s), true);
  assert.deepEqual(counts, {});
});

Deno.test("only the chosen detectors run", () => {
  const ssnOnly = buildRedactor({ patterns: ["ssn"], regexes: [] });
  const { out, counts } = redact("jane@example.com 123-45-6789 4111111111111111", ssnOnly);
  assert.equal(out, "jane@example.com [REDACTED:ssn] 4111111111111111");
  assert.deepEqual(counts, { ssn: 1 });
  const emailOnly = buildRedactor({ patterns: ["email"], regexes: [] });
  assertUntouched(["123-45-6789 4111111111111111"], emailOnly);
  assert.equal(redact("x 123-45-6789 a@b.co", emailOnly).out, "x 123-45-6789 [REDACTED:email]");
});

Deno.test("custom regexes are counted as custom, whatever their flags", () => {
  const r = buildRedactor({ patterns: ["ssn"], regexes: [/PRJ-\d{4}/, /secret/iy, /x*/] });
  const { out, counts } = redact("PRJ-1234 and prj-9999, SECRET, 123-45-6789, PRJ-0001", r);
  assert.equal(
    out,
    "[REDACTED:custom] and prj-9999, [REDACTED:custom], [REDACTED:ssn], [REDACTED:custom]",
  );
  assert.deepEqual(counts, { ssn: 1, custom: 3 });
});

Deno.test("redacted output is stable under a second pass", () => {
  const once = redact("SSN 123-45-6789, a@b.co, +14155550132").out;
  const counts: Record<string, number> = {};
  assert.equal(all.redactString(once, counts), once);
  assert.deepEqual(counts, {});
});

Deno.test("long digit and word runs scan in linear time", () => {
  const hostile = "1".repeat(200_000) + " " + "a".repeat(200_000) + "@" + "b.".repeat(50_000);
  const t = performance.now();
  redact(hostile);
  assert.ok(performance.now() - t < 2000, "took too long");
});
