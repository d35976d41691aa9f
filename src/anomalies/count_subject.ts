import type { Anomaly } from "./anomaly_types.ts";

/**
 * Whose counts a detector keeps: the connection for the per-connection
 * detectors, `<appId>/<agentId>` for burst_errors (agent ids are per app).
 */
export function countSubject(a: Pick<Anomaly, "detector" | "connectionId" | "appId" | "agentId">) {
  if (a.detector === "burst_errors") return a.agentId === null ? null : `${a.appId}/${a.agentId}`;
  return a.connectionId;
}
