export const EVENT_TYPES = [
  "session.completed",
  "session.failed",
  "session.expired",
  "connection.created",
  "connection.revoked",
  "connection.paused",
  "connection.resumed",
  "connection.refresh_failed",
  "connection.recovered",
  "security.anomaly",
  "approval.requested",
  "approval.decided",
  "portal.settings.changed",
  "entity.erased",
  "webhook.test",
  "audit.head",
] as const;

export type EventType = typeof EVENT_TYPES[number];

/**
 * Sent only to endpoints that name them, never through `*`: the signed audit
 * head is appliance-wide and periodic, wanted by whoever keeps it elsewhere.
 */
export const OPT_IN_EVENT_TYPES: ReadonlySet<EventType> = new Set(["audit.head"]);

/** Whether an endpoint subscribed to `events` takes an event of `type`. */
export function subscribedTo(events: readonly string[], type: EventType): boolean {
  return events.includes(type) || (events.includes("*") && !OPT_IN_EVENT_TYPES.has(type));
}
