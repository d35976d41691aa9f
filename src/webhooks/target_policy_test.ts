import assert from "node:assert/strict";
import { SecurixError } from "../errors/securix_error.ts";
import { checkWebhookTarget, isPrivateAddress } from "./target_policy.ts";

Deno.test("webhook targets: private and loopback addresses are recognised", () => {
  for (
    const ip of [
      "127.0.0.1",
      "10.1.2.3",
      "172.16.0.1",
      "172.31.255.255",
      "192.168.1.1",
      "169.254.169.254",
      "0.0.0.0",
      "::1",
      "fd00::1",
      "fe80::1",
      "::ffff:127.0.0.1",
      "100.64.0.1",
    ]
  ) {
    assert.equal(isPrivateAddress(ip), true, ip);
  }
  for (const ip of ["8.8.8.8", "172.32.0.1", "203.0.113.9", "2606:4700::1111"]) {
    assert.equal(isPrivateAddress(ip), false, ip);
  }
});

Deno.test("webhook targets: refused unless the operator allows private targets", async () => {
  const resolve = (host: string) =>
    Promise.resolve(
      host === "internal.example.com"
        ? ["10.0.0.5"]
        : host === "hooks.example.com"
        ? ["203.0.113.7"]
        : [],
    );
  const refused = async (url: string) => {
    await assert.rejects(
      checkWebhookTarget(url, { allowPrivate: false, resolve }),
      (e: unknown) => e instanceof SecurixError && e.code === "SX-WEBHOOK-TARGET-REFUSED",
      url,
    );
  };
  await refused("http://127.0.0.1:9000/hook");
  await refused("http://localhost:9000/hook");
  await refused("https://internal.example.com/hook");
  await refused("https://[::1]/hook");
  await refused("https://169.254.169.254/latest/meta-data");
  await refused("ftp://hooks.example.com/");
  await refused("https://user:pw@hooks.example.com/");
  await refused("https://nowhere.example.com/");
  const ok = await checkWebhookTarget("https://hooks.example.com/h", {
    allowPrivate: false,
    resolve,
  });
  assert.equal(ok.hostname, "hooks.example.com");
  const onPrem = await checkWebhookTarget("http://127.0.0.1:9000/hook", {
    allowPrivate: true,
    resolve,
  });
  assert.equal(onPrem.port, "9000");
});
