import type { Database } from "../db/client.ts";
import type { Keyring } from "./keyring.ts";

// Placeholder until the vault lands.
export class VaultStore {
  constructor(_deps: { database: Database; keyring: Keyring; now?: () => number }) {}
}
