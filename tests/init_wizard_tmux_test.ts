import assert from "node:assert/strict";
import { DENO_JSON, runCliProcess } from "./helpers/process.ts";

/**
 * Drives the interactive `securix init` on a real pseudo-terminal (tmux, on
 * its own server socket) and checks it writes the same securix.toml as
 * `init --yes` with the same answers.
 */

const MAIN = new URL("../main.ts", import.meta.url).pathname;

function hasTmux(): boolean {
  try {
    return new Deno.Command("tmux", { args: ["-V"], stdout: "null", stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
}

const TMUX = hasTmux();
if (!TMUX) console.log("init wizard tests skipped: tmux is not installed");

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/** One tmux server of our own (socket in a temp dir), so no other tmux is touched. */
class Terminal {
  readonly session = `securix-init-${crypto.randomUUID().slice(0, 8)}`;
  private constructor(private readonly socketDir: string) {}

  static async open(): Promise<Terminal> {
    return new Terminal(await Deno.makeTempDir({ prefix: "securix-tmux-" }));
  }

  async tmux(...args: string[]): Promise<string> {
    const out = await new Deno.Command("tmux", {
      args: ["-S", `${this.socketDir}/tmux.sock`, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    if (!out.success) throw new Error(`tmux ${args[0]}: ${new TextDecoder().decode(out.stderr)}`);
    return text;
  }

  /** Starts `securix init` in `dir`; its exit code lands in `dir/done`. */
  async start(dir: string): Promise<void> {
    const deno = quote(Deno.execPath());
    const shell = `cd ${quote(dir)} && ${deno} run -A --config ${quote(DENO_JSON)} ${
      quote(MAIN)
    } init; echo EXIT=$? > done`;
    // remain-on-exit keeps the screen readable after init exits.
    await this.tmux(
      ...["new-session", "-d", "-s", this.session, "-x", "120", "-y", "40", shell],
      ...[";", "set-option", "-t", this.session, "remain-on-exit", "on"],
    );
  }

  screen(history = false): Promise<string> {
    return this.tmux("capture-pane", "-p", "-t", this.session, ...(history ? ["-S", "-3000"] : []));
  }

  /** Waits (bounded) until the screen shows `pattern`, the prompt to answer next. */
  async waitFor(pattern: string | RegExp, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let screen = "";
    while (Date.now() < deadline) {
      screen = await this.screen();
      if (typeof pattern === "string" ? screen.includes(pattern) : pattern.test(screen)) {
        await sleep(100);
        return;
      }
      await sleep(100);
    }
    throw new Error(`timed out waiting for ${pattern}; screen:\n${screen}`);
  }

  async type(text: string): Promise<void> {
    if (text) await this.tmux("send-keys", "-t", this.session, "-l", text);
    await this.tmux("send-keys", "-t", this.session, "Enter");
  }

  async key(name: string): Promise<void> {
    await this.tmux("send-keys", "-t", this.session, name);
  }

  async kill(): Promise<void> {
    await this.tmux("kill-session", "-t", this.session).catch(() => {});
    await Deno.remove(this.socketDir, { recursive: true }).catch(() => {});
  }
}

async function waitForExit(dir: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const done = await Deno.readTextFile(`${dir}/done`).catch(() => "");
    if (done.includes("EXIT=")) return done.trim();
    await sleep(100);
  }
  throw new Error("the wizard did not exit in time");
}

Deno.test({
  name: "init wizard: answered on a terminal, it writes the same securix.toml as init --yes",
  ignore: !TMUX,
  fn: async () => {
    const wizardDir = await Deno.makeTempDir({ prefix: "securix-wizard-" });
    const yesDir = await Deno.makeTempDir({ prefix: "securix-wizard-yes-" });
    const term = await Terminal.open();
    try {
      await term.start(wizardDir);
      await term.waitFor("Public URL (");
      await term.type("https://securix.example.com");
      await term.waitFor("Base domain (");
      await term.type(""); // derived: securix.example.com
      await term.waitFor("Listen address (");
      await term.type("127.0.0.1:8181");
      await term.waitFor(/^\S\s+Database$/m);
      await term.type(""); // embedded file
      await term.waitFor("Database file (");
      await term.type("");
      await term.waitFor("Where does the master key live?");
      await term.type(""); // key file
      await term.waitFor("Master key file (");
      await term.type("");
      await term.waitFor("Create a first app now?");
      await term.type(""); // yes
      await term.waitFor("App name");
      await term.type("bad name!");
      await term.waitFor("expected 1-63 letters");
      await term.key("C-u");
      await term.type("demo");
      await term.waitFor("Web origins allowed");
      await term.type("https://app.example.com");
      await term.waitFor("Write a systemd unit (securix.service)");
      await term.type(""); // yes on Linux
      await term.waitFor("Write securix.toml and create the database?");
      await term.type("");
      assert.equal(await waitForExit(wizardDir), "EXIT=0");
      const transcript = await term.screen(true);
      assert.match(transcript, /sx_live_[a-z2-7]{52}/, "the API key is shown");
      assert.match(transcript, /\*\.api\.securix\.example\.com/);
      assert.match(transcript, /Done\. Start it with: securix serve/);
      // The configs come after the boxes, plain: a copy of these lines is the file.
      assert.match(transcript, /^# ---- Caddy, On-Demand TLS \(Caddyfile\) ----$/m);
      assert.match(transcript, /^\s+on_demand_tls \{$/m);
      assert.match(transcript, /^ {8}proxy_pass http:\/\/127\.0\.0\.1:\d+;$/m);
      if (Deno.build.os === "linux") {
        assert.match(
          await Deno.readTextFile(`${wizardDir}/securix.service`),
          /^ProtectSystem=strict$/m,
        );
      }
      const keyStat = await Deno.stat(`${wizardDir}/securix-data/master.key`);
      assert.equal(keyStat.mode! & 0o777, 0o600);

      const yes = await runCliProcess([
        "init",
        "--yes",
        "--public-url",
        "https://securix.example.com",
        "--listen",
        "127.0.0.1:8181",
        "--app",
        "demo",
        "--origin",
        "https://app.example.com",
      ], { cwd: yesDir });
      assert.equal(yes.code, 0, yes.stderr);
      const fromWizard = await Deno.readFile(`${wizardDir}/securix.toml`);
      const fromYes = await Deno.readFile(`${yesDir}/securix.toml`);
      assert.deepEqual(fromWizard, fromYes, "byte-identical securix.toml");
    } finally {
      await term.kill();
      await Deno.remove(wizardDir, { recursive: true });
      await Deno.remove(yesDir, { recursive: true });
    }
  },
});

Deno.test({
  name: "init wizard: Ctrl-C exits 1 and writes nothing",
  ignore: !TMUX,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "securix-wizard-cancel-" });
    const term = await Terminal.open();
    try {
      await term.start(dir);
      await term.waitFor("Public URL (");
      await term.type("https://securix.example.com");
      await term.waitFor("Base domain (");
      await term.key("C-c");
      assert.equal(await waitForExit(dir), "EXIT=1");
      assert.match(await term.screen(), /Setup cancelled; nothing was written/);
      assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["done"]);
    } finally {
      await term.kill();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
