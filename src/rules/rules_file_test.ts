import assert from "node:assert/strict";
import { ConfigError } from "../config/config_error.ts";
import {
  legacyRulesFilePath,
  mergeRules,
  parseRulesText,
  relabelIssues,
  rulesFileInForce,
  rulesFilePath,
  withRulesFile,
  writeRulesFile,
} from "./rules_file.ts";

const deny = { name: "no_send", target: "gmail.*", classes: ["send"], effect: "deny" };

Deno.test("rules.toml: in rules.d beside the config file (a directory of its own)", () => {
  assert.equal(rulesFilePath("/etc/securix/securix.toml"), "/etc/securix/rules.d/rules.toml");
  assert.equal(legacyRulesFilePath("/etc/securix/securix.toml"), "/etc/securix/rules.toml");
});

Deno.test("rules.toml: TOML errors name line and column; other tables are refused", () => {
  const bad = parseRulesText("[[rules]]\nname = ");
  assert.equal(bad.ok, false);
  assert.match(!bad.ok ? bad.issues[0].message : "", /^line 2, column/);
  const foreign = parseRulesText('[vault]\nmaster_key = "x"\n');
  assert.equal(foreign.ok, false);
  assert.deepEqual(!foreign.ok ? foreign.issues.map((i) => i.path) : [], ["vault"]);
  const good = parseRulesText('[[rules]]\nname = "a"\ntarget = "gmail.*"\neffect = "deny"\n');
  assert.ok(good.ok);
});

Deno.test("rules.toml: rules follow the config file's; a scope in both files is refused", () => {
  const merged = mergeRules({ rules: [{ name: "a" }] }, { rules: [deny] });
  assert.ok(merged.ok);
  assert.deepEqual(merged.ok && merged.tables.rules, [{ name: "a" }, deny]);
  const twice = mergeRules({ scopes: { mail: {} } }, { scopes: { mail: {} } });
  assert.equal(twice.ok, false);
  assert.deepEqual(!twice.ok ? twice.issues[0].path : "", "scopes.mail");
});

Deno.test("rules.toml: issues are named by the file the rule is in", () => {
  const issues = relabelIssues([
    { path: "rules[0] (a).effect", message: "x" },
    { path: "rules[3] (b).target", message: "y" },
    { path: "scopes.s", message: "z" },
  ], 2);
  assert.deepEqual(issues.map((i) => i.path), [
    "securix.toml: rules[0] (a).effect",
    "rules.toml: rules[1] (b).target",
    "scopes.s",
  ]);
});

Deno.test("rules.toml: merged on load, written atomically, a broken file is a ConfigError", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const source = `${dir}/securix.toml`;
    const raw = { server: {}, rules: [{ name: "a" }] };
    assert.deepEqual(await withRulesFile(raw, source), raw, "no rules.toml: unchanged");
    await writeRulesFile(
      rulesFilePath(source),
      '[[rules]]\nname = "no_send"\ntarget = "gmail.*"\nclasses = ["send"]\neffect = "deny"\n',
    );
    const merged = await withRulesFile(raw, source);
    assert.deepEqual(JSON.parse(JSON.stringify(merged.rules)), [{ name: "a" }, deny]);
    assert.deepEqual(merged.server, {});
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["rules.d"]);
    assert.deepEqual([...Deno.readDirSync(`${dir}/rules.d`)].map((e) => e.name), ["rules.toml"]);
    assert.equal((await Deno.stat(`${dir}/rules.d`)).mode! & 0o777, 0o700);
    await writeRulesFile(rulesFilePath(source), "[[rules]\n");
    await assert.rejects(() => withRulesFile(raw, source), ConfigError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("rules.toml: a wrong shape in either file reaches the schema, the other file's rules are not what is left", () => {
  const listed = { rules: [{ name: "from_rules_toml" }], scopes: { s: {} } };
  // `[rules]` typed for `[[rules]]` in securix.toml: kept for the schema to refuse.
  const merged = mergeRules({ rules: { name: "deny_all" }, scopes: "x" }, listed);
  assert.ok(merged.ok);
  assert.deepEqual(merged.tables, { rules: { name: "deny_all" }, scopes: "x" });
  // And the same mistake in rules.toml.
  const other = mergeRules({ rules: [{ name: "a" }], scopes: { s: {} } }, {
    rules: { name: "b" },
    scopes: 1,
  });
  assert.ok(other.ok);
  assert.deepEqual(other.tables, { rules: { name: "b" }, scopes: 1 });
});

Deno.test("rules.toml: one beside securix.toml (before rules.d) is read until rules.d has one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const source = `${dir}/securix.toml`;
    const raw = { rules: [{ name: "a" }] };
    const rule = (name: string) =>
      `[[rules]]\nname = "${name}"\ntarget = "gmail.*"\neffect = "deny"\n`;
    await Deno.writeTextFile(`${dir}/rules.toml`, rule("old"));
    assert.deepEqual(
      JSON.parse(JSON.stringify((await withRulesFile(raw, source)).rules)),
      [{ name: "a" }, { name: "old", target: "gmail.*", effect: "deny" }],
      "an existing install keeps its rules",
    );
    assert.deepEqual(await rulesFileInForce(source), {
      path: `${dir}/rules.toml`,
      text: rule("old"),
      legacy: true,
      shadowed: null,
    });
    // The console's first save (its editor showed the old file) goes to rules.d; from then on
    // that one is read, never both (each rule would be there twice).
    await writeRulesFile(rulesFilePath(source), rule("old") + rule("new"));
    assert.deepEqual(
      ((await withRulesFile(raw, source)).rules as { name: string }[]).map((r) => r.name),
      ["a", "old", "new"],
    );
    assert.deepEqual(await rulesFileInForce(source), {
      path: `${dir}/rules.d/rules.toml`,
      text: rule("old") + rule("new"),
      legacy: false,
      shadowed: `${dir}/rules.toml`,
    });
    // A shadowed file that cannot be read (a directory here; EACCES alike) is only named.
    await Deno.remove(`${dir}/rules.toml`);
    await Deno.mkdir(`${dir}/rules.toml`);
    assert.equal((await rulesFileInForce(source))?.shadowed, `${dir}/rules.toml`);
    assert.equal(((await withRulesFile(raw, source)).rules as unknown[]).length, 3);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
