-- The end-user Trust Portal: one-time links and sessions (SHA-256 digests only), and each
-- entity's own choices (virtual scopes switched off, Gmail labels and Drive folders hidden).
CREATE TABLE `portal_links` (
	`id` text PRIMARY KEY NOT NULL,
	`digest` text NOT NULL,
	`app_id` text NOT NULL,
	`entity_id` text NOT NULL,
	`return_url` text,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `portal_links_digest_unique` ON `portal_links` (`digest`);
--> statement-breakpoint
CREATE TABLE `portal_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`digest` text NOT NULL,
	`app_id` text NOT NULL,
	`entity_id` text NOT NULL,
	`return_url` text,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `portal_sessions_digest_unique` ON `portal_sessions` (`digest`);
--> statement-breakpoint
CREATE TABLE `portal_settings` (
	`app_id` text NOT NULL,
	`entity_id` text NOT NULL,
	`kind` text NOT NULL,
	`value` text NOT NULL,
	`label` text,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`app_id`, `entity_id`, `kind`, `value`)
);
