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

export interface AuditRecord extends Required<Omit<AuditEvent, "data">> {
  seq: number;
  id: string;
  data: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export const GENESIS_HASH = "0".repeat(64);
