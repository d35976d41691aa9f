/**
 * Gmail's search language (`q`), the part agents and the appliance use:
 * `label:HR`, `-label:"Board Minutes"`, `in:inbox`, `is:unread`, `from:`,
 * `to:`, `subject:`, `has:attachment`, free words and "phrases", `OR`,
 * `( … )` groups and `{ … }` any-of. Like Gmail it never rejects a query:
 * operators it does not know (`after:`, `newer_than:` …) match everything.
 */

export type QueryNode =
  | { and: QueryNode[] }
  | { or: QueryNode[] }
  | { not: QueryNode }
  | { op: string | null; value: string };

/** What a query can look at in one message. */
export interface Searchable {
  labelIds: string[];
  /** Label names by id (system labels are named by their id). */
  labelName(id: string): string | undefined;
  header(name: string): string;
  /** Subject, addresses and decoded body text. */
  text: string;
  filenames: string[];
}

type Token = { k: "(" | ")" | "{" | "}" | "-" | "OR" } | {
  k: "term";
  op: string | null;
  value: string;
};

const SPACE = /\s/;
const GROUPING = "(){}";

function unquote(text: string): string {
  return text.replace(/^\+/, "").replace(/^"|"$/g, "");
}

function classify(word: string): Token | null {
  if (word === "OR" || word === "|") return { k: "OR" };
  if (word === "AND") return null;
  const op = /^([A-Za-z_]+):(.*)$/s.exec(word);
  if (op) return { k: "term", op: op[1].toLowerCase(), value: unquote(op[2]) };
  return { k: "term", op: null, value: unquote(word) };
}

function tokenize(q: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < q.length) {
    const c = q[i];
    if (SPACE.test(c)) {
      i++;
    } else if (GROUPING.includes(c)) {
      tokens.push({ k: c as "(" | ")" | "{" | "}" });
      i++;
    } else if (c === "-" && i + 1 < q.length && !SPACE.test(q[i + 1])) {
      tokens.push({ k: "-" });
      i++;
    } else {
      let word = "";
      while (i < q.length && !SPACE.test(q[i]) && !GROUPING.includes(q[i])) {
        if (q[i] === '"') {
          const close = q.indexOf('"', i + 1);
          const end = close < 0 ? q.length : close + 1;
          word += q.slice(i, end);
          i = end;
        } else {
          word += q[i++];
        }
      }
      const token = classify(word);
      if (token) tokens.push(token);
    }
  }
  return tokens;
}

export function parseGmailQuery(q: string): QueryNode {
  const tokens = tokenize(q);
  let at = 0;
  const peek = () => tokens[at];

  function sequence(close: ")" | "}" | null): QueryNode[] {
    const nodes: QueryNode[] = [];
    while (at < tokens.length && peek().k !== close) {
      // A stray closer (unbalanced query) is skipped, as Gmail does.
      if (peek().k === ")" || peek().k === "}") {
        at++;
        continue;
      }
      nodes.push(alternatives());
    }
    if (at < tokens.length) at++;
    return nodes;
  }

  function alternatives(): QueryNode {
    const options = [unary()];
    while (peek()?.k === "OR") {
      at++;
      if (at < tokens.length) options.push(unary());
    }
    return options.length === 1 ? options[0] : { or: options };
  }

  function unary(): QueryNode {
    const token = tokens[at++];
    if (token === undefined) return { and: [] };
    if (token.k === "-") return { not: unary() };
    if (token.k === "(") return { and: sequence(")") };
    if (token.k === "{") return { or: sequence("}") };
    if (token.k === "term") return { op: token.op, value: token.value };
    return { and: [] };
  }

  return { and: sequence(null) };
}

/** Gmail matches label names case-insensitively, with spaces, `/` and `-` interchangeable. */
export function normalLabel(name: string): string {
  return name.toLowerCase().replace(/[\s/\-_]+/g, "-");
}

const IN_LABELS: Record<string, string> = {
  inbox: "INBOX",
  sent: "SENT",
  draft: "DRAFT",
  drafts: "DRAFT",
  spam: "SPAM",
  trash: "TRASH",
  starred: "STARRED",
  important: "IMPORTANT",
  chats: "CHAT",
};

const CATEGORIES: Record<string, string> = {
  primary: "CATEGORY_PERSONAL",
  social: "CATEGORY_SOCIAL",
  promotions: "CATEGORY_PROMOTIONS",
  updates: "CATEGORY_UPDATES",
  forums: "CATEGORY_FORUMS",
};

function hasLabelNamed(m: Searchable, name: string): boolean {
  const wanted = normalLabel(name);
  return m.labelIds.some((id) => normalLabel(m.labelName(id) ?? id) === wanted);
}

function termMatches(m: Searchable, op: string | null, raw: string): boolean {
  const value = raw.toLowerCase();
  if (value === "") return true;
  switch (op) {
    case null:
      return m.text.toLowerCase().includes(value);
    case "label":
      return hasLabelNamed(m, raw);
    case "in":
      if (value === "anywhere") return true;
      return IN_LABELS[value] ? m.labelIds.includes(IN_LABELS[value]) : hasLabelNamed(m, raw);
    case "is":
      if (value === "read") return !m.labelIds.includes("UNREAD");
      return m.labelIds.includes(IN_LABELS[value] ?? value.toUpperCase());
    case "category":
      return m.labelIds.includes(CATEGORIES[value] ?? `CATEGORY_${value.toUpperCase()}`);
    case "from":
    case "subject":
    case "cc":
    case "bcc":
    case "deliveredto":
      return m.header(op === "deliveredto" ? "Delivered-To" : op).toLowerCase().includes(value);
    case "to":
      return `${m.header("To")} ${m.header("Cc")}`.toLowerCase().includes(value);
    case "has":
      return value === "attachment" ? m.filenames.length > 0 : true;
    case "filename":
      return m.filenames.some((f) => f.toLowerCase().includes(value));
    default:
      return true;
  }
}

export function queryMatches(node: QueryNode, m: Searchable): boolean {
  if ("and" in node) return node.and.every((n) => queryMatches(n, m));
  if ("or" in node) return node.or.some((n) => queryMatches(n, m));
  if ("not" in node) return !queryMatches(node.not, m);
  return termMatches(m, node.op, node.value);
}

/** Spam and trash only show up when asked for, as in Gmail. */
export function asksForSpamOrTrash(q: string): boolean {
  return /\bin:(spam|trash|anywhere)\b/i.test(q) || /\blabel:(spam|trash)\b/i.test(q);
}
