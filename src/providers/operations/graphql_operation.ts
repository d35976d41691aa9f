import type { CallShape, Operation, OperationClass } from "../operation.ts";
import { mostDangerous } from "../operation_map.ts";
import { formPairs } from "../../proxy/form_pairs.ts";

/**
 * The operation of a GraphQL call, from a bounded peek of its body: the
 * operation type and top-level field names (`mutation { issueCreate(…) }` →
 * `linear.mutation.issueCreate`). A small tolerant scanner, not a GraphQL
 * parser: it understands comments, strings and block strings, aliases,
 * arguments, directives, fragments and inline fragments, which is all that
 * decides the top-level fields. Anything it cannot read is opaque and
 * answered as multiplexed: the rules then treat the call as possibly any
 * operation of the provider.
 */

export type GraphqlType = "query" | "mutation" | "subscription";

export interface GraphqlSummary {
  type: GraphqlType;
  /** Distinct top-level field names (not aliases), in document order; fragments expanded. */
  fields: string[];
  /**
   * How often each field is selected, only when one is selected more than once
   * (`a: issueDelete(…) b: issueDelete(…)`: aliases make one document run it twice).
   */
  counts?: Record<string, number>;
}

type Token = { kind: "name"; text: string } | { kind: "punct"; text: string };

const NAME_START = /[_A-Za-z]/;
const NAME_CHAR = /[_0-9A-Za-z]/;
/**
 * Longest name taken into an operation id: ids reach the audit trail and the
 * rules' per-operation cache, so a caller must not be able to make them huge.
 * A longer name makes the document opaque (multiplexed, by caution).
 */
export const MAX_NAME = 128;
const PUNCT = new Set(["{", "}", "(", ")", ":", "@", "$", "!", "=", "[", "]", "|", "&"]);

class Unreadable extends Error {}

/** Splits a document into names and punctuators; strings and numbers become a `value` token. */
function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = source.length;
  while (i < n) {
    const c = source[i];
    if (c === " " || c === "\t" || c === "\n" || c === "\r" || c === "," || c === "\uFEFF") {
      i++;
    } else if (c === "#") {
      while (i < n && source[i] !== "\n" && source[i] !== "\r") i++;
    } else if (c === '"') {
      i = skipString(source, i);
      tokens.push({ kind: "punct", text: "value" });
    } else if (NAME_START.test(c)) {
      const start = i;
      while (i < n && NAME_CHAR.test(source[i])) i++;
      if (i - start > MAX_NAME) throw new Unreadable("name too long");
      tokens.push({ kind: "name", text: source.slice(start, i) });
    } else if (c === "-" || (c >= "0" && c <= "9")) {
      i++;
      while (i < n && /[0-9.eE+\-]/.test(source[i])) i++;
      tokens.push({ kind: "punct", text: "value" });
    } else if (c === "." && source.startsWith("...", i)) {
      tokens.push({ kind: "punct", text: "..." });
      i += 3;
    } else if (PUNCT.has(c)) {
      tokens.push({ kind: "punct", text: c });
      i++;
    } else {
      throw new Unreadable(`unexpected character ${JSON.stringify(c)}`);
    }
  }
  return tokens;
}

/** Index after the string starting at `i` (a `"…"` or a `"""…"""` block string). */
function skipString(source: string, i: number): number {
  if (source.startsWith('"""', i)) {
    let j = i + 3;
    while (j < source.length) {
      if (source.startsWith('\\"""', j)) j += 4;
      else if (source.startsWith('"""', j)) return j + 3;
      else j++;
    }
    throw new Unreadable("unterminated block string");
  }
  let j = i + 1;
  while (j < source.length) {
    const c = source[j];
    if (c === "\\") j += 2;
    else if (c === '"') return j + 1;
    else if (c === "\n" || c === "\r") break;
    else j++;
  }
  throw new Unreadable("unterminated string");
}

type Selection =
  | { kind: "field"; name: string }
  | { kind: "spread"; name: string }
  | { kind: "inline"; selections: Selection[] };

interface OperationDef {
  type: GraphqlType;
  name: string | null;
  selections: Selection[];
}

class Parser {
  #i = 0;
  constructor(private readonly tokens: Token[]) {}

  #peek(): Token | undefined {
    return this.tokens[this.#i];
  }

  #next(): Token {
    const t = this.tokens[this.#i++];
    if (!t) throw new Unreadable("unexpected end of document");
    return t;
  }

  #is(text: string): boolean {
    return this.#peek()?.text === text;
  }

  #expect(text: string): void {
    if (this.#next().text !== text) throw new Unreadable(`expected ${text}`);
  }

  #name(): string {
    const t = this.#next();
    if (t.kind !== "name") throw new Unreadable("expected a name");
    return t.text;
  }

  /** Skips a balanced `(…)`, `[…]` or `{…}` group starting at the current token. */
  #skipGroup(open: string, close: string): void {
    this.#expect(open);
    let depth = 1;
    while (depth > 0) {
      const t = this.#next().text;
      if (t === open) depth++;
      else if (t === close) depth--;
    }
  }

  #directives(): void {
    while (this.#is("@")) {
      this.#next();
      this.#name();
      if (this.#is("(")) this.#skipGroup("(", ")");
    }
  }

  document(): { operations: OperationDef[]; fragments: Map<string, Selection[]> } {
    const operations: OperationDef[] = [];
    const fragments = new Map<string, Selection[]>();
    while (this.#peek()) {
      const t = this.#peek()!;
      if (t.text === "{") {
        operations.push({ type: "query", name: null, selections: this.#selectionSet() });
      } else if (t.text === "query" || t.text === "mutation" || t.text === "subscription") {
        this.#next();
        const name = this.#peek()?.kind === "name" ? this.#name() : null;
        if (this.#is("(")) this.#skipGroup("(", ")");
        this.#directives();
        operations.push({ type: t.text, name, selections: this.#selectionSet() });
      } else if (t.text === "fragment") {
        this.#next();
        const name = this.#name();
        if (this.#name() !== "on") throw new Unreadable("expected on");
        this.#name();
        this.#directives();
        if (fragments.has(name)) throw new Unreadable(`fragment ${name} defined twice`);
        fragments.set(name, this.#selectionSet());
      } else {
        throw new Unreadable(`not an executable definition: ${t.text}`);
      }
    }
    return { operations, fragments };
  }

  #selectionSet(): Selection[] {
    this.#expect("{");
    const selections: Selection[] = [];
    while (!this.#is("}")) {
      if (this.#is("...")) {
        this.#next();
        const t = this.#peek();
        if (t?.kind === "name" && t.text !== "on") {
          selections.push({ kind: "spread", name: this.#name() });
          this.#directives();
        } else {
          if (t?.text === "on") {
            this.#next();
            this.#name();
          }
          this.#directives();
          selections.push({ kind: "inline", selections: this.#selectionSet() });
        }
        continue;
      }
      let name = this.#name();
      if (this.#is(":")) {
        this.#next();
        name = this.#name();
      }
      if (this.#is("(")) this.#skipGroup("(", ")");
      this.#directives();
      if (this.#is("{")) this.#skipGroup("{", "}");
      selections.push({ kind: "field", name });
    }
    this.#next();
    if (selections.length === 0) throw new Unreadable("empty selection set");
    return selections;
  }
}

/**
 * The type and top-level fields of the operation a server would run, or
 * null when the document cannot be read or names no single operation.
 */
export function summarizeGraphql(
  document: string,
  operationName: string | null,
): GraphqlSummary | null {
  try {
    const { operations, fragments } = new Parser(tokenize(document)).document();
    const chosen = operationName === null
      ? (operations.length === 1 ? operations[0] : undefined)
      : operations.find((o) => o.name === operationName);
    if (!chosen) return null;
    const fields = new Map<string, number>();
    expand(chosen.selections, fragments, new Set(), fields);
    if (fields.size > 1) fields.delete("__typename");
    const summary: GraphqlSummary = { type: chosen.type, fields: [...fields.keys()] };
    if ([...fields.values()].some((n) => n > 1)) summary.counts = Object.fromEntries(fields);
    return summary;
  } catch (error) {
    if (error instanceof Unreadable) return null;
    throw error;
  }
}

function expand(
  selections: Selection[],
  fragments: Map<string, Selection[]>,
  seen: Set<string>,
  out: Map<string, number>,
): void {
  for (const s of selections) {
    if (s.kind === "field") out.set(s.name, (out.get(s.name) ?? 0) + 1);
    else if (s.kind === "inline") expand(s.selections, fragments, seen, out);
    else {
      const fragment = fragments.get(s.name);
      if (!fragment || seen.has(s.name)) throw new Unreadable(`bad fragment spread ${s.name}`);
      seen.add(s.name);
      expand(fragment, fragments, seen, out);
      seen.delete(s.name);
    }
  }
}

const DELETE_WORDS = new Set(["delete", "archive"]);

/**
 * A mutation field's class from its camelCase words: a `delete` or `archive`
 * word (`issueDelete`, `deleteIssue`, `projectArchive`, not `issueUnarchive`)
 * deletes, anything else writes. Queries and subscriptions read.
 */
export function graphqlFieldClass(type: GraphqlType, field: string): OperationClass {
  if (type !== "mutation") return "read";
  const words = field.split(/(?=[A-Z])|_/).map((w) => w.toLowerCase());
  return words.some((w) => DELETE_WORDS.has(w)) ? "delete" : "write";
}

/** Where a GraphQL provider's ids go: `<prefix>.mutation.<field>`, opaque calls `<opaqueId>`. */
export interface GraphqlIds {
  prefix: string;
  opaqueId: string;
}

/** The operation for one summarized document. */
export function graphqlOperation(ids: GraphqlIds, summary: GraphqlSummary | null): Operation {
  if (!summary) return { id: ids.opaqueId, class: "write", multiplexed: true };
  const classes = summary.fields.map((f) => graphqlFieldClass(summary.type, f));
  // Every selection of a delete field deletes: aliases repeat one field in one call.
  const deletes = summary.fields.reduce(
    (n, f, i) => classes[i] === "delete" ? n + (summary.counts?.[f] ?? 1) : n,
    0,
  );
  const many = deletes > 1 ? { deletes } : {};
  if (summary.fields.length === 1) {
    return { id: `${ids.prefix}.${summary.type}.${summary.fields[0]}`, class: classes[0], ...many };
  }
  return {
    id: `${ids.prefix}.${summary.type}`,
    class: mostDangerous(classes),
    multiplexed: true,
    ...many,
  };
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Reads `{query, operationName?}` from a JSON body (or the document itself
 * for `application/graphql`, or the `query` parameter of a GET). A JSON
 * array (batched operations), a body cut at the peek limit, invalid UTF-8 or
 * invalid JSON is opaque; so is a POST whose URL also names a document or
 * operation, and a GET naming either twice.
 */
export function graphqlCallOperation(
  ids: GraphqlIds,
  call: CallShape,
  body: Uint8Array | null,
  contentType: string | null,
): Operation {
  const request = readRequest(call, body, contentType);
  return graphqlOperation(
    ids,
    request ? summarizeGraphql(request.query, request.operationName) : null,
  );
}

function readRequest(
  call: CallShape,
  body: Uint8Array | null,
  contentType: string | null,
): { query: string; operationName: string | null } | null {
  const params = queryParams(call.query);
  const queries = params.get("query") ?? [];
  const names = params.get("operationName") ?? [];
  if (call.method.toUpperCase() === "GET") {
    // Named twice: servers differ on which one counts (Rails the last, URLSearchParams the first).
    if (queries.length !== 1 || names.length > 1) return null;
    return { query: queries[0], operationName: names[0] ?? null };
  }
  // Rails' params (graphql-ruby) and express-graphql prefer the URL's to the body's.
  if (queries.length > 0 || names.length > 0) return null;
  if (!body) return null;
  let text: string;
  try {
    text = decoder.decode(body);
  } catch {
    return null;
  }
  const mediaType = (contentType ?? "").split(";")[0].trim().toLowerCase();
  if (mediaType === "application/graphql") return { query: text, operationName: null };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return null;
  const { query, operationName } = parsed as Record<string, unknown>;
  if (typeof query !== "string") return null;
  if (operationName !== undefined && operationName !== null && typeof operationName !== "string") {
    return null;
  }
  return { query, operationName: operationName ?? null };
}

/** The query string's parameters by decoded name, as Rack reads them (see formPairs). */
function queryParams(search: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const { name, value } of formPairs(search.startsWith("?") ? search.slice(1) : search)) {
    const list = out.get(name);
    if (list) list.push(value);
    else out.set(name, [value]);
  }
  return out;
}

/** The peek a GraphQL body gets: larger documents are opaque. */
export const GRAPHQL_PEEK_BYTES = 64 * 1024;
