import type { Database, Db } from "../db/client.ts";
import type { VaultStore } from "../vault/store.ts";
import type { ProviderRegistry } from "./flow_provider.ts";
import type { AuthSession } from "./session_types.ts";

/** Everything the flows touch, injected by the HTTP wiring. */
export interface FlowDeps {
  database: Database;
  vault: VaultStore;
  providers: ProviderRegistry;
  now: () => number;
  publicUrl: string;
  /** Session lifetime; default 10 minutes. */
  sessionTtlMs: number;
  /** Seconds a device-flow poller must wait between polls. */
  deviceIntervalS: number;
  random?: (bytes: Uint8Array) => Uint8Array;
  /**
   * A consent made connections active: the proxy's caches may still hold
   * them as pending or missing (a call made during the consent), and must
   * read them again. Called after the commit.
   */
  connectionActivated?: (connection: ActivatedConnection) => void;
  /**
   * Finds the session of a typed device code (session_store's
   * findSessionByDeviceCode by default). A seam for tests that hold every
   * lookup until all concurrent entries are in flight.
   */
  findDeviceCode?: (db: Db, codeHash: string) => Promise<AuthSession | null>;
}

export interface ActivatedConnection {
  id: string;
  appId: string;
  entityId: string;
  provider: string;
}

export function callbackUrl(publicUrl: string): string {
  return `${publicUrl}/oauth/callback`;
}
