/**
 * Drive's search language (`q` of `files.list`), the subset agents and the
 * appliance use: `'ID' in parents`, `not …`, `and`, `or`, parentheses,
 * `trashed = false`, `name contains '…'`, `name = '…'`, `mimeType != '…'`,
 * `fullText contains '…'`, date comparisons. Unlike Gmail, Drive rejects a
 * query it cannot parse (400 Invalid Value), and so does this.
 */

export type DriveQuery =
  | { or: DriveQuery[] }
  | { and: DriveQuery[] }
  | { not: DriveQuery }
  | { value: string; in: string }
  | { field: string; op: string; value: string | boolean | number }
  | { any: true };

/** What a query can look at in one file. */
export interface DriveSearchable {
  name: string;
  mimeType: string;
  trashed: boolean;
  starred: boolean;
  parents: string[];
  owners: string[];
  createdTime: string;
  modifiedTime: string;
  fullText: string;
}

export class DriveQueryError extends Error {}

type Token =
  | { k: "str"; v: string }
  | { k: "word"; v: string }
  | { k: "num"; v: number }
  | { k: "op"; v: string }
  | { k: "(" | ")" | "{" | "}" | "," };

function tokenize(q: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < q.length) {
    const c = q[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let v = "";
      i++;
      while (i < q.length && q[i] !== "'") {
        if (q[i] === "\\" && i + 1 < q.length) i++;
        v += q[i++];
      }
      if (i >= q.length) throw new DriveQueryError("unterminated string");
      i++;
      tokens.push({ k: "str", v });
    } else if ("(){},".includes(c)) {
      tokens.push({ k: c as "(" | ")" | "{" | "}" | "," });
      i++;
    } else if ("=!<>".includes(c)) {
      const two = q.slice(i, i + 2);
      const op = ["!=", "<=", ">="].includes(two) ? two : c;
      if (op === "!") throw new DriveQueryError("bad operator");
      tokens.push({ k: "op", v: op });
      i += op.length;
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?/.exec(q.slice(i))!;
      tokens.push({ k: "num", v: Number(m[0]) });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][\w.]*/.exec(q.slice(i))!;
      tokens.push({ k: "word", v: m[0] });
      i += m[0].length;
    } else {
      throw new DriveQueryError(`unexpected ${c}`);
    }
  }
  return tokens;
}

const KEYWORD_OPS = ["contains", "has"];

export function parseDriveQuery(q: string): DriveQuery {
  const tokens = tokenize(q);
  if (tokens.length === 0) return { any: true };
  let at = 0;
  const peek = () => tokens[at];
  const isWord = (t: Token | undefined, w: string) => t?.k === "word" && t.v.toLowerCase() === w;
  const fail = (why: string): never => {
    throw new DriveQueryError(why);
  };

  function or(): DriveQuery {
    const options = [and()];
    while (isWord(peek(), "or")) {
      at++;
      options.push(and());
    }
    return options.length === 1 ? options[0] : { or: options };
  }

  function and(): DriveQuery {
    const all = [unary()];
    while (isWord(peek(), "and")) {
      at++;
      all.push(unary());
    }
    return all.length === 1 ? all[0] : { and: all };
  }

  function unary(): DriveQuery {
    const t = tokens[at++] ?? fail("unexpected end");
    if (isWord(t, "not")) return { not: unary() };
    if (t.k === "(") {
      const inner = or();
      if (tokens[at++]?.k !== ")") fail("missing )");
      return inner;
    }
    if (t.k === "str") {
      if (!isWord(tokens[at++], "in")) fail("expected in");
      const field = tokens[at++];
      if (field?.k !== "word") fail("expected a field after in");
      return { value: t.v, in: (field as { v: string }).v };
    }
    if (t.k === "word") {
      const op = tokens[at++];
      const keyword = op?.k === "word" && KEYWORD_OPS.includes(op.v.toLowerCase());
      if (op?.k !== "op" && !keyword) fail(`expected an operator after ${t.v}`);
      const opName = (op as { v: string }).v.toLowerCase();
      if (opName === "has") {
        // `properties has { key='a' and value='b' }`: accepted, not evaluated.
        if (tokens[at++]?.k !== "{") fail("expected {");
        while (at < tokens.length && tokens[at].k !== "}") at++;
        if (tokens[at++]?.k !== "}") fail("missing }");
        return { any: true };
      }
      const v = tokens[at++] ?? fail("expected a value");
      if (v.k === "str" || v.k === "num") return { field: t.v, op: opName, value: v.v };
      if (isWord(v, "true") || isWord(v, "false")) {
        return { field: t.v, op: opName, value: (v as { v: string }).v.toLowerCase() === "true" };
      }
      return fail("expected a value");
    }
    return fail("unexpected token");
  }

  const query = or();
  if (at < tokens.length) fail("trailing tokens");
  return query;
}

function compare(actual: string | boolean, op: string, wanted: string | boolean | number): boolean {
  if (typeof actual === "boolean") {
    if (op === "=") return actual === wanted;
    if (op === "!=") return actual !== wanted;
    return false;
  }
  const a = actual;
  const w = String(wanted);
  switch (op) {
    case "=":
      return a === w;
    case "!=":
      return a !== w;
    case "contains":
      return a.toLowerCase().includes(w.toLowerCase());
    case "<":
      return a < w;
    case "<=":
      return a <= w;
    case ">":
      return a > w;
    case ">=":
      return a >= w;
    default:
      return false;
  }
}

const FIELDS: Record<string, (f: DriveSearchable) => string | boolean> = {
  name: (f) => f.name,
  mimeType: (f) => f.mimeType,
  trashed: (f) => f.trashed,
  starred: (f) => f.starred,
  createdTime: (f) => f.createdTime,
  modifiedTime: (f) => f.modifiedTime,
  fullText: (f) => f.fullText,
};

/** `root` is Drive's alias for the user's My Drive folder. */
export function driveQueryMatches(q: DriveQuery, f: DriveSearchable, rootId: string): boolean {
  if ("or" in q) return q.or.some((n) => driveQueryMatches(n, f, rootId));
  if ("and" in q) return q.and.every((n) => driveQueryMatches(n, f, rootId));
  if ("not" in q) return !driveQueryMatches(q.not, f, rootId);
  if ("any" in q) return true;
  if ("in" in q) {
    if (q.in === "parents") return f.parents.includes(q.value === "root" ? rootId : q.value);
    if (q.in === "owners" || q.in === "writers" || q.in === "readers") {
      return f.owners.includes(q.value);
    }
    return true;
  }
  const field = FIELDS[q.field];
  // Fields the fake does not model (visibility, sharedWithMe …) do not narrow.
  return field ? compare(field(f), q.op, q.value) : true;
}
