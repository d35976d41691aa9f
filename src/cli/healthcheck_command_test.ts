import assert from "node:assert/strict";
import { captureIo } from "../../tests/helpers/capture_io.ts";
import { openTempAppliance } from "../../tests/helpers/temp_appliance.ts";
import { runCli } from "./main.ts";

Deno.test("cli healthcheck: a --timeout that is not a positive whole number is refused, not replaced", async () => {
  const temp = await openTempAppliance();
  try {
    temp.appliance.close();
    for (const value of ["abc", "0", "-5", "1.5"]) {
      const io = captureIo();
      assert.equal(
        await runCli(["--config", temp.configPath, "healthcheck", "--timeout", value], io.io),
        1,
      );
      assert.match(io.err.join("\n"), /SX-INVALID-INPUT: --timeout must be a whole number/);
    }
  } finally {
    await temp.cleanup();
  }
});
