-- Whether an app key may decide this app's held calls (`POST /v1/approvals/{id}`): off (0) until
-- an operator runs `securix apps update NAME --allow-api-approvals`, because an agent holds the
-- app key and could otherwise approve its own held call.
ALTER TABLE `apps` ADD `approvals_via_api` integer DEFAULT 0 NOT NULL;
