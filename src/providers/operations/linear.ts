import type { OperationEntry } from "../operation.ts";
import type { GraphqlIds } from "./graphql_operation.ts";

/**
 * Linear has one endpoint, `POST /graphql`: the operation is in the body
 * (`linear.mutation.issueCreate`, `linear.query.issues`), read from a peek of
 * it by graphql_operation.ts. The entry is what a call is without a readable
 * body: opaque, multiplexed, a write.
 */
export const LINEAR_OPERATIONS: readonly OperationEntry[] = [
  { method: "POST", path: "/graphql", id: "linear.graphql", class: "write", multiplexed: true },
  // A GET carries its document in the query string; unreadable, it could be anything.
  { method: "GET", path: "/graphql", id: "linear.graphql", class: "write", multiplexed: true },
];

export const LINEAR_GRAPHQL: GraphqlIds = { prefix: "linear", opaqueId: "linear.graphql" };
