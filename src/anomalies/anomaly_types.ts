import type { OperationClass } from "../providers/operation.ts";

export const DETECTORS = ["mass_delete", "exfiltration", "unusual_hours", "burst_errors"] as const;
export type Detector = typeof DETECTORS[number];

/** active | cleared | expired are blocks; alert is an alert-only finding. */
export const ANOMALY_STATUSES = ["active", "cleared", "expired", "alert"] as const;
export type AnomalyStatus = typeof ANOMALY_STATUSES[number];

/** The class of calls a blocking detector refuses on its connection; alert-only detectors block none. */
export const BLOCKED_CLASS: Readonly<Record<Detector, OperationClass | null>> = {
  mass_delete: "delete",
  exfiltration: "read",
  unusual_hours: null,
  burst_errors: null,
};

/** How the refusal and the alert name each detector's finding. */
export const DETECTOR_PATTERN: Readonly<Record<Detector, string>> = {
  mass_delete: "mass deletion",
  exfiltration: "data exfiltration",
  unusual_hours: "activity at unusual hours",
  burst_errors: "burst of provider errors",
};

/** One row of the `anomalies` table. */
export interface Anomaly {
  id: string;
  appId: string;
  connectionId: string | null;
  agentId: string | null;
  entityId: string | null;
  provider: string | null;
  detector: Detector;
  /** The operation id of the call that tripped it. */
  action: string;
  /** Calls, errors, or bytes (exfiltration) counted in the window. */
  count: number;
  windowMs: number;
  blocked: boolean;
  status: AnomalyStatus;
  createdAt: number;
  expiresAt: number | null;
  clearedAt: number | null;
  clearedBy: string | null;
}
