/**
 * An install from before rules.d: its rules.toml beside securix.toml is still
 * read and shown in the console's editor; the console saves into
 * rules.d/rules.toml (the one directory a systemd unit lets the service
 * write), which from then on is the one read, never both; the file left
 * behind is named for the operator to delete.
 */
import assert from "node:assert/strict";
import { ConsoleClient } from "./helpers/console_client.ts";
import { ADMIN, PASSWORD, startConsoleEnv } from "./helpers/console_env.ts";

const rule = (name: string) =>
  `[[rules]]\nname = "${name}"\ntarget = "gmail.users.messages.list"\neffect = "deny"\n`;

function unescape(html: string): string {
  return html.replaceAll("&quot;", '"').replaceAll("&#39;", "'").replaceAll("&amp;", "&");
}

Deno.test("console rules: a rules.toml beside securix.toml is read, edited and saved into rules.d", async () => {
  const env = await startConsoleEnv();
  try {
    const dir = env.temp.dir;
    await Deno.writeTextFile(`${dir}/rules.toml`, rule("old_rule"));
    const admin = new ConsoleClient(env.consoleUrl);
    const signedIn = await admin.signIn(ADMIN, PASSWORD, env.totpKey);
    await signedIn.body?.cancel();

    const before = await admin.page("/console/rules");
    const reloaded = await admin.post("/console/rules/reload", { _csrf: before.csrf });
    assert.equal(reloaded.headers.get("location"), "/console/rules?done=reloaded");
    await reloaded.body?.cancel();
    const legacy = await admin.page("/console/rules");
    assert.match(legacy.html, /old_rule/, "the old file's rule is in force");
    assert.match(legacy.html, /data-rules-legacy/);
    assert.match(unescape(legacy.html), new RegExp(`come from ${dir}/rules\\.toml`));
    assert.match(unescape(legacy.html), /name = "old_rule"/, "the editor shows the old file");

    const saved = await admin.post("/console/rules/edit", {
      _csrf: legacy.csrf,
      rules: rule("old_rule") + rule("new_rule"),
    });
    assert.equal(saved.status, 303, await saved.text());
    assert.equal(saved.headers.get("location"), "/console/rules?done=rules_saved");
    assert.equal(
      await Deno.readTextFile(`${dir}/rules.d/rules.toml`),
      rule("old_rule") + rule("new_rule"),
    );
    assert.equal(await Deno.readTextFile(`${dir}/rules.toml`), rule("old_rule"), "left as it was");

    // Only rules.d is read now: a reload does not see old_rule twice.
    const after = await admin.page("/console/rules");
    const again = await admin.post("/console/rules/reload", { _csrf: after.csrf });
    assert.equal(again.headers.get("location"), "/console/rules?done=reloaded", await again.text());
    const shown = await admin.page("/console/rules");
    assert.match(shown.html, /new_rule/);
    assert.match(shown.html, /data-rules-shadowed/);
    assert.match(
      unescape(shown.html),
      new RegExp(`${dir}/rules\\.toml is no longer read \\(${dir}/rules\\.d/rules\\.toml is\\)`),
    );
  } finally {
    await env.close();
  }
});
