CREATE TABLE `auth_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`app_id` text NOT NULL,
	`entity_id` text NOT NULL,
	`flow` text NOT NULL,
	`status` text NOT NULL,
	`reason` text,
	`providers` text NOT NULL,
	`sxc_hash` text,
	`sxc_failures` integer DEFAULT 0 NOT NULL,
	`target_origin` text,
	`return_url` text,
	`device_code_hash` text,
	`device_code_used_at` integer,
	`poll_interval_s` integer,
	`last_polled_at` integer,
	`browser_binding` text,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`ended_at` integer,
	FOREIGN KEY (`app_id`) REFERENCES `apps`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `auth_sessions_device_code_hash_unique` ON `auth_sessions` (`device_code_hash`);--> statement-breakpoint
CREATE INDEX `auth_sessions_entity_idx` ON `auth_sessions` (`app_id`,`entity_id`);--> statement-breakpoint
CREATE INDEX `auth_sessions_expiry_idx` ON `auth_sessions` (`status`,`expires_at`);--> statement-breakpoint
CREATE TABLE `connections` (
	`id` text PRIMARY KEY NOT NULL,
	`app_id` text NOT NULL,
	`entity_id` text NOT NULL,
	`provider` text NOT NULL,
	`status` text NOT NULL,
	`scopes` text DEFAULT '[]' NOT NULL,
	`account` text,
	`credential_id` text,
	`credential_expires_at` integer,
	`session_id` text,
	`version` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`app_id`) REFERENCES `apps`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `connections_entity_idx` ON `connections` (`app_id`,`entity_id`,`provider`);--> statement-breakpoint
CREATE TABLE `oauth_states` (
	`state_hash` text PRIMARY KEY NOT NULL,
	`session_id` text NOT NULL,
	`provider` text NOT NULL,
	`browser_binding` text NOT NULL,
	`verifier_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer,
	FOREIGN KEY (`session_id`) REFERENCES `auth_sessions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `rate_counters` (
	`key` text PRIMARY KEY NOT NULL,
	`window_start` integer NOT NULL,
	`count` integer NOT NULL
);
