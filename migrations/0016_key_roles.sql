-- Each API key has a role: `backend` (every /v1 route and the proxy; what every key made before
-- this migration becomes) or `agent` (the proxy and read-only status of held calls only), so the
-- key handed to an agent cannot mint portal or MCP links, clear anomaly blocks or decide approvals.
ALTER TABLE `api_keys` ADD `role` text DEFAULT 'backend' NOT NULL CHECK (`role` IN ('backend', 'agent'));
