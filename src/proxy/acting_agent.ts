import { AgentMismatch } from "./proxy_errors.ts";

/** What a presented key says about the agent behind a call. */
export interface KeyHolder {
  app: { id: string };
  /** The agent the key is bound to; null for a backend key or an unbound agent key. */
  agentId: string | null;
}

/**
 * The agent a call acts for. A bound key acts for its agent only: the
 * `securix-agent-id` it sends must name that agent or be left out (the bound
 * one is then used), or the call is refused with SX-AGENT-MISMATCH, so an
 * agent cannot escape rules, limits and detectors scoped to agents by naming
 * another. An unbound key acts for whichever agent it names (null: none).
 */
export function actingAgent(key: KeyHolder, sent: string | null | undefined): string | null {
  if (key.agentId === null) return sent || null;
  if (!sent || sent === key.agentId) return key.agentId;
  throw new AgentMismatch(key.app.id, key.agentId, sent);
}
