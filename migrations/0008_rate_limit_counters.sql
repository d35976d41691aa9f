-- Rate limits shared by every process on this database (src/limits/): one token bucket per
-- limit key, and the tokens each process holds as a lease to admit calls locally.
CREATE TABLE `rate_limit_buckets` (
	`key` text PRIMARY KEY NOT NULL,
	`tokens` real NOT NULL,
	`at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `rate_limit_buckets_expires_idx` ON `rate_limit_buckets` (`expires_at`);--> statement-breakpoint
CREATE TABLE `rate_limit_leases` (
	`key` text NOT NULL,
	`holder` text NOT NULL,
	`tokens` integer NOT NULL,
	`until` integer NOT NULL,
	PRIMARY KEY(`key`, `holder`)
);
--> statement-breakpoint
CREATE INDEX `rate_limit_leases_until_idx` ON `rate_limit_leases` (`until`);
