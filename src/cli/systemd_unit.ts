import type { Config } from "../config/load.ts";
import { RULES_DIR, RULES_FILE } from "../rules/rules_file.ts";

/**
 * The systemd unit `securix service install` and `securix init --service`
 * write: one hardened service for the config at hand. Pure: rendering and
 * parsing only; the commands do the IO.
 */

export const DEFAULT_UNIT_PATH = "/etc/systemd/system/securix.service";
export const DEFAULT_SERVICE_USER = "securix";
/** Where the release binary is installed when no other path is known. */
export const DEFAULT_BINARY_PATH = "/usr/local/bin/securix";
/** Open files the unit grants; doctor warns below MIN_UNIT_NOFILE. */
export const UNIT_NOFILE = 65536;
export const MIN_UNIT_NOFILE = 4096;

export interface UnitInputs {
  /** Absolute path of the securix binary. */
  binaryPath: string;
  /** Absolute path of securix.toml. */
  configPath: string;
  /** The dedicated user (and group) the service runs as. */
  user: string;
  /**
   * Directory of the embedded database (serve writes there, and in rules.d
   * beside securix.toml), or null for a server.
   */
  dataDir: string | null;
  /** Ports the appliance listens on (public and metrics). */
  ports: number[];
  shutdownTimeoutMs: number;
}

export function dirname(path: string): string {
  return path.slice(0, path.lastIndexOf("/")) || "/";
}

/**
 * Where the console's rules editor writes rules.toml (`rulesFilePath`): in
 * rules.d beside securix.toml, as a temp file renamed over it (atomic), so
 * that directory must be writable, not only the file. It is one of its own
 * so that securix.toml's directory never has to be: a service that could
 * write there could rewrite its own config (master key reference, listen
 * address, provider endpoints).
 */
export function rulesDirOf(configPath: string): string {
  // A unit's config path is absolute.
  return `${dirname(configPath)}/${RULES_DIR}`;
}

/**
 * Directories the rest of the system shares: a unit never makes one of them
 * writable for rules.toml; securix.toml belongs in a directory of its own.
 */
const SHARED_DIRS = new Set([
  "/",
  "/etc",
  "/usr",
  "/usr/etc",
  "/usr/local",
  "/usr/local/etc",
  "/usr/local/bin",
  "/usr/bin",
  "/bin",
  "/opt",
  "/srv",
  "/var",
  "/var/lib",
  "/var/opt",
]);

export function isSharedDir(dir: string): boolean {
  return SHARED_DIRS.has(dir.replace(/\/+$/, "") || "/");
}

/**
 * The rules directory the unit makes writable: null when the data directory
 * already covers it, or when securix.toml sits in a shared system directory
 * (`/etc/rules.d` would be a name for the whole system; left read-only).
 */
export function writableRulesDir(
  inputs: Pick<UnitInputs, "configPath" | "dataDir">,
): string | null {
  const dir = rulesDirOf(inputs.configPath);
  if (inputs.dataDir !== null && covers(inputs.dataDir, dir)) return null;
  return isSharedDir(dirname(inputs.configPath)) ? null : dir;
}

/** The unit's inputs from a loaded config (which must come from a file). */
export function unitInputsFromConfig(
  config: Pick<Config, "source" | "server" | "database">,
  options: { binaryPath: string; user: string },
): UnitInputs {
  if (config.source === null) {
    throw new Error("a service needs a securix.toml; the embedded defaults have none");
  }
  return {
    binaryPath: options.binaryPath,
    configPath: config.source,
    user: options.user,
    dataDir: config.database.filePath ? dirname(config.database.filePath) : null,
    ports: [config.server.listenAddress.port, config.server.metricsAddress.port],
    shutdownTimeoutMs: config.server.shutdown_timeout_ms,
  };
}

/**
 * One word of a command line or path list: `%` is a specifier and `$` a
 * variable to systemd, so both are doubled; words with spaces or quotes are
 * double-quoted with C escapes.
 */
export function systemdWord(value: string): string {
  // "$$$$": in a replacement string "$$" is one "$".
  const escaped = value.replaceAll("%", "%%").replaceAll("$", "$$$$");
  if (!/[\s"'\\]/.test(escaped)) return escaped;
  return `"${escaped.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

/** One word of a shell command line, single-quoted unless it is plain. */
export function shellWord(value: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/** Seconds systemd waits after SIGTERM: serve's drain window plus room to close the database. */
export function stopTimeoutSeconds(shutdownTimeoutMs: number): number {
  return Math.ceil(shutdownTimeoutMs / 1000) + 5;
}

export function renderUnit(inputs: UnitInputs): string {
  const privileged = inputs.ports.some((port) => port > 0 && port < 1024);
  const capability = privileged
    ? [
      "# A port below 1024 is configured: this one capability binds it, nothing else is kept.",
      "CapabilityBoundingSet=CAP_NET_BIND_SERVICE",
      "AmbientCapabilities=CAP_NET_BIND_SERVICE",
    ]
    : ["CapabilityBoundingSet="];
  const writable = inputs.dataDir === null
    ? ["# The database is a libSQL server: no data directory on this host is writable."]
    : [
      "# The data directory: the database, its backups, the pid file.",
      `ReadWritePaths=${systemdWord(inputs.dataDir)}`,
    ];
  const rulesDir = rulesDirOf(inputs.configPath);
  const rulesWritable = writableRulesDir(inputs);
  const configDir = dirname(inputs.configPath);
  const rules = rulesWritable !== null
    ? [
      `# The console's rules editor replaces ${RULES_FILE} here atomically (a temp file renamed`,
      `# over it): this directory only, never ${configDir} (securix.toml stays read-only).`,
      '# "-": the service still starts before the directory is created.',
      `ReadWritePaths=${systemdWord(`-${rulesWritable}`)}`,
    ]
    : inputs.dataDir !== null && covers(inputs.dataDir, rulesDir)
    ? []
    : [
      `# ${configDir} is shared with the rest of the system: ${RULES_DIR} there is left`,
      `# read-only, so the console's rules editor cannot save ${RULES_FILE}; keep securix.toml`,
      "# in a directory of its own.",
    ];
  return [
    "# Securix appliance, written by securix (service install or init --service).",
    "# Rewrite it with: securix --config " +
    `${systemdWord(inputs.configPath)} service install --force`,
    "[Unit]",
    "Description=Securix appliance (agent access security broker)",
    "After=network-online.target",
    "Wants=network-online.target",
    "",
    "[Service]",
    "Type=exec",
    `User=${inputs.user}`,
    `Group=${inputs.user}`,
    `ExecStart=${systemdWord(inputs.binaryPath)} serve --config ${systemdWord(inputs.configPath)}`,
    "# SIGHUP reloads the rules from securix.toml without dropping connections.",
    "ExecReload=/bin/kill -HUP $MAINPID",
    `WorkingDirectory=${systemdWord(dirname(inputs.configPath))}`,
    "# SIGTERM makes serve drain open requests; systemd waits past server.shutdown_timeout_ms.",
    "KillSignal=SIGTERM",
    `TimeoutStopSec=${stopTimeoutSeconds(inputs.shutdownTimeoutMs)}`,
    "Restart=on-failure",
    "RestartSec=2",
    `LimitNOFILE=${UNIT_NOFILE}`,
    "UMask=0077",
    "# The master key stays a file reference in securix.toml: no secret in Environment=.",
    "NoNewPrivileges=true",
    "ProtectSystem=strict",
    ...writable,
    ...rules,
    "ProtectHome=true",
    "PrivateTmp=true",
    "PrivateDevices=true",
    "PrivateMounts=true",
    "ProtectProc=invisible",
    "RemoveIPC=true",
    ...capability,
    "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
    "SystemCallArchitectures=native",
    "LockPersonality=true",
    "ProtectKernelTunables=true",
    "ProtectKernelModules=true",
    "ProtectKernelLogs=true",
    "ProtectControlGroups=true",
    "ProtectClock=true",
    "ProtectHostname=true",
    "RestrictNamespaces=true",
    "RestrictRealtime=true",
    "RestrictSUIDSGID=true",
    "# No MemoryDenyWriteExecute=: V8 compiles JavaScript to machine code at run time (JIT),",
    "# which needs writable-then-executable memory; the service would not start with it.",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

/** A unit file's directives: section name → key → values (a key may repeat). */
export type UnitDirectives = Map<string, Map<string, string[]>>;

/** Parses unit syntax (sections, `Key=value`, comments); continuation lines are joined. */
export function parseUnit(text: string): UnitDirectives {
  const sections: UnitDirectives = new Map();
  let current: Map<string, string[]> | null = null;
  const lines = text.replace(/\\\r?\n/g, " ").split(/\r?\n/);
  for (const raw of lines) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = sections.get(section[1]) ?? new Map();
      sections.set(section[1], current);
      continue;
    }
    const at = line.indexOf("=");
    if (current === null || at <= 0) throw new Error(`not unit syntax: ${JSON.stringify(raw)}`);
    const key = line.slice(0, at).trim();
    current.set(key, [...(current.get(key) ?? []), line.slice(at + 1).trim()]);
  }
  return sections;
}

/** The last value of `[section] key`, as systemd takes it for single-valued keys. */
export function directive(unit: UnitDirectives, section: string, key: string): string | null {
  const values = unit.get(section)?.get(key);
  return values && values.length > 0 ? values[values.length - 1] : null;
}

/** Splits a command line or path list the way `systemdWord` writes words. */
export function unitWords(value: string): string[] {
  const words: string[] = [];
  const pattern = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (const match of value.matchAll(pattern)) {
    const word = match[1] !== undefined ? match[1].replace(/\\(.)/g, "$1") : match[2];
    words.push(word.replaceAll("%%", "%").replaceAll("$$", "$"));
  }
  return words;
}

/** What an installed unit says about the parts doctor and `service status` compare. */
export interface InstalledUnit {
  binaryPath: string | null;
  configPath: string | null;
  user: string | null;
  readWritePaths: string[];
  limitNofile: number | null;
}

export function readInstalledUnit(text: string): InstalledUnit {
  const unit = parseUnit(text);
  const exec = unitWords(directive(unit, "Service", "ExecStart") ?? "");
  // ExecStart may carry prefixes (-, @, :, +, !) before the binary.
  if (exec.length > 0) exec[0] = exec[0].replace(/^[-@:+!]+/, "");
  const configAt = exec.indexOf("--config");
  const nofile = directive(unit, "Service", "LimitNOFILE");
  const soft = nofile === null ? null : nofile.split(":")[0];
  return {
    binaryPath: exec[0] ?? null,
    configPath: configAt >= 0 ? exec[configAt + 1] ?? null : null,
    user: directive(unit, "Service", "User"),
    readWritePaths: (unit.get("Service")?.get("ReadWritePaths") ?? [])
      .flatMap(unitWords).map((p) => p.replace(/^[-+]+/, "")),
    limitNofile: soft === "infinity" ? Infinity : soft === null ? null : Number(soft),
  };
}

/** True when `dir` is `path` or inside it. */
export function covers(path: string, dir: string): boolean {
  const base = path.replace(/\/+$/, "") || "/";
  return dir === base || dir.startsWith(base === "/" ? "/" : `${base}/`);
}
