import { SecurixError } from "../errors/securix_error.ts";
import {
  type CallShape,
  classFromMethod,
  type Operation,
  type OperationClass,
  type OperationEntry,
  type OperationMap,
} from "./operation.ts";

/**
 * Turns a list of `method + path template → operation` entries into an
 * indexed map. Matching is security relevant: an agent that wants to dodge a
 * rule on `gmail.users.messages.send` will try `/messages/%73end`, `SEND`,
 * `//`, a trailing slash. So a call's path is split on `/`, empty segments
 * dropped, each segment percent-decoded once and compared case-insensitively
 * with template literals. A segment that does not decode, or decodes to
 * something containing `/`, matches no literal; a dot segment matches
 * nothing at all (the proxy refuses those paths anyway).
 *
 * Templates: literal segments, `{name}` (exactly one non-empty segment),
 * `{name}:suffix` (one segment ending in the literal `:suffix`, Google custom
 * methods and Graph's `items/{id}:`), `{name+}` / `{name+}:suffix` (one or
 * more segments, GitHub's `contents/{path+}`, Graph's `root:/{path+}:`).
 * When several templates match, the most literal one wins, segment by
 * segment from the left: literal, then suffixed placeholder, then
 * placeholder, then multi-segment placeholders.
 *
 * The index is a trie per method, so a lookup costs one map probe per
 * segment whatever the number of entries.
 */

/** One segment of a call's path, decoded once. */
export interface PathSegment {
  /** Lowercased decoded text; null when it cannot be a literal (bad escape, `/` inside). */
  readonly key: string | null;
  /** `.` or `..` (in any encoding): matches nothing. */
  readonly dot: boolean;
}

/**
 * Splits and decodes a path as the matcher sees it. With `matrixParams` (a
 * JAX-RS or servlet server such as Jira's: it routes `notify;x=1` as
 * `notify`), each segment's `;` parameters are dropped before decoding.
 */
export function pathSegments(path: string, matrixParams = false): PathSegment[] {
  const out: PathSegment[] = [];
  for (let raw of path.split("/")) {
    if (matrixParams && raw.includes(";")) raw = raw.slice(0, raw.indexOf(";"));
    if (raw === "") continue;
    out.push(decodeSegment(raw));
  }
  return out;
}

function decodeSegment(raw: string): PathSegment {
  let text = raw;
  if (raw.includes("%")) {
    try {
      text = decodeURIComponent(raw);
    } catch {
      return { key: null, dot: false };
    }
  }
  if (text === "." || text === "..") return { key: null, dot: true };
  if (text.includes("/")) return { key: null, dot: false };
  return { key: text.toLowerCase(), dot: false };
}

type TemplatePart =
  | { kind: "literal"; text: string }
  | { kind: "param"; name: string; suffix: string; many: boolean };

const PARAM = /^\{([A-Za-z_][A-Za-z0-9_-]*)(\+?)\}(.*)$/;

/**
 * Parses a path template; throws SX-OPERATION-TEMPLATE with the reason when
 * it is not one (the config schema shows that reason to the operator).
 */
export function parseTemplate(path: string): TemplatePart[] {
  const fail = (why: string) => {
    throw new SecurixError("SX-OPERATION-TEMPLATE", `invalid path template "${path}": ${why}`, {
      status: 500,
    });
  };
  if (!path.startsWith("/")) fail("it must start with /");
  if (path.includes("?") || path.includes("#")) fail("it is a path, without query or fragment");
  const raw = path.slice(1).split("/");
  if (raw.length === 1 && raw[0] === "") return [];
  return raw.map((segment) => {
    if (segment === "") fail("it has an empty segment (// or a trailing /)");
    if (segment === "." || segment === "..") fail("it has a dot segment");
    const param = PARAM.exec(segment);
    if (param) {
      const suffix = param[3];
      if (suffix.includes("{") || suffix.includes("}")) fail(`"${segment}" has two placeholders`);
      if (suffix !== "" && !suffix.startsWith(":")) {
        fail(`"${segment}": text after a placeholder must start with ":" (a custom method)`);
      }
      return {
        kind: "param" as const,
        name: param[1],
        suffix: suffix.toLowerCase(),
        many: param[2] === "+",
      };
    }
    if (segment.includes("{") || segment.includes("}")) {
      fail(`"${segment}": a placeholder is {name}, {name+} or {name}:suffix, alone in its segment`);
    }
    return { kind: "literal" as const, text: segment.toLowerCase() };
  });
}

interface SuffixEdge {
  suffix: string;
  node: TrieNode;
}

interface TrieNode {
  literal: Map<string, TrieNode>;
  suffixed: SuffixEdge[];
  param: TrieNode | null;
  many: SuffixEdge[];
  operation: Operation | null;
  template: string | null;
}

function emptyNode(): TrieNode {
  return {
    literal: new Map(),
    suffixed: [],
    param: null,
    many: [],
    operation: null,
    template: null,
  };
}

function edge(list: SuffixEdge[], suffix: string): TrieNode {
  let found = list.find((e) => e.suffix === suffix);
  if (!found) {
    found = { suffix, node: emptyNode() };
    list.push(found);
    // Longer suffixes are more specific: try them first.
    list.sort((a, b) => b.suffix.length - a.suffix.length);
  }
  return found.node;
}

/** The per-method tries; HEAD uses GET's when it has none of its own. */
export interface OperationIndex {
  readonly byMethod: ReadonlyMap<string, TrieNode>;
}

/** Builds the index; two entries for one method and template shape are a mistake and throw. */
export function indexEntries(entries: readonly OperationEntry[]): OperationIndex {
  const byMethod = new Map<string, TrieNode>();
  for (const entry of entries) {
    const method = entry.method.toUpperCase();
    let node: TrieNode | undefined = byMethod.get(method);
    if (!node) byMethod.set(method, node = emptyNode());
    for (const part of parseTemplate(entry.path)) {
      if (part.kind === "literal") {
        let next: TrieNode | undefined = node.literal.get(part.text);
        if (!next) node.literal.set(part.text, next = emptyNode());
        node = next;
      } else if (part.many) {
        node = edge(node.many, part.suffix);
      } else if (part.suffix !== "") {
        node = edge(node.suffixed, part.suffix);
      } else {
        node = node.param ??= emptyNode();
      }
    }
    if (node.operation) {
      throw new SecurixError(
        "SX-OPERATION-TEMPLATE",
        `${method} ${entry.path} (${entry.id}) overlaps ${method} ${node.template}; ` +
          `one of them can never match`,
        { status: 500 },
      );
    }
    node.operation = Object.freeze({
      id: entry.id,
      class: entry.class,
      ...(entry.multiplexed ? { multiplexed: true } : {}),
    });
    node.template = entry.path;
  }
  return { byMethod };
}

/** Counts trie nodes visited, for tests that the index bounds the work. */
export interface VisitCounter {
  visits: number;
}

/** The operation of the most literal template matching `segments`, or null. */
export function matchIndex(
  index: OperationIndex,
  method: string,
  segments: readonly PathSegment[],
  counter?: VisitCounter,
): Operation | null {
  const m = method.toUpperCase();
  const root = index.byMethod.get(m) ?? (m === "HEAD" ? index.byMethod.get("GET") : undefined);
  return root ? walk(root, segments, 0, counter) : null;
}

function endsWithSuffix(key: string | null, suffix: string): boolean {
  return key !== null && key.length > suffix.length && key.endsWith(suffix);
}

function walk(
  node: TrieNode,
  segments: readonly PathSegment[],
  i: number,
  counter: VisitCounter | undefined,
): Operation | null {
  if (counter) counter.visits++;
  if (i === segments.length) return node.operation;
  const segment = segments[i];
  if (segment.dot) return null;
  if (segment.key !== null) {
    const next = node.literal.get(segment.key);
    const found = next ? walk(next, segments, i + 1, counter) : null;
    if (found) return found;
    for (const e of node.suffixed) {
      if (!endsWithSuffix(segment.key, e.suffix)) continue;
      const hit = walk(e.node, segments, i + 1, counter);
      if (hit) return hit;
    }
  }
  if (node.param) {
    const hit = walk(node.param, segments, i + 1, counter);
    if (hit) return hit;
  }
  for (const e of node.many) {
    for (let end = i; end < segments.length; end++) {
      if (segments[end].dot) break;
      if (e.suffix !== "" && !endsWithSuffix(segments[end].key, e.suffix)) continue;
      const hit = walk(e.node, segments, end + 1, counter);
      if (hit) return hit;
    }
  }
  return null;
}

const RANK: Record<OperationClass, number> = { read: 0, write: 1, delete: 2, send: 3 };

/**
 * The most dangerous of `classes`: send > delete > write > read. A send
 * ranks highest because what left the account cannot be called back, while
 * most deletes land in a trash first.
 */
export function mostDangerous(classes: Iterable<OperationClass>): OperationClass {
  let worst: OperationClass = "read";
  for (const c of classes) if (RANK[c] > RANK[worst]) worst = c;
  return worst;
}

/** `<provider>.unknown` with the class of its method. */
export function unknownOperation(provider: string, method: string): Operation {
  return { id: `${provider}.unknown`, class: classFromMethod(method) };
}

export interface OperationMapOptions {
  /**
   * Answers calls no entry matched, before the unknown fallback (Slack's
   * `/api/<method>` outside its table). Null passes on.
   */
  fallback?: (call: CallShape, segments: readonly PathSegment[]) => Operation | null;
  /**
   * The class of `<provider>.unknown` when the method's class would
   * understate it (a POST whose path ends in `send` is a send, not a write).
   */
  unknownClass?: (call: CallShape, segments: readonly PathSegment[]) => OperationClass | null;
  /**
   * The provider routes on paths without `;` parameters (JAX-RS matrix
   * parameters, servlet path parameters): the matcher drops them too.
   */
  matrixParams?: boolean;
  /**
   * Format suffixes the provider routes like the path without them (Grape's
   * `(.:format)`: GitLab serves `…/fork.json` as `…/fork`), lowercase: a
   * call no entry matched is matched again with its last segment's removed.
   */
  formatSuffixes?: readonly string[];
  /**
   * Rewrites the decoded segments into the form the entries are written in
   * (Graph's OData `chats('19:x')` → `chats`, `19:x`), before any matching.
   */
  segments?: (segments: PathSegment[]) => PathSegment[];
  peekBytes?: number;
  /** Which calls `resolveBody` needs the body of; without it, every call. */
  wantsBody?: (call: CallShape) => boolean;
  resolveBody?: (call: CallShape, body: Uint8Array | null, contentType: string | null) => Operation;
}

/** An OperationMap over `entries`, then `options.fallback`, then `<provider>.unknown`. */
export function buildOperationMap(
  provider: string,
  entries: readonly OperationEntry[],
  options: OperationMapOptions = {},
): OperationMap {
  const index = indexEntries(entries);
  const unknownId = `${provider}.unknown`;
  const resolve = (call: CallShape): Operation => {
    const split = pathSegments(call.path, options.matrixParams);
    const segments = options.segments ? options.segments(split) : split;
    const hit = matchIndex(index, call.method, segments) ??
      withoutFormat(index, call.method, segments, options.formatSuffixes);
    if (hit) return hit;
    const fallback = options.fallback?.(call, segments);
    if (fallback) return fallback;
    return {
      id: unknownId,
      class: options.unknownClass?.(call, segments) ?? classFromMethod(call.method),
    };
  };
  return {
    provider,
    entries: Object.freeze([...entries]),
    resolve,
    ...(options.peekBytes ? { peekBytes: options.peekBytes } : {}),
    ...(options.wantsBody ? { wantsBody: options.wantsBody } : {}),
    ...(options.resolveBody ? { resolveBody: options.resolveBody } : {}),
  };
}

/** The match of `segments` with the last one's format suffix (`.json`) removed, or null. */
function withoutFormat(
  index: OperationIndex,
  method: string,
  segments: readonly PathSegment[],
  suffixes: readonly string[] | undefined,
): Operation | null {
  const last = segments.at(-1)?.key;
  const suffix = last && suffixes?.find((s) => last.length > s.length && last.endsWith(s));
  if (!suffix) return null;
  const key = last.slice(0, -suffix.length);
  const dot = key === "." || key === "..";
  return matchIndex(index, method, [...segments.slice(0, -1), { key: dot ? null : key, dot }]);
}

/**
 * An `unknownClass` that calls a POST/PUT a send when a word of one of its
 * segments (split on `:`, `.` and `(`, so Graph's `microsoft.graph.sendMail`
 * and Google's `{id}:send` count) is one of `verbs` (lowercase): a path alias
 * the map does not know must not turn a send into a mere write.
 */
export function sendVerbs(verbs: readonly string[]) {
  const set = new Set(verbs);
  return (call: CallShape, segments: readonly PathSegment[]): OperationClass | null => {
    const m = call.method.toUpperCase();
    if (m !== "POST" && m !== "PUT") return null;
    for (const s of segments) {
      if (s.key === null) continue;
      for (const word of s.key.split(/[:.(]/)) if (set.has(word)) return "send";
    }
    return null;
  };
}

/** `[method, path, id, class]`: the compact form the catalog files write their tables in. */
export type EntryRow = readonly [method: string, path: string, id: string, cls: OperationClass];

/** Rows under a common path prefix and id prefix (`/gmail/v1/users/{userId}`, `gmail.users`). */
export function entriesUnder(
  basePath: string,
  idPrefix: string,
  rows: readonly EntryRow[],
): OperationEntry[] {
  return rows.map(([method, path, id, cls]) => ({
    method,
    path: basePath + path,
    id: `${idPrefix}.${id}`,
    class: cls,
  }));
}
