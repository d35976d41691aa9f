-- Pending and approved, unused approvals of agents removed before removal ended them: until now
-- they stayed usable until approval_ttl ran out, by an agent added again under the same id too.
-- Removing an agent now ends them (expires_at = now, status kept, so they read `expired`); those
-- of agents already removed end here. An approval made before the agent of its id now registered
-- was registered belongs to a removed one as well.
UPDATE `approvals` SET `expires_at` = CAST(strftime('%s', 'now') AS INTEGER) * 1000
WHERE `status` IN ('pending', 'approved')
  AND `expires_at` > CAST(strftime('%s', 'now') AS INTEGER) * 1000
  AND NOT EXISTS (
    SELECT 1 FROM `agents`
    WHERE `agents`.`app_id` = `approvals`.`app_id` AND `agents`.`agent_id` = `approvals`.`agent_id`
      AND `agents`.`created_at` <= `approvals`.`created_at`
  );
