/**
 * What a proxied call does, in the provider's own vocabulary: operation ids
 * follow the official SDK or API reference (`gmail.users.messages.send`,
 * `github.repos.delete`), classes say what kind of harm a call can do.
 */

/** `send` leaves the account (email, chat); `delete` destroys; `write` changes; `read` only reads. */
export type OperationClass = "read" | "write" | "send" | "delete";

export const OPERATION_CLASSES: readonly OperationClass[] = ["read", "write", "send", "delete"];

export interface Operation {
  /** e.g. `gmail.users.messages.send`; `<provider>.unknown` when no entry matched. */
  id: string;
  class: OperationClass;
  /**
   * The call can carry several operations the appliance cannot see one by one
   * (Google's `/batch`, Graph `$batch`, a GraphQL document with several
   * mutations): rules treat it as possibly any operation of its provider.
   */
  multiplexed?: boolean;
  /**
   * Deletions the one call makes, when more than one (a GraphQL document
   * selecting a delete mutation under several aliases): what mass_delete counts.
   */
  deletes?: number;
}

/** One row of a provider's operation map, as `securix providers operations` lists it. */
export interface OperationEntry {
  method: string;
  /** Path template: literal segments and `{name}` placeholders, e.g. `/gmail/v1/users/{userId}/messages/send`. */
  path: string;
  id: string;
  class: OperationClass;
  multiplexed?: boolean;
}

/** What an operation map sees of a call. */
export interface CallShape {
  method: string;
  /** The path as sent to the provider (after the `/proxy/<name>` prefix), without the query. */
  path: string;
  /** The query string with its `?`, or "". */
  query: string;
}

/**
 * A provider's operation map. `resolve` answers from method + path; providers
 * whose operation is in the body (Slack form posts, GraphQL) set `peekBytes`
 * and the pipeline hands `resolveBody` that many bytes of the request body at
 * most (null when there is none).
 */
export interface OperationMap {
  readonly provider: string;
  readonly entries: readonly OperationEntry[];
  resolve(call: CallShape): Operation;
  readonly peekBytes?: number;
  /**
   * Which calls `resolveBody` needs (GitHub: only `POST /graphql`); absent
   * means every call when `peekBytes` is set. Lets the pipeline keep
   * zero-copy streaming for every other call of the provider.
   */
  wantsBody?(call: CallShape): boolean;
  resolveBody?(call: CallShape, body: Uint8Array | null, contentType: string | null): Operation;
}

/** The class of a call no entry matched: GET/HEAD read, DELETE delete, anything else write. */
export function classFromMethod(method: string): OperationClass {
  const m = method.toUpperCase();
  if (m === "GET" || m === "HEAD" || m === "OPTIONS") return "read";
  if (m === "DELETE") return "delete";
  return "write";
}
