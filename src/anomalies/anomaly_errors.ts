import { SecurixError } from "../errors/securix_error.ts";
import { formatDuration } from "../security/duration.ts";
import { type Anomaly, DETECTOR_PATTERN } from "./anomaly_types.ts";

/** What the security engine answers, each with its stable code. */
export const anomalyErrors = {
  /**
   * A call of the blocked class on a blocked connection. Built once per
   * block, so every refusal reuses one serialised envelope.
   */
  blocked: (a: Anomaly) =>
    new SecurixError(
      "SX-403",
      `Request blocked: ${DETECTOR_PATTERN[a.detector]} pattern detected`,
      {
        status: 403,
        type: "anomaly_detected",
        llmError: `Securix blocked this request because this account showed a ${
          DETECTOR_PATTERN[a.detector]
        } pattern. Stop now and do not retry this or similar actions; tell your user what you were doing and ask them to review it. A person must clear the block (anomaly ${a.id}) before this works again.`,
        details: {
          detector: a.detector,
          action: a.action,
          count: a.count,
          window: formatDuration(a.windowMs),
          anomalyId: a.id,
        },
      },
    ),
  /** A batch (Google `/batch`, Graph `$batch`) whose calls cannot be read, so its deletes cannot be counted. */
  uncountable: () =>
    new SecurixError(
      "SX-INVALID-INPUT",
      "Batch refused: its calls cannot be read (larger than proxy.max_inspect_bytes, or not a batch body), so its deletes cannot be counted",
      { status: 400 },
    ),
  notFound: (id: string) =>
    new SecurixError("SX-ANOMALY-NOT-FOUND", `No anomaly "${id}"`, {
      status: 404,
      details: { anomalyId: id },
    }),
  /** Only an active block can be cleared. */
  notActive: (a: Anomaly) =>
    new SecurixError(
      "SX-ANOMALY-NOT-ACTIVE",
      `Anomaly "${a.id}" is ${a.status === "alert" ? "an alert, not a block" : a.status}`,
      { status: 409, details: { anomalyId: a.id, status: a.status } },
    ),
};
