import assert from "node:assert/strict";
import { SecurixError } from "../errors/securix_error.ts";
import {
  checkWebhookTarget,
  dnsResolver,
  TARGET_REFUSED_MESSAGE,
  TargetRefused,
} from "./target_policy.ts";

/** Every spelling of a non-public target that issue #10 (and its neighbours) got accepted. */
const REFUSED_TARGETS: string[] = [
  "http://127.0.0.1:9000/hook",
  "http://localhost:9000/hook",
  "http://hooks.localhost/hook",
  "https://[::1]/hook",
  "https://169.254.169.254/latest/meta-data",
  "http://[::ffff:127.0.0.1]:9000/",
  "http://[::ffff:7f00:1]:9000/",
  "http://[0:0:0:0:0:ffff:127.0.0.1]:9000/",
  "http://[::ffff:169.254.169.254]/latest/meta-data",
  "http://[::7f00:1]:9000/",
  "http://[::127.0.0.1]:9000/",
  "http://[::ffff:0:7f00:1]:9000/",
  "http://[64:ff9b::7f00:1]:9000/",
  "http://[64:ff9b::a9fe:a9fe]/",
  "http://[2002:7f00:1::1]:9000/",
  "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]:9000/",
  "http://[fec0::1]/",
  "http://[fe80::1]/",
  "http://[fd00::1]/",
  "http://198.18.0.1/",
  "http://198.19.255.254/",
  "http://192.0.0.8/",
  "http://[2001:db8::1]/",
  "http://2130706433:9000/",
  "http://0x7f.1:9000/",
  "http://0x7f000001:9000/",
  "http://017700000001:9000/",
  "http://0177.0.0.1:9000/",
  "http://127.1:9000/",
  "http://0/",
  "https://internal.example.com/hook",
  "https://rebound.example.com/hook",
  "https://nowhere.example.com/",
];

const resolve = (host: string) =>
  Promise.resolve(
    host === "internal.example.com" ? ["10.0.0.5"] : host === "rebound.example.com"
      // One public and one private record: every record must be public.
      ? ["93.184.215.14", "::ffff:127.0.0.1"]
      : host === "hooks.example.com"
      ? ["93.184.215.14", "2606:4700::1111"]
      : [],
  );

Deno.test("webhook targets: every non-public spelling is refused with one generic message", async () => {
  for (const url of REFUSED_TARGETS) {
    await assert.rejects(
      checkWebhookTarget(url, { allowPrivate: false, resolve }),
      (e: unknown) => {
        assert.ok(e instanceof TargetRefused, `${url}: ${e}`);
        assert.equal(e.code, "SX-WEBHOOK-TARGET-REFUSED");
        assert.equal(e.status, 400);
        assert.equal(e.message, TARGET_REFUSED_MESSAGE, url);
        assert.ok(e.reason.length > 0);
        return true;
      },
      url,
    );
  }
});

Deno.test("webhook targets: malformed URLs are refused with what is wrong", async () => {
  for (
    const url of ["ftp://hooks.example.com/", "https://user:pw@hooks.example.com/", "not a url"]
  ) {
    await assert.rejects(
      checkWebhookTarget(url, { allowPrivate: false, resolve }),
      (e: unknown) =>
        e instanceof SecurixError && e.code === "SX-WEBHOOK-TARGET-REFUSED" &&
        e.message !== TARGET_REFUSED_MESSAGE,
      url,
    );
  }
});

Deno.test("webhook targets: public literals and names are accepted, with the addresses to connect to", async () => {
  const name = await checkWebhookTarget("https://hooks.example.com/h", {
    allowPrivate: false,
    resolve,
  });
  assert.equal(name.url.hostname, "hooks.example.com");
  assert.deepEqual(name.addresses, ["93.184.215.14", "2606:4700::1111"]);
  assert.equal(name.isPublic, true);
  const v4 = await checkWebhookTarget("http://93.184.215.14/h", { allowPrivate: false, resolve });
  assert.deepEqual(v4.addresses, ["93.184.215.14"]);
  const v6 = await checkWebhookTarget("https://[2606:4700::1111]:8443/h", {
    allowPrivate: false,
    resolve,
  });
  assert.deepEqual(v6.addresses, ["2606:4700::1111"]);
});

Deno.test("webhook targets: with allow_private_targets, private targets pass and say so", async () => {
  const onPrem = await checkWebhookTarget("http://127.0.0.1:9000/hook", {
    allowPrivate: true,
    resolve,
  });
  assert.equal(onPrem.url.port, "9000");
  assert.equal(onPrem.isPublic, false);
  const local = await checkWebhookTarget("http://localhost:9000/hook", {
    allowPrivate: true,
    resolve,
  });
  assert.deepEqual(local.addresses, ["127.0.0.1", "::1"]);
  await assert.rejects(
    checkWebhookTarget("https://nowhere.example.com/", { allowPrivate: true, resolve }),
    TargetRefused,
    "a name that does not resolve has nothing to connect to",
  );
});

Deno.test("webhook targets: the system resolver answers from /etc/hosts-style sources, and [] for nothing", async () => {
  assert.ok((await dnsResolver("localhost")).length > 0);
  assert.deepEqual(await dnsResolver("no-such-host.invalid"), []);
});
