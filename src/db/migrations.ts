import m0000 from "../../migrations/0000_init.sql" with { type: "text" };
import m0001 from "../../migrations/0001_consent_flows.sql" with { type: "text" };
import m0002 from "../../migrations/0002_proxy_agents_audit.sql" with { type: "text" };
import m0003 from "../../migrations/0003_webhooks.sql" with { type: "text" };
import m0004 from "../../migrations/0004_audit_packs.sql" with { type: "text" };
import m0005 from "../../migrations/0005_audit_until_index.sql" with { type: "text" };
import m0006 from "../../migrations/0006_connection_refreshable.sql" with { type: "text" };
import m0007 from "../../migrations/0007_app_deleted.sql" with { type: "text" };
import m0008 from "../../migrations/0008_rate_limit_counters.sql" with { type: "text" };
import m0009 from "../../migrations/0009_anomalies.sql" with { type: "text" };
import m0010 from "../../migrations/0010_approvals.sql" with { type: "text" };
import m0011 from "../../migrations/0011_mcp_grants.sql" with { type: "text" };
import m0012 from "../../migrations/0012_gateway.sql" with { type: "text" };
import m0013 from "../../migrations/0013_admins.sql" with { type: "text" };
import m0014 from "../../migrations/0014_portal.sql" with { type: "text" };
import m0015 from "../../migrations/0015_approvals_via_api.sql" with { type: "text" };
import m0016 from "../../migrations/0016_key_roles.sql" with { type: "text" };
import m0017 from "../../migrations/0017_activity_hourly.sql" with { type: "text" };
import m0018 from "../../migrations/0018_revoke_orphaned_mcp_grants.sql" with { type: "text" };
import m0019 from "../../migrations/0019_end_orphaned_approvals.sql" with { type: "text" };
import m0020 from "../../migrations/0020_key_agents.sql" with { type: "text" };

/**
 * Every migration, in order, embedded through the module graph so the
 * compiled binary carries them. `deno task db:generate` writes new SQL files;
 * add each here (migrate_test.ts fails when one is missing).
 */
export const MIGRATIONS: readonly Migration[] = [
  { name: "0000_init", sql: m0000 },
  { name: "0001_consent_flows", sql: m0001 },
  { name: "0002_proxy_agents_audit", sql: m0002 },
  { name: "0003_webhooks", sql: m0003 },
  { name: "0004_audit_packs", sql: m0004 },
  { name: "0005_audit_until_index", sql: m0005 },
  { name: "0006_connection_refreshable", sql: m0006 },
  { name: "0007_app_deleted", sql: m0007 },
  { name: "0008_rate_limit_counters", sql: m0008 },
  { name: "0009_anomalies", sql: m0009 },
  { name: "0010_approvals", sql: m0010 },
  { name: "0011_mcp_grants", sql: m0011 },
  { name: "0012_gateway", sql: m0012 },
  { name: "0013_admins", sql: m0013 },
  { name: "0014_portal", sql: m0014 },
  { name: "0015_approvals_via_api", sql: m0015 },
  { name: "0016_key_roles", sql: m0016 },
  { name: "0017_activity_hourly", sql: m0017 },
  { name: "0018_revoke_orphaned_mcp_grants", sql: m0018 },
  { name: "0019_end_orphaned_approvals", sql: m0019 },
  { name: "0020_key_agents", sql: m0020 },
];

export interface Migration {
  name: string;
  sql: string;
}
