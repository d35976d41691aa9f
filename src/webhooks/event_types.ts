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
  "webhook.test",
] as const;

export type EventType = typeof EVENT_TYPES[number];
