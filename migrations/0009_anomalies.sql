-- Anomalies the security engine detected: blocks (active until cleared or expired) and
-- alert-only findings. At most one active block per connection and detector, across processes.
CREATE TABLE `anomalies` (
	`id` text PRIMARY KEY NOT NULL,
	`app_id` text NOT NULL,
	`connection_id` text,
	`agent_id` text,
	`entity_id` text,
	`provider` text,
	`detector` text NOT NULL,
	`action` text NOT NULL,
	`count` integer NOT NULL,
	`window_ms` integer NOT NULL,
	`blocked` integer NOT NULL,
	`status` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer,
	`cleared_at` integer,
	`cleared_by` text
);
--> statement-breakpoint
CREATE INDEX `anomalies_status_idx` ON `anomalies` (`status`);--> statement-breakpoint
CREATE INDEX `anomalies_app_idx` ON `anomalies` (`app_id`,`created_at`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `anomalies_active_block_idx` ON `anomalies` (`connection_id`,`detector`) WHERE `status` = 'active';--> statement-breakpoint
-- The detectors' counts shared between processes: each adds what it counted per time bucket.
CREATE TABLE `anomaly_counts` (
	`detector` text NOT NULL,
	`subject` text NOT NULL,
	`bucket` integer NOT NULL,
	`count` integer NOT NULL,
	PRIMARY KEY(`detector`, `subject`, `bucket`)
);
--> statement-breakpoint
CREATE INDEX `anomaly_counts_bucket_idx` ON `anomaly_counts` (`bucket`);
