-- An agent key may be bound to one agent of its app: `securix-agent-id` may then only name that
-- agent (or be left out), so an agent holding its key cannot act as another agent to escape the
-- rules, limits and anomaly detection scoped to agents. Keys made before stay unbound (null): a
-- backend key acts for any agent, as does an agent key made before binding existed.
ALTER TABLE `api_keys` ADD `agent_id` text CHECK (`agent_id` IS NULL OR `role` = 'agent');
