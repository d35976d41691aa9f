/**
 * The fake Gmail mailbox every test starts from (alice@acme.com). Ids are
 * exported so tests name messages instead of repeating hex strings.
 *
 * PII: SSN `123-45-6789` is in HR_PAYROLL (hidden under `hide HR`) and in
 * CARD_ON_FILE (INBOX, for redaction); CARD_ON_FILE also carries the
 * Luhn-valid card `4111 1111 1111 1111`, an IBAN, a phone number and an
 * email address, in both its text/plain and text/html parts.
 */
import type { MailMessage, MailPart } from "./gmail_mime.ts";

export const MAILBOX = "alice@acme.com";

export interface GmailLabel {
  id: string;
  name: string;
  type: "system" | "user";
}

export const LABEL_IDS = {
  HR: "Label_1",
  Legal: "Label_2",
  Projects: "Label_3",
  BoardMinutes: "Label_4",
};

export function seedLabels(): GmailLabel[] {
  const system = [
    "CHAT",
    "SENT",
    "INBOX",
    "IMPORTANT",
    "TRASH",
    "DRAFT",
    "SPAM",
    "CATEGORY_FORUMS",
    "CATEGORY_UPDATES",
    "CATEGORY_PERSONAL",
    "CATEGORY_PROMOTIONS",
    "CATEGORY_SOCIAL",
    "STARRED",
    "UNREAD",
  ].map((id) => ({ id, name: id, type: "system" as const }));
  return [
    ...system,
    { id: LABEL_IDS.HR, name: "HR", type: "user" },
    { id: LABEL_IDS.Legal, name: "Legal", type: "user" },
    { id: LABEL_IDS.Projects, name: "Projects", type: "user" },
    { id: LABEL_IDS.BoardMinutes, name: "Board Minutes", type: "user" },
  ];
}

export const MESSAGE_IDS = {
  /** INBOX, UNREAD, IMPORTANT. No PII. */
  PLANNING: "18f3a1c2b4d5e601",
  /** HR + INBOX. SSN 123-45-6789 in text/plain; attachment payroll-2024.pdf. */
  HR_PAYROLL: "18f3a1c2b4d5e602",
  /** HR only. */
  HR_BENEFITS: "18f3a1c2b4d5e603",
  /** Legal + INBOX; attachment contoso-nda.pdf. */
  LEGAL_NDA: "18f3a1c2b4d5e604",
  /** Legal only. */
  LEGAL_HOLD: "18f3a1c2b4d5e605",
  /** INBOX, UNREAD. SSN, card 4111 1111 1111 1111, IBAN, phone, email; text + html parts. */
  CARD_ON_FILE: "18f3a1c2b4d5e606",
  /** Projects + INBOX; first of thread LAUNCH (mixed labels). */
  LAUNCH: "18f3a1c2b4d5e607",
  /** HR only; second message of thread LAUNCH. */
  LAUNCH_HR_REPLY: "18f3a1c2b4d5e608",
  /** SENT; reply in the CARD_ON_FILE thread. */
  SENT_REPLY: "18f3a1c2b4d5e609",
  /** "Board Minutes" (a label with a space). */
  BOARD_MINUTES: "18f3a1c2b4d5e60a",
  /** SPAM: absent from lists unless includeSpamTrash or `in:spam`. */
  SPAM: "18f3a1c2b4d5e60b",
};

export const THREAD_IDS = {
  /** CARD_ON_FILE + SENT_REPLY. */
  CARD_ON_FILE: MESSAGE_IDS.CARD_ON_FILE,
  /** LAUNCH (Projects, INBOX) + LAUNCH_HR_REPLY (HR). */
  LAUNCH: MESSAGE_IDS.LAUNCH,
};

export const PII = {
  ssn: "123-45-6789",
  card: "4111 1111 1111 1111",
  iban: "DE89 3704 0044 0532 0130 00",
  phone: "+1 415-555-0132",
  email: "bob.stone@example.com",
};

const encoder = new TextEncoder();

interface Seed {
  id: string;
  threadId?: string;
  labels: string[];
  from: string;
  to: string;
  cc?: string;
  subject: string;
  text: string;
  html?: string;
  files?: { filename: string; mimeType: string; content: string }[];
}

function crlf(text: string): string {
  return text.replace(/\r?\n/g, "\r\n");
}

function rootPart(seed: Seed, index: number): MailPart {
  const plain: MailPart = { kind: "text", mimeType: "text/plain", text: crlf(seed.text) };
  const body: MailPart = seed.html
    ? {
      kind: "multipart",
      mimeType: "multipart/alternative",
      boundary: `000000000000a1b2c3d4e5f6${index.toString(16).padStart(4, "0")}`,
      parts: [plain, { kind: "text", mimeType: "text/html", text: crlf(seed.html) }],
    }
    : plain;
  if (!seed.files?.length) return body;
  return {
    kind: "multipart",
    mimeType: "multipart/mixed",
    boundary: `000000000000f6e5d4c3b2a1${index.toString(16).padStart(4, "0")}`,
    parts: [
      body,
      ...seed.files.map((f, i): MailPart => ({
        kind: "attachment",
        mimeType: f.mimeType,
        filename: f.filename,
        attachmentId: `ANGjdJ8${seed.id.slice(-3)}${i}wXk3vQ_${f.filename.replace(/\W/g, "")}`,
        bytes: encoder.encode(f.content),
      })),
    ],
  };
}

// 2024-05-06T09:00:00Z, one hour apart per message: later ids are newer.
const FIRST_DATE = Date.UTC(2024, 4, 6, 9, 0, 0);

function message(seed: Seed, index: number): MailMessage {
  const internalDate = FIRST_DATE + index * 3_600_000;
  const headers: [string, string][] = [
    ["Delivered-To", MAILBOX],
    [
      "Received",
      `by 2002:a05:6a10:8f0b:b0:5a1:${index}::; ${new Date(internalDate).toUTCString()}`,
    ],
    ["Date", new Date(internalDate).toUTCString().replace("GMT", "+0000")],
    ["Message-ID", `<CAF=${seed.id}@mail.gmail.com>`],
    ["Subject", seed.subject],
    ["From", seed.from],
    ["To", seed.to],
  ];
  if (seed.cc) headers.push(["Cc", seed.cc]);
  return {
    id: seed.id,
    threadId: seed.threadId ?? seed.id,
    labelIds: seed.labels,
    headers,
    root: rootPart(seed, index),
    internalDate,
    historyId: 184_200 + index * 17,
  };
}

const ALICE = `Alice Martin <${MAILBOX}>`;

const SEEDS: Seed[] = [
  {
    id: MESSAGE_IDS.PLANNING,
    labels: ["INBOX", "UNREAD", "IMPORTANT", "CATEGORY_PERSONAL"],
    from: "Carol Diaz <carol@acme.com>",
    to: ALICE,
    subject: "Quarterly planning",
    text: "Hi Alice,\n\nCan we move the quarterly planning review to Thursday at 10:00?\n\n" +
      "Thanks,\nCarol\n",
  },
  {
    id: MESSAGE_IDS.HR_PAYROLL,
    labels: [LABEL_IDS.HR, "INBOX", "CATEGORY_PERSONAL"],
    from: "People Team <people@acme.com>",
    to: ALICE,
    subject: "Your updated payroll record",
    text: `Hi Alice,\n\nWe updated your payroll record. SSN on file: ${PII.ssn}.\n` +
      "Your new salary applies from June 1.\n\nPeople Team\n",
    files: [{
      filename: "payroll-2024.pdf",
      mimeType: "application/pdf",
      content: `%PDF-1.4\n% payroll record, SSN ${PII.ssn}\n%%EOF\n`,
    }],
  },
  {
    id: MESSAGE_IDS.HR_BENEFITS,
    labels: [LABEL_IDS.HR, "CATEGORY_UPDATES"],
    from: "Benefits <benefits@acme.com>",
    to: ALICE,
    subject: "Benefits enrollment closes Friday",
    text: "Reminder: open enrollment for 2024 benefits closes this Friday.\n",
  },
  {
    id: MESSAGE_IDS.LEGAL_NDA,
    labels: [LABEL_IDS.Legal, "INBOX", "IMPORTANT"],
    from: "Legal <legal@acme.com>",
    to: ALICE,
    cc: "Carol Diaz <carol@acme.com>",
    subject: "NDA: Contoso partnership",
    text: "Alice, attached is the countersigned NDA with Contoso. Please do not forward.\n",
    html: '<div dir="ltr">Alice, attached is the countersigned NDA with Contoso. ' +
      "<b>Please do not forward.</b></div>\n",
    files: [{
      filename: "contoso-nda.pdf",
      mimeType: "application/pdf",
      content: "%PDF-1.4\n% mutual NDA Acme / Contoso\n%%EOF\n",
    }],
  },
  {
    id: MESSAGE_IDS.LEGAL_HOLD,
    labels: [LABEL_IDS.Legal],
    from: "Legal <legal@acme.com>",
    to: ALICE,
    subject: "Litigation hold notice",
    text: "You are subject to a litigation hold. Preserve all records about Project Falcon.\n",
  },
  {
    id: MESSAGE_IDS.CARD_ON_FILE,
    labels: ["INBOX", "UNREAD", "CATEGORY_PERSONAL"],
    from: `Bob Stone <${PII.email}>`,
    to: ALICE,
    subject: "Card on file for the offsite",
    text: `Hi Alice,\n\nFor the offsite booking: card ${PII.card}, exp 09/27.\n` +
      `My SSN for the travel form is ${PII.ssn}. IBAN for the refund: ${PII.iban}.\n` +
      `Call me at ${PII.phone} or write to ${PII.email}.\n\nBob\n`,
    html: `<div dir="ltr">Hi Alice,<br><br>For the offsite booking: card ${PII.card}, ` +
      `exp 09/27.<br>My SSN for the travel form is ${PII.ssn}. IBAN for the refund: ` +
      `${PII.iban}.<br>Call me at ${PII.phone} or write to ` +
      `<a href="mailto:${PII.email}">${PII.email}</a>.<br><br>Bob</div>\n`,
  },
  {
    id: MESSAGE_IDS.LAUNCH,
    labels: [LABEL_IDS.Projects, "INBOX"],
    from: "Dana Lee <dana.lee@contoso.com>",
    to: ALICE,
    subject: "Launch checklist",
    text: "Alice, here is the launch checklist for next week. Can you confirm the date?\n",
  },
  {
    id: MESSAGE_IDS.LAUNCH_HR_REPLY,
    threadId: MESSAGE_IDS.LAUNCH,
    labels: [LABEL_IDS.HR],
    from: "Carol Diaz <carol@acme.com>",
    to: ALICE,
    cc: "People Team <people@acme.com>",
    subject: "Re: Launch checklist",
    text: "Looping in People: Dana's contract extension needs HR sign-off before launch.\n",
  },
  {
    id: MESSAGE_IDS.SENT_REPLY,
    threadId: MESSAGE_IDS.CARD_ON_FILE,
    labels: ["SENT"],
    from: ALICE,
    to: `Bob Stone <${PII.email}>`,
    subject: "Re: Card on file for the offsite",
    text: "Thanks Bob, booked. Please don't send card numbers by email next time.\n",
  },
  {
    id: MESSAGE_IDS.BOARD_MINUTES,
    labels: [LABEL_IDS.BoardMinutes],
    from: "Office of the CEO <ceo@acme.com>",
    to: ALICE,
    subject: "Board minutes - May",
    text: "Minutes of the May board meeting are attached for your review.\n",
  },
  {
    id: MESSAGE_IDS.SPAM,
    labels: ["SPAM"],
    from: "Prize Desk <winner@lottery.example>",
    to: ALICE,
    subject: "You won!",
    text: "Claim your prize now.\n",
  },
];

export function seedMessages(): Map<string, MailMessage> {
  return new Map(SEEDS.map((s, i) => [s.id, message(s, i)]));
}
