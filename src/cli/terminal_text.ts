// C0 (with TAB, CR, LF), DEL, C1, the Unicode line/paragraph separators and the bidi
// controls: each can move the cursor, recolour, rewrite or reorder what an operator reads.
const UNSAFE =
  // deno-lint-ignore no-control-regex
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function escaped(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/**
 * Text for a terminal, one line: every control character is shown as its
 * `\uXXXX` escape instead of acting. Ids, names and notes come from apps
 * and end users (or were stored before the edge refused such input); they
 * must never drive the operator's terminal. The escape is also a valid
 * JSON escape, so a JSON line stays JSON with the same value.
 */
export function terminalText(text: string): string {
  UNSAFE.lastIndex = 0;
  let out = UNSAFE.test(text) ? text.replace(UNSAFE, escaped) : text;
  if (!out.isWellFormed()) out = out.replace(LONE_SURROGATE, escaped);
  return out;
}

/**
 * Like `terminalText`, but keeps the line breaks and tabs of text the CLI
 * laid out itself (multi-line messages, indented JSON, printed configs).
 * Applied to everything the CLI prints, as the net under the field-level
 * escaping of tables and audit lines.
 */
export function terminalLines(text: string): string {
  return text.split("\n").map((line) => line.split("\t").map(terminalText).join("\t")).join("\n");
}
