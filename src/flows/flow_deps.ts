import type { Database } from "../db/client.ts";
import type { VaultStore } from "../vault/store.ts";
import type { ProviderRegistry } from "./flow_provider.ts";

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
}

export function callbackUrl(publicUrl: string): string {
  return `${publicUrl}/oauth/callback`;
}
