-- MCP URLs: one row per grant; the grant itself is never stored, only its SHA-256 digest.
CREATE TABLE `mcp_grants` (
	`id` text PRIMARY KEY NOT NULL,
	`app_id` text NOT NULL,
	`entity_id` text NOT NULL,
	`agent_id` text NOT NULL,
	`providers` text,
	`digest` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`revoked_at` integer,
	FOREIGN KEY (`app_id`) REFERENCES `apps`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `mcp_grants_digest_unique` ON `mcp_grants` (`digest`);--> statement-breakpoint
CREATE INDEX `mcp_grants_app_idx` ON `mcp_grants` (`app_id`,`created_at`);
