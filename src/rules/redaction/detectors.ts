import { luhnValid } from "./luhn.ts";

/**
 * The PII detectors behind the `redact` effect and the one-pass redactor built
 * from them. Each detector is a cheap regex that finds candidates plus a
 * validator that cuts false positives (Luhn and issuer ranges for cards,
 * mod-97 and country lengths for IBANs, SSA exclusions for SSNs). Choices
 * that trade recall for fewer false positives:
 *
 * - ssn: `123-45-6789` or `123 45 6789` (same separator twice), area not 000,
 *   666 or 9xx, group not 00, serial not 0000. Nine bare digits only right
 *   after "SSN", "SS#" or "social security (number|no)", because order
 *   numbers and ids are nine bare digits far more often than SSNs are.
 * - credit_card: 13–19 digits, a single space or dash allowed between any
 *   two, starting on a word boundary and not continuing into more digits; the
 *   issuer prefix and length must be Visa, Mastercard, Amex, Discover, JCB or
 *   Diners, and the Luhn check must pass.
 * - iban: upper-case country code + 2 check digits + BBAN, optionally spaced
 *   in groups of 4; the country must be in the length table and mod 97 = 1.
 * - email: pragmatic `local@domain.tld` (ASCII; alphabetic TLD of 2–24
 *   letters); `logo@2x.png`-style file names are not addresses.
 * - phone: E.164 (`+`, 8–15 digits, spaces, dots, dashes or parentheses
 *   between) and North American `(555) 123-4567`, `555-123-4567`,
 *   `555.123.4567`, `1-800-555-1234` (area code 2–9, same separator twice).
 *   Bare digit runs are never phones (ids, timestamps), nor are dates, times
 *   or version strings; card-length runs are tried as cards first.
 *
 * Only ASCII digits and letters are matched; numbers split by markup (HTML
 * entities, tags) are not found.
 */

export const BUILTIN_DETECTORS = ["ssn", "credit_card", "iban", "email", "phone"] as const;
export type BuiltinDetector = typeof BUILTIN_DETECTORS[number];
export type DetectorKind = BuiltinDetector | "custom";

export interface Redactor {
  /**
   * Replaces every match with `[REDACTED:<kind>]` and adds to `counts` by
   * kind. Returns `s` itself (same reference) when nothing matched, so
   * callers can tell "changed" by identity.
   */
  redactString(s: string, counts: Record<string, number>): string;
}

export interface RedactorSpec {
  /** Built-in detectors to run; "custom" is ignored here (custom = `regexes`). */
  patterns: readonly DetectorKind[];
  /** Operator regexes; matches count as "custom". */
  regexes: readonly RegExp[];
}

export function replacement(kind: DetectorKind): string {
  return `[REDACTED:${kind}]`;
}

export function ssnValid(area: string, group: string, serial: string): boolean {
  return area !== "000" && area !== "666" && area.charCodeAt(0) !== 57 /* 9 */ &&
    group !== "00" && serial !== "0000";
}

/** Issuer prefix and length of the card brands we redact (cuts Luhn's 1-in-10 false positives). */
export function knownCardIssuer(digits: string): boolean {
  const n = digits.length;
  const p2 = Number(digits.slice(0, 2));
  const p3 = Number(digits.slice(0, 3));
  const p4 = Number(digits.slice(0, 4));
  if (digits.charCodeAt(0) === 52 /* 4: Visa */) return n === 13 || n === 16 || n === 19;
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return n === 16;
  if (p2 === 34 || p2 === 37) return n === 15;
  if (p4 === 6011 || p2 === 65 || (p3 >= 644 && p3 <= 649)) return n >= 16 && n <= 19;
  if (p4 >= 3528 && p4 <= 3589) return n >= 16 && n <= 19;
  if ((p3 >= 300 && p3 <= 305) || p2 === 36 || p2 === 38) return n >= 14 && n <= 19;
  return false;
}

export function cardValid(digits: string): boolean {
  return knownCardIssuer(digits) && luhnValid(digits);
}

/** IBAN lengths by country (SWIFT IBAN registry), for the countries an operator is likely to meet. */
const IBAN_LENGTHS: ReadonlyMap<string, number> = new Map(
  (
    "AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BR29 CH21 CR22 CY28 CZ24 DE22 DK18 DO28 EE20 " +
    "EG29 ES24 FI18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HR21 HU28 IE22 IL23 IS26 IT27 JO30 " +
    "KW30 KZ20 LB28 LI21 LT20 LU20 LV21 MC27 MD24 ME22 MK19 MR27 MT31 MU30 NL18 NO15 PK24 PL28 " +
    "PS29 PT25 QA29 RO24 RS22 SA24 SE24 SI19 SK24 SM27 TN24 TR26 UA29 VG24 XK20 "
  ).trim().split(" ").map((e) => [e.slice(0, 2), Number(e.slice(2))]),
);

export function ibanLength(country: string): number | undefined {
  return IBAN_LENGTHS.get(country);
}

/** `compact` is upper-case alphanumerics without spaces. */
export function ibanValid(compact: string): boolean {
  if (compact.length < 5 || ibanLength(compact.slice(0, 2)) !== compact.length) return false;
  const rearranged = compact.slice(4) + compact.slice(0, 4);
  let r = 0;
  for (let i = 0; i < rearranged.length; i++) {
    const c = rearranged.charCodeAt(i);
    if (c >= 48 && c <= 57) r = (r * 10 + (c - 48)) % 97;
    else if (c >= 65 && c <= 90) r = (r * 100 + (c - 55)) % 97;
    else return false;
  }
  return r === 1;
}

/**
 * The IBAN candidate regex is greedy, so a spaced IBAN followed by a
 * four-character word ("… 7034 NEXT") is matched too long; the country length
 * says where it ends, and the cut must fall on a space.
 */
function redactIban(match: string): string | null {
  const expected = ibanLength(match.slice(0, 2));
  if (expected === undefined) return null;
  let seen = 0;
  let end = 0;
  let compact = "";
  while (end < match.length && seen < expected) {
    const ch = match[end++];
    if (ch !== " ") {
      compact += ch;
      seen++;
    }
  }
  if (seen < expected || (end < match.length && match[end] !== " ")) return null;
  return ibanValid(compact) ? replacement("iban") + match.slice(end) : null;
}

const FILE_EXTENSIONS = new Set(
  "png jpg jpeg gif svg webp ico css js mjs ts json html htm txt pdf zip md xml".split(" "),
);

/** `logo@2x.png` matches the address shape but is a file name. */
function plausibleEmail(match: string): boolean {
  return !FILE_EXTENSIONS.has(match.slice(match.lastIndexOf(".") + 1).toLowerCase());
}

function redactCard(match: string): string | null {
  return cardValid(match.replace(SEPARATORS, "")) ? replacement("credit_card") : null;
}

function redactSsn(match: string): string | null {
  return ssnValid(match.slice(0, 3), match.slice(4, 6), match.slice(7, 11))
    ? replacement("ssn")
    : null;
}

/** "SSN: 123456789": the label stays, the nine digits go. */
function redactLabelledSsn(match: string): string | null {
  const d = match.slice(-9);
  return ssnValid(d.slice(0, 3), d.slice(3, 5), d.slice(5))
    ? match.slice(0, -9) + replacement("ssn")
    : null;
}

function redactPhone(): string {
  return replacement("phone");
}

const SEPARATORS = /[ -]/g;

/** A digit-bearing detector: a candidate regex and its validator. */
interface Detector {
  readonly kind: BuiltinDetector;
  /** Name of the capturing group wrapping this detector in the combined regex. */
  readonly group: string;
  readonly source: string;
  /** The text that replaces the match, or null when validation rejects it. */
  readonly redact: (match: string) => string | null;
}

/**
 * Order matters where two candidates start at the same place: a 16-digit run
 * is a card before it could be anything else. Lookbehinds anchor every
 * candidate at a token start, which keeps scanning linear and skips digits
 * inside ids like `18c2f3a4`.
 */
const DETECTORS: readonly Detector[] = [
  {
    kind: "iban",
    group: "iban",
    source: String
      .raw`(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![A-Za-z0-9])`,
    redact: redactIban,
  },
  {
    kind: "credit_card",
    group: "card",
    source: String.raw`(?<![\w.+\-])[2-6]\d(?:[ \-]?\d){11,17}(?![\w\-]|[ .\-]\d)`,
    redact: redactCard,
  },
  {
    kind: "ssn",
    group: "ssn",
    source: String
      .raw`(?<![\w\-])(?:\d{3}-\d{2}-\d{4}(?![\w\-])|(?<!\d )\d{3} \d{2} \d{4}(?![\w\-]| \d))`,
    redact: redactSsn,
  },
  {
    kind: "ssn",
    group: "ssnlabel",
    source: String
      .raw`(?<![A-Za-z])(?:SSN|ssn|Ssn|SS#|[Ss]ocial [Ss]ecurity(?: [Nn]umber| [Nn]o\.?)?)(?: is)?[ \t:#=]{0,3}\d{9}(?![\w\-])`,
    redact: redactLabelledSsn,
  },
  {
    kind: "phone",
    group: "e164",
    source: String.raw`(?<![\w+])\+[1-9](?:[ .()\-]{0,2}\d){7,14}(?!\w)`,
    redact: redactPhone,
  },
  {
    kind: "phone",
    group: "nanp",
    source: String
      .raw`(?<![\w+.\-])(?:1[ .\-]?)?(?:\([2-9]\d{2}\) ?\d{3}[ .\-]\d{4}|[2-9]\d{2}(?<nanpsep>[ .\-])\d{3}\k<nanpsep>\d{4})(?![\w\-]|\.\d)`,
    redact: redactPhone,
  },
];

interface Scanner {
  readonly re: RegExp;
  readonly detectors: readonly Detector[];
}

function scanner(detectors: readonly Detector[]): Scanner | null {
  if (detectors.length === 0) return null;
  const source = detectors.map((d) => `(?<${d.group}>${d.source})`).join("|");
  return { re: new RegExp(source, "g"), detectors };
}

function bump(counts: Record<string, number>, kind: string): void {
  counts[kind] = (counts[kind] ?? 0) + 1;
}

function scan(s: string, { re, detectors }: Scanner, counts: Record<string, number>): string {
  re.lastIndex = 0;
  let out = "";
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    const groups = m.groups!;
    let redacted: string | null = null;
    let kind = "";
    for (const d of detectors) {
      const text = groups[d.group];
      if (text !== undefined) {
        redacted = d.redact(text);
        kind = d.kind;
        break;
      }
    }
    if (redacted === null) {
      // A rejected candidate may hide a valid one that starts inside it.
      re.lastIndex = m.index + 1;
      continue;
    }
    out += s.slice(last, m.index) + redacted;
    last = m.index + m[0].length;
    bump(counts, kind);
  }
  return last === 0 ? s : out + s.slice(last);
}

const EMAIL_AT = String
  .raw`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,24}(?![A-Za-z0-9\-])`;

function isLocalPartChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) ||
    c === 46 || c === 95 || c === 37 || c === 43 || c === 45; // . _ % + -
}

/**
 * Addresses are found from each "@" (a native indexOf) rather than by a regex
 * tried at every word start, which halved the scan cost of text with
 * addresses. Runs before the digit detectors, so an address wins over the
 * phone or card number in its local part; the replacement holds no digits.
 */
function scanEmails(s: string, sticky: RegExp, counts: Record<string, number>): string {
  let out = "";
  let last = 0;
  let at = s.indexOf("@");
  while (at !== -1) {
    let start = at;
    while (start > last && isLocalPartChar(s.charCodeAt(start - 1))) start--;
    let next = at + 1;
    if (start < at) {
      sticky.lastIndex = start;
      const m = sticky.exec(s);
      if (m !== null && plausibleEmail(m[0])) {
        out += s.slice(last, start) + replacement("email");
        last = next = start + m[0].length;
        bump(counts, "email");
      }
    }
    at = s.indexOf("@", next);
  }
  return last === 0 ? s : out + s.slice(last);
}

function scanCustom(s: string, re: RegExp, counts: Record<string, number>): string {
  re.lastIndex = 0;
  let out = "";
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    if (m[0].length === 0) {
      re.lastIndex = m.index + 1;
      continue;
    }
    out += s.slice(last, m.index) + replacement("custom");
    last = m.index + m[0].length;
    bump(counts, "custom");
  }
  return last === 0 ? s : out + s.slice(last);
}

/** The shortest thing a built-in detector can match is an address like `a@b.co`. */
const MIN_BUILTIN_LENGTH = 6;
const DIGIT = /\d/;

/**
 * One combined regex pass per string for the digit-bearing detectors, after
 * an "@"-driven pass for addresses. Most JSON strings (labels, words) are
 * rejected by a native `indexOf("@")` and digit test before any regex runs.
 */
export function buildRedactor(spec: RedactorSpec): Redactor {
  const enabled = new Set(spec.patterns);
  const digits = scanner(DETECTORS.filter((d) => enabled.has(d.kind)));
  const emails = enabled.has("email") ? new RegExp(EMAIL_AT, "y") : null;
  const customs = spec.regexes.map((r) => new RegExp(r.source, r.flags.replace(/[gy]/g, "") + "g"));

  return {
    redactString(s, counts) {
      let out = s;
      if (s.length >= MIN_BUILTIN_LENGTH) {
        if (emails !== null) out = scanEmails(out, emails, counts);
        if (digits !== null && DIGIT.test(out)) out = scan(out, digits, counts);
      }
      for (const re of customs) out = scanCustom(out, re, counts);
      return out;
    },
  };
}
