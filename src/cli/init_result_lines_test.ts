import assert from "node:assert/strict";
import { type InitResult, resultLines } from "./init_command.ts";

const result = (origins: string[]): InitResult => ({
  configPath: "/etc/securix/securix.toml",
  masterKey: { kind: "file", path: "/etc/securix/securix-data/master.key", created: true },
  database: { url: "file:securix-data/securix.db", file: "/x/securix.db", migrationsApplied: [] },
  app: { id: "app_1", name: "shop", origins },
  existingApps: [],
  apiKey: { id: "key_1", key: "sx_live_x" },
  service: null,
});

Deno.test("init: a first app without origins says how to add the one the popup flow needs", () => {
  const none = resultLines(result([]), "/etc/securix/securix.toml");
  assert.ok(
    none.includes(
      "Created app shop (app_1); origins: none (the popup flow needs one: " +
        "securix --config /etc/securix/securix.toml apps update shop --origin https://…)",
    ),
    none.join("\n"),
  );
  const some = resultLines(result(["https://shop.example"]), null);
  assert.ok(some.includes("Created app shop (app_1); origins: https://shop.example"));
});
