-- MCP URLs of agents removed before removal revoked them: until now a URL ended only while no agent
-- of its id was registered, so adding an agent of the same id again brought it back. Removing an
-- agent now revokes its URLs; the URLs of agents already removed are revoked here, for good.
UPDATE `mcp_grants` SET `revoked_at` = CAST(strftime('%s', 'now') AS INTEGER) * 1000
WHERE `revoked_at` IS NULL AND NOT EXISTS (
  SELECT 1 FROM `agents`
  WHERE `agents`.`app_id` = `mcp_grants`.`app_id` AND `agents`.`agent_id` = `mcp_grants`.`agent_id`
);
