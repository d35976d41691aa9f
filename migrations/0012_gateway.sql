-- Whether `GET /v1/token/{id}` may hand this app its users' credentials: off (0) until an
-- operator runs `securix apps update NAME --allow-credential-release`.
ALTER TABLE `apps` ADD `credential_release` integer DEFAULT 0 NOT NULL;
--> statement-breakpoint
-- One row per `POST /v1/request-connection`: the consent session it started, the connection id
-- promised to the app, where the browser goes back to, and the single-use link that starts it.
CREATE TABLE `gateway_requests` (
	`session_id` text PRIMARY KEY NOT NULL,
	`app_id` text NOT NULL,
	`connection_id` text NOT NULL,
	`provider` text NOT NULL,
	`return_url` text NOT NULL,
	`metadata` text,
	`state` text NOT NULL,
	`link_hash` text NOT NULL,
	`link_used_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`session_id`) REFERENCES `auth_sessions`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`app_id`) REFERENCES `apps`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `gateway_requests_link_unique` ON `gateway_requests` (`link_hash`);
--> statement-breakpoint
CREATE INDEX `gateway_requests_connection_idx` ON `gateway_requests` (`connection_id`,`created_at`);
