/** One audit event before it is chained. Never holds a token, a query value or a body. */
export interface AuditEvent {
  kind: string;
  at: number;
  appId?: string | null;
  agentId?: string | null;
  entityId?: string | null;
  provider?: string | null;
  data: Record<string, unknown>;
}

export const GENESIS_HASH = "0".repeat(64);
