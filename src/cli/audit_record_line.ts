import { terminalText } from "./terminal_text.ts";
import type { StoredRecord } from "../audit/stored_records.ts";

/** One record as a JSON line: what `audit export` and `audit tail --json` print. */
export function recordJson(record: StoredRecord): string {
  return JSON.stringify({
    seq: record.seq,
    id: record.id,
    at: new Date(record.at).toISOString(),
    kind: record.kind,
    appId: record.appId,
    agentId: record.agentId,
    entityId: record.entityId,
    provider: record.provider,
    data: record.data,
    hash: record.hash,
  });
}

/**
 * One record for a person watching `audit tail`: time, kind, who, and what
 * happened (a proxied call reads like an access log line).
 */
export function recordText(record: StoredRecord): string {
  const who = [
    record.provider,
    record.appId,
    record.agentId && `agent=${record.agentId}`,
    record.entityId && `entity=${record.entityId}`,
  ].filter(Boolean).join(" ");
  const what = record.kind === "proxy.request" ? proxySummary(record.data) : pairs(record.data);
  // Ids, names and notes come from apps: never let them drive the operator's terminal.
  return terminalText(
    [new Date(record.at).toISOString(), record.kind.padEnd(28), who, what]
      .filter(Boolean).join("  "),
  );
}

function proxySummary(data: Record<string, unknown>): string {
  const error = data.error ? `:${data.error}` : "";
  const decision = data.decision === "allowed" ? "" : ` ${data.decision}${error}`;
  const rules = Array.isArray(data.rules) ? ` rules=${data.rules.join(",")}` : "";
  const op = data.operation ? ` ${data.operation}` : "";
  const note = data.note ? ` note=${JSON.stringify(data.note)}` : "";
  // Last: the id an app developer quotes from an answer, to search the screen for.
  const id = typeof data.requestId === "string" ? ` ${data.requestId}` : "";
  return `${data.method} ${data.path} → ${data.status} ${data.durationMs} ms${op}${decision}${rules}${note}${id}`;
}

function pairs(data: Record<string, unknown>): string {
  return Object.entries(data)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ");
}
