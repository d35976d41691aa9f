/**
 * The setup the `[server] workers = 2` tests share: a temp appliance whose
 * providers all point at the fake provider APIs, with two serving isolates,
 * and a seeded app holding Alice's Gmail connection.
 */
import { type FakeApis, startFakeApis } from "./fake_provider_apis.ts";
import { PROVIDERS, tokenOf } from "./rules_env.ts";
import { seedApp, seedConnection } from "./seed.ts";
import { openTempAppliance, type TempAppliance } from "./temp_appliance.ts";

export interface WorkersEnv {
  fake: FakeApis;
  temp: TempAppliance;
}

/** `server` is merged over `{ base_domain, workers: 2 }`; `raw` adds other sections. */
export async function twoIsolateEnv(
  server: Record<string, unknown> = {},
  raw: Record<string, unknown> = {},
): Promise<WorkersEnv> {
  const fake = await startFakeApis({ token: (p) => tokenOf(p) });
  const temp = await openTempAppliance({
    raw: {
      ...raw,
      server: { base_domain: "localhost", workers: 2, ...server },
      providers: Object.fromEntries(
        PROVIDERS.map((p) => [p, { client_id: "c", client_secret: "s", api_base_url: fake.url }]),
      ),
    },
  });
  return { fake, temp };
}

/** An app named `name` with Alice's Gmail connection `connectionId`. */
export async function seedGmailApp(
  temp: TempAppliance,
  name = "demo",
  connectionId = "conn_gmail",
) {
  const seeded = await seedApp(temp.appliance, { name });
  await seedConnection(temp.appliance, {
    id: connectionId,
    appId: seeded.app.id,
    entityId: "alice",
    provider: "gmail",
    accessToken: tokenOf("gmail"),
  });
  return seeded;
}

/** The headers of a proxied call as Alice, by agent-1. */
export function aliceHeaders(apiKey: string): Record<string, string> {
  return {
    "securix-api-key": apiKey,
    "securix-entity-id": "alice",
    "securix-agent-id": "agent-1",
  };
}
