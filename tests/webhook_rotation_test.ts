import assert from "node:assert/strict";
import { runCli } from "../src/cli/main.ts";
import { addEndpoint } from "../src/webhooks/endpoint_store.ts";
import { captureIo } from "./helpers/capture_io.ts";
import { seedApp } from "./helpers/seed.ts";
import { openTempAppliance } from "./helpers/temp_appliance.ts";

Deno.test("webhooks rotate-secret: a second rotation during the grace is refused with when it is possible; --grace-hours 0 replaces only the new secret", async () => {
  const temp = await openTempAppliance();
  try {
    const { appliance } = temp;
    const { app } = await seedApp(appliance, { name: "hooks" });
    const { endpoint } = await addEndpoint(
      { db: appliance.database.db, vault: appliance.vault, now: Date.now },
      app.id,
      "https://hooks.example.test/in",
      ["*"],
    );
    const run = async (...args: string[]) => {
      const cli = captureIo();
      const code = await runCli(["--config", temp.configPath, ...args], cli.io);
      return { code, out: cli.out.join("\n"), err: cli.err.join("\n") };
    };
    const first = await run("webhooks", "rotate-secret", endpoint.id, "--json");
    assert.equal(first.code, 0, first.err);
    const { oldValidUntil } = JSON.parse(first.out);

    const again = await run("webhooks", "rotate-secret", endpoint.id);
    assert.equal(again.code, 1, again.out);
    assert.match(again.err, /SX-WEBHOOK-ROTATING/);
    assert.ok(again.err.includes(oldValidUntil), again.err);

    const now = await run("webhooks", "rotate-secret", endpoint.id, "--grace-hours", "0");
    assert.equal(now.code, 0, now.err);
    assert.match(now.out, /New signing secret \(shown once\): whsec_/);
    assert.ok(
      now.out.includes(
        `The replaced secret no longer signs; the one before it signs until ${oldValidUntil}`,
      ),
      now.out,
    );
  } finally {
    await temp.cleanup();
  }
});
