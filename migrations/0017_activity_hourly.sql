-- Proxied calls counted per hour, so the Trust Portal's activity view and the unusual_hours
-- detector read a few indexed rows instead of decoding every audit pack of 30 (14) days. One row
-- per app, entity, hour (UTC start, ms), provider, agent, operation, decision and via ('' for
-- none); written in the audit batch's own transaction (append.ts), pruned with the log. Holds no
-- path and no content. WITHOUT ROWID: the key is the row, and one entity's hours sit together.
CREATE TABLE `activity_hourly` (
	`app_id` text NOT NULL,
	`entity_id` text NOT NULL,
	`hour` integer NOT NULL,
	`provider` text NOT NULL,
	`agent_id` text NOT NULL,
	`operation` text NOT NULL,
	`decision` text NOT NULL,
	`via` text NOT NULL,
	`calls` integer NOT NULL,
	`last_at` integer NOT NULL,
	PRIMARY KEY(`app_id`, `entity_id`, `hour`, `provider`, `agent_id`, `operation`, `decision`, `via`)
) WITHOUT ROWID;
--> statement-breakpoint
-- unusual_hours reads every connection's hours of a period, and retention deletes by hour.
CREATE INDEX `activity_hourly_hour_idx` ON `activity_hourly` (`hour`, `app_id`, `entity_id`, `provider`);
--> statement-breakpoint
-- The history already in the log, once, from rows and from packs: the last 366 days (the longest
-- unusual_hours.history_days is 365; the portal shows 30), so the upgrade's cost has a bound.
INSERT INTO `activity_hourly`
WITH since AS (SELECT (CAST(strftime('%s', 'now') AS INTEGER) - 366 * 86400) / 3600 * 3600000 AS at)
SELECT app_id, entity_id, at / 3600000 * 3600000 AS hour, provider, agent_id, operation,
	decision, via, count(*), max(at)
FROM (
	SELECT app_id, entity_id, provider, coalesce(agent_id, '') AS agent_id, at,
		coalesce(json_extract(data, '$.operation'), '') AS operation,
		coalesce(json_extract(data, '$.decision'), '') AS decision,
		coalesce(json_extract(data, '$.via'), '') AS via
	FROM audit_log WHERE kind = 'proxy.request' AND records = 1
	UNION ALL
	SELECT json_extract(r.value, '$.record.appId'), json_extract(r.value, '$.record.entityId'),
		json_extract(r.value, '$.record.provider'),
		coalesce(json_extract(r.value, '$.record.agentId'), ''),
		json_extract(r.value, '$.record.at'),
		coalesce(json_extract(r.value, '$.record.data.operation'), ''),
		coalesce(json_extract(r.value, '$.record.data.decision'), ''),
		coalesce(json_extract(r.value, '$.record.data.via'), '')
	FROM audit_log, json_each(audit_log.data) AS r
	WHERE audit_log.kind = 'proxy.request' AND audit_log.records > 1
		AND coalesce(audit_log.last_at, audit_log.at) >= (SELECT at FROM since)
)
WHERE app_id IS NOT NULL AND entity_id IS NOT NULL AND provider IS NOT NULL
	AND at >= (SELECT at FROM since)
GROUP BY app_id, entity_id, hour, provider, agent_id, operation, decision, via;
