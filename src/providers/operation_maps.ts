import type { CallShape, Operation, OperationEntry, OperationMap } from "./operation.ts";
import { buildOperationMap, sendVerbs } from "./operation_map.ts";
import { ATLASSIAN_OPERATIONS } from "./operations/atlassian.ts";
import { DROPBOX_OPERATIONS, dropboxUnknownClass } from "./operations/dropbox.ts";
import { GITHUB_OPERATIONS } from "./operations/github.ts";
import { GITLAB_OPERATIONS } from "./operations/gitlab.ts";
import { CALENDAR_OPERATIONS, DRIVE_OPERATIONS, GMAIL_OPERATIONS } from "./operations/google.ts";
import {
  GRAPHQL_PEEK_BYTES,
  graphqlCallOperation,
  type GraphqlIds,
} from "./operations/graphql_operation.ts";
import { LINEAR_GRAPHQL, LINEAR_OPERATIONS } from "./operations/linear.ts";
import {
  MICROSOFT_OPERATIONS,
  MICROSOFT_SEND_VERBS,
  odataSegments,
} from "./operations/microsoft.ts";
import { NOTION_OPERATIONS } from "./operations/notion.ts";
import { resolveSlack, SLACK_OPERATIONS } from "./operations/slack.ts";

/**
 * The registry: the operation map of every catalog provider, built once on
 * first use, and maps for custom providers from their declared operations.
 */

const GITHUB_GRAPHQL: GraphqlIds = { prefix: "github.graphql", opaqueId: "github.graphql" };

/**
 * A map whose GraphQL entry (`ids.opaqueId`, what the call is while its
 * document is unread) is refined by the document: from the query string of
 * a GET, from a peek of the body of a POST. Only those POSTs want the body,
 * so every other call of the provider keeps zero-copy streaming.
 */
function graphqlMap(
  provider: string,
  entries: readonly OperationEntry[],
  ids: GraphqlIds,
): OperationMap {
  const base = buildOperationMap(provider, entries);
  const resolve = (call: CallShape): Operation => {
    const op = base.resolve(call);
    if (op.id !== ids.opaqueId || call.method.toUpperCase() !== "GET") return op;
    return graphqlCallOperation(ids, call, null, null);
  };
  const wantsBody = (call: CallShape) =>
    call.method.toUpperCase() === "POST" && base.resolve(call).id === ids.opaqueId;
  const resolveBody = (call: CallShape, body: Uint8Array | null, contentType: string | null) =>
    wantsBody(call) ? graphqlCallOperation(ids, call, body, contentType) : resolve(call);
  return { ...base, resolve, peekBytes: GRAPHQL_PEEK_BYTES, wantsBody, resolveBody };
}

const BUILDERS: Readonly<Record<string, () => OperationMap>> = {
  gmail: () => buildOperationMap("gmail", GMAIL_OPERATIONS, { unknownClass: sendVerbs(["send"]) }),
  drive: () => buildOperationMap("drive", DRIVE_OPERATIONS),
  calendar: () => buildOperationMap("calendar", CALENDAR_OPERATIONS),
  github: () => graphqlMap("github", GITHUB_OPERATIONS, GITHUB_GRAPHQL),
  // GitLab's API is Grape with JSON and text formats: `…/fork.json` is `…/fork`.
  gitlab: () =>
    buildOperationMap("gitlab", GITLAB_OPERATIONS, { formatSuffixes: [".json", ".txt"] }),
  slack: () => buildOperationMap("slack", SLACK_OPERATIONS, { fallback: resolveSlack }),
  microsoft: () =>
    buildOperationMap("microsoft", MICROSOFT_OPERATIONS, {
      unknownClass: sendVerbs(MICROSOFT_SEND_VERBS),
      segments: odataSegments,
    }),
  notion: () => buildOperationMap("notion", NOTION_OPERATIONS),
  dropbox: () =>
    buildOperationMap("dropbox", DROPBOX_OPERATIONS, { unknownClass: dropboxUnknownClass }),
  linear: () => graphqlMap("linear", LINEAR_OPERATIONS, LINEAR_GRAPHQL),
  // Jira and Confluence are JAX-RS: `issue;x/PRJ-1` is `issue/PRJ-1` to them.
  atlassian: () => buildOperationMap("atlassian", ATLASSIAN_OPERATIONS, { matrixParams: true }),
};

/** Proxy hosts that are not provider names but share a provider's map. */
const HOST_ALIASES: Readonly<Record<string, string>> = { "dropbox-content": "dropbox" };

const built = new Map<string, OperationMap>();

/** Names with a built-in operation map (the catalog's providers). */
export function catalogOperationProviders(): string[] {
  return Object.keys(BUILDERS);
}

/**
 * The operation map of `provider`: the built-in one for a catalog provider
 * (`custom` is ignored there: the config refuses operations on catalog
 * providers), else a map of `custom` entries (a custom provider's
 * `[[providers.<name>.operations]]`), falling back to `<provider>.unknown`
 * with the method's class. Throws SX-OPERATION-TEMPLATE when two custom
 * entries overlap (the config schema reports that before it gets here).
 */
export function operationMapFor(
  provider: string,
  custom: readonly OperationEntry[] = [],
): OperationMap {
  const name = HOST_ALIASES[provider] ?? provider;
  const builder = BUILDERS[name];
  if (!builder) return buildOperationMap(provider, custom);
  let map = built.get(name);
  if (!map) built.set(name, map = builder());
  return map;
}
