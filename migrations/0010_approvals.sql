-- Calls held for a person by `effect = "approve"` rules: one row per held call, decided once
-- (pending → approved | denied), then used once by the agent's retry (approved → used).
CREATE TABLE `approvals` (
	`id` text PRIMARY KEY NOT NULL,
	`app_id` text NOT NULL,
	`agent_id` text NOT NULL,
	`entity_id` text NOT NULL,
	`connection_id` text NOT NULL,
	`provider` text NOT NULL,
	`operation` text NOT NULL,
	`rule` text NOT NULL,
	`method` text NOT NULL,
	`path` text NOT NULL,
	`request_hash` text NOT NULL,
	`summary` text NOT NULL,
	`status` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`approve_digest` text NOT NULL,
	`deny_digest` text NOT NULL,
	`decided_by` text,
	`decided_at` integer,
	`used_at` integer
);
--> statement-breakpoint
CREATE INDEX `approvals_app_idx` ON `approvals` (`app_id`,`status`,`created_at`);
