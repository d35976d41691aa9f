/**
 * Operation globs (`gmail.*`, `google.*`, `*.delete*`) and path globs. `*`
 * matches any run of characters, dots and slashes included; everything else
 * is literal and case-sensitive (operation ids are camelCase: `sendMail`).
 * Globs are compiled once into plain string operations: no RegExp is built
 * from operator text, so nothing in a glob can be a regex metacharacter.
 */

export interface Glob {
  readonly source: string;
  /** Characters that are not `*`: the more, the more specific the glob. */
  readonly literalLength: number;
  /**
   * The provider-or-family part: the text before the first `.` or `*`
   * (`gmail` for `gmail.*`, `` for `*.delete`, `gm` for `gm*`).
   */
  readonly head: string;
  /** True when the head ends at a `.` (or the glob's end), so it is a whole first segment. */
  readonly headIsSegment: boolean;
  match(text: string): boolean;
}

export function compileGlob(source: string): Glob {
  const parts = source.split("*");
  const stop = source.search(/[.*]/);
  const head = stop < 0 ? source : source.slice(0, stop);
  return {
    source,
    literalLength: source.length - (parts.length - 1),
    head,
    headIsSegment: stop < 0 || source[stop] === ".",
    match: matcher(source, parts),
  };
}

function matcher(source: string, parts: string[]): (text: string) => boolean {
  if (parts.length === 1) return (text) => text === source;
  const first = parts[0];
  const last = parts[parts.length - 1];
  const middle = parts.slice(1, -1).filter((p) => p !== "");
  if (first === "" && last === "" && middle.length === 0) return () => true;
  const minLength = first.length + last.length + middle.reduce((n, p) => n + p.length, 0);
  if (middle.length === 0) {
    return (text) => text.length >= minLength && text.startsWith(first) && text.endsWith(last);
  }
  return (text) => {
    if (text.length < minLength || !text.startsWith(first) || !text.endsWith(last)) return false;
    const end = text.length - last.length;
    let at = first.length;
    // Leftmost placement of each literal is optimal when the only wildcard is `*`.
    for (const part of middle) {
      const found = text.indexOf(part, at);
      if (found < 0 || found + part.length > end) return false;
      at = found + part.length;
    }
    return true;
  };
}

/**
 * A `path_matches` glob. A provider reads `/repos/octo-org/%70ayroll`,
 * `/repos/Octo-Org/payroll` (GitHub names are case-insensitive) and
 * `/repos//octo-org/payroll/` as the path the operator wrote, and the proxy
 * forwards a path as sent: so the glob matches the path as sent, or its
 * canonical form (each segment without `;` parameters, percent-decoded
 * once, lower-cased; empty segments dropped) against the glob's own. Every rule effect restricts,
 * so matching more forms fails closed.
 */
export function compilePathGlob(source: string): Glob {
  const raw = compileGlob(source);
  const folded = compileGlob(canonicalPath(source));
  return { ...raw, match: (text) => raw.match(text) || folded.match(canonicalOnce(text)) };
}

/**
 * The last path canonicalised and its form. Every `path_matches` rule of
 * every filter (rules, limits, approvals) asks about the same call's path in
 * turn, so the form is computed once per call rather than once per rule and
 * filter; canonicalPath is pure, so the memo cannot answer a stale form.
 */
let lastPath: string | null = null;
let lastCanonical = "/";

function canonicalOnce(path: string): string {
  if (path !== lastPath) {
    lastCanonical = canonicalPath(path);
    lastPath = path;
  }
  return lastCanonical;
}

/** `/A//b%43;x/` → `/a/bc`, `/g%2F%2Fp` → `/g/p`: segments without `;` parameters, decoded once (kept as sent when they do not decode), lower-cased, no empty ones. */
export function canonicalPath(path: string): string {
  let out = "";
  for (let segment of path.split("/")) {
    // `;` parameters: JAX-RS and servlet servers (Jira, Confluence) route without them.
    if (segment.includes(";")) segment = segment.slice(0, segment.indexOf(";"));
    if (segment === "") continue;
    let text = segment;
    if (segment.includes("%")) {
      try {
        text = decodeURIComponent(segment);
      } catch {
        // Not percent-encoding: the provider refuses it or reads it as sent.
      }
    }
    // An encoded `/` (GitLab's `group%2Fproject`) splits into parts, also without empty ones.
    for (const part of text.split("/")) if (part !== "") out += "/" + part.toLowerCase();
  }
  return out === "" ? "/" : out;
}

/**
 * Whether the glob could match some operation of this provider or family:
 * what a multiplexed call (a batch whose contents are not visible) is tested
 * with, so a rule about any operation of Gmail applies to a Gmail batch.
 */
export function headCompatible(glob: Glob, provider: string, family: string): boolean {
  if (glob.headIsSegment) return glob.head === provider || glob.head === family;
  return provider.startsWith(glob.head) || family.startsWith(glob.head);
}

/**
 * Which target globs concern an operation of `provider` (of `family`): the
 * rules and scopes that apply to it (rule_set.ts), the entity's switched-off
 * scopes that contain it (entity_choices.ts), the targets lint finds
 * reachable (rule_lint.ts). A glob matches the operation id, or the id with
 * the provider replaced by its family (`google.users.messages.send` for
 * Gmail's). A multiplexed operation (a batch, a GraphQL document, a provider
 * with no operation map) may carry any call of its provider, so every glob
 * whose provider-or-family part could name one of them concerns it: deny by
 * caution.
 */
export function operationTargets(
  provider: string,
  family: string,
  operation: { readonly id: string; readonly multiplexed?: boolean },
): (glob: Glob) => boolean {
  if (operation.multiplexed === true) return (glob) => headCompatible(glob, provider, family);
  const id = operation.id;
  if (family === provider || !id.startsWith(`${provider}.`)) return (glob) => glob.match(id);
  const aliased = family + id.slice(provider.length);
  return (glob) => glob.match(id) || glob.match(aliased);
}

/**
 * Whether every text `inner` matches is also matched by `outer`. Sound, not
 * complete: `outer`'s literals can never match a `*` of `inner`, so if
 * `outer` matches `inner`'s source read literally, `outer`'s wildcards absorb
 * whatever `inner`'s stand for. Used by lint to find shadowed rules.
 */
export function globCovers(outer: Glob, inner: string): boolean {
  return outer.match(inner);
}

const OPERATION_GLOB = /^[A-Za-z0-9_.:*-]{1,200}$/;

/** Why `source` is not an operation glob, or null. */
export function operationGlobProblem(source: string): string | null {
  if (!OPERATION_GLOB.test(source)) {
    return `expected an operation glob such as "gmail.*", "google.*" or "*.delete*" (letters, digits, ".", "_", "-", ":" and "*", at most 200), got ${
      JSON.stringify(source.slice(0, 210))
    }`;
  }
  return null;
}
