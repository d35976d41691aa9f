import type { Connection } from "../connections/connection_types.ts";
import { isOpen } from "../flows/session_types.ts";
import type { AuthSession } from "../flows/session_types.ts";

export type GatewayStatus = "active" | "pending" | "failed";

/**
 * Nexus's three states from ours. While the consent this connection id was
 * promised by is still open it is `pending`; a consent that failed or expired
 * leaves an unusable connection `failed`; after that the connection's own
 * status decides (paused, needs_reauth and revoked cannot be used: `failed`).
 */
export function gatewayStatus(connection: Connection, session: AuthSession | null): GatewayStatus {
  if (session && isOpen(session)) return "pending";
  if (connection.status === "active") return "active";
  if (connection.status === "pending") {
    return session && (session.status === "failed" || session.status === "expired")
      ? "failed"
      : "pending";
  }
  return "failed";
}
