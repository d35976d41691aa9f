import { z } from "zod";

/** Longest entity or agent id the edge accepts (UTF-16 code units). */
export const ID_MAX = 256;
/** Longest agent name. */
export const NAME_MAX = 200;
/** Longest `X-SecuriX-Audit-Note`. */
export const NOTE_MAX = 1024;

// C0, DEL, C1, and the Unicode line/paragraph separators: they end lines or drive terminals.
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
// Bidi embeddings, overrides and isolates: an id that reads differently from what it is.
const BIDI = /[\u202a-\u202e\u2066-\u2069]/;

export interface TextRules {
  max: number;
  /** Also refuse bidi controls (ids; free text such as notes may need them). */
  ids: boolean;
}

/**
 * Why `value` cannot be stored as an identifier or note, or null if it can.
 * The reason never repeats the value: it may hold terminal escapes or be huge.
 * Checked at every edge (API, proxy headers, CLI) so the audit chain and the
 * operator's terminal only ever see text that is stored and printed as sent.
 */
export function textProblem(value: string, rules: TextRules): string | null {
  if (value.length === 0) return "must not be empty";
  if (value.length > rules.max) return `must be at most ${rules.max} characters`;
  if (!value.isWellFormed()) return "must be well-formed Unicode (no lone surrogates)";
  if (CONTROL.test(value)) return "must not contain control characters or line breaks";
  if (rules.ids && BIDI.test(value)) return "must not contain bidirectional control characters";
  return null;
}

function checked(rules: TextRules) {
  return z.string().superRefine((value, ctx) => {
    const problem = textProblem(value, rules);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });
}

/** An entity id: any text an app uses for its user, within the rules above. */
export const ENTITY_ID: TextRules = { max: ID_MAX, ids: true };
/** An audit note: free text, so bidi controls may stay. */
export const AUDIT_NOTE: TextRules = { max: NOTE_MAX, ids: false };

export const entityIdSchema = checked(ENTITY_ID);
/** A readable name (agents). */
export const nameSchema = checked({ max: NAME_MAX, ids: true });
export const auditNoteSchema = checked(AUDIT_NOTE);
