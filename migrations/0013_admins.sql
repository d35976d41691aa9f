-- Admin console accounts: a scrypt password hash and a TOTP key (in the vault, by id); sessions
-- and one-time login links are stored as SHA-256 digests only.
CREATE TABLE `admins` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`password_hash` text NOT NULL,
	`totp_secret_id` text NOT NULL,
	`totp_confirmed_at` integer,
	`totp_last_counter` integer,
	`created_at` integer NOT NULL,
	`last_sign_in_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `admins_name_unique` ON `admins` (`name`);
--> statement-breakpoint
CREATE TABLE `admin_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`digest` text NOT NULL,
	`admin_id` text NOT NULL,
	`via` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `admin_sessions_digest_unique` ON `admin_sessions` (`digest`);
--> statement-breakpoint
CREATE TABLE `admin_login_links` (
	`id` text PRIMARY KEY NOT NULL,
	`digest` text NOT NULL,
	`admin_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `admin_login_links_digest_unique` ON `admin_login_links` (`digest`);
