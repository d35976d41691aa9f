import type { RequestIds } from "../identifiers/request_id.ts";
import type { matchTotpCode } from "../admins/admin_store.ts";
import type { redeemLoginLink } from "../admins/login_link_store.ts";
import type { CommandsFor } from "../commands/command_context.ts";
import type { Refresher } from "../connections/credential_source.ts";
import type { Config } from "../config/load.ts";
import type { Database } from "../db/client.ts";
import type { ProviderRegistry } from "../flows/flow_provider.ts";
import type { RouteTable } from "../proxy/proxy_route.ts";
import type { RuleLoad } from "../rules/rule_book.ts";
import type { RuleSet } from "../rules/rule_set.ts";
import type { VaultStore } from "../vault/store.ts";
import type { Resolver } from "../webhooks/target_policy.ts";
import type { AdminLockout } from "./admin_lockout.ts";
import type { MetricsHistory } from "./metrics_history.ts";

/** What the console's pages reach: the serving process's own stores, commands and state. */
export interface ConsoleDeps {
  /** Where request ids come from; default this isolate's source. */
  requestIds?: RequestIds;
  config: Config;
  database: Database;
  vault: VaultStore;
  now: () => number;
  /** Admin commands with this process's after-commit hooks; the actor is the signed-in admin. */
  commands: CommandsFor;
  providers: ProviderRegistry;
  routes: RouteTable;
  refresherFor: (provider: string) => Refresher | null;
  rules: () => RuleSet;
  reloadRules: (trigger: string) => Promise<RuleLoad>;
  history: MetricsHistory;
  /** Name resolution for webhook targets (the runtime's). */
  webhookResolve: Resolver;
  webhookQueueDepth: () => Promise<number>;
  lockout: AdminLockout;
  /**
   * Uses up a login link; default login_link_store's. A test holds it to have
   * attempts overlap, which a real lookup is too quick to show.
   */
  redeemLoginLink?: typeof redeemLoginLink;
  /**
   * Checks an enrolment's TOTP code; default admin_store's matchTotpCode. A
   * test holds it to have attempts overlap, which a real check is too quick to show.
   */
  checkEnrolmentCode?: typeof matchTotpCode;
  /** HMAC key of the console's CSRF tokens (derived from the master key). */
  csrfKey: Uint8Array;
  log: (line: string) => void;
}
