import * as p from "@clack/prompts";
import type { Command } from "commander";
import { encodeBase32NoPadding } from "@oslojs/encoding";
import {
  checkNewAdminName,
  createAdmin,
  findAdmin,
  listAdmins,
  MIN_PASSWORD_LENGTH,
  removeAdmin,
} from "../admins/admin_store.ts";
import { createLoginLink, LOGIN_LINK_TTL_MS } from "../admins/login_link_store.ts";
import { endEveryAdminSession } from "../admins/admin_session_store.ts";
import { qrForTerminal } from "../admins/qr_code.ts";
import { totpUri } from "../admins/totp.ts";
import { adminErrors } from "../admins/admin_errors.ts";
import { recordAdminEvent } from "../audit/admin_event.ts";
import type { Config } from "../config/load.ts";
import { SecurixError } from "../errors/securix_error.ts";
import type { CliContext } from "./context.ts";
import { isoTime, printJson } from "./io.ts";
import { printList } from "./list_output.ts";

/** Reads the password: all of stdin (scripts), or twice at a terminal prompt. */
async function readPassword(fromStdin: boolean): Promise<string> {
  if (fromStdin) {
    const text = await new Response(Deno.stdin.readable).text();
    return text.replace(/\r?\n$/, "");
  }
  if (!Deno.stdin.isTerminal()) {
    throw new SecurixError(
      "SX-INVALID-INPUT",
      "No terminal to ask for the password: pipe it with --password-stdin",
      { status: 400 },
    );
  }
  const first = await p.password({
    message: `Password (at least ${MIN_PASSWORD_LENGTH} characters)`,
    // Said at once, not after typing it twice.
    validate: (value) =>
      [...(value ?? "")].length < MIN_PASSWORD_LENGTH
        ? `At least ${MIN_PASSWORD_LENGTH} characters (a passphrase is fine)`
        : undefined,
  });
  if (p.isCancel(first)) throw new SecurixError("SX-CANCELLED", "Cancelled", { status: 400 });
  const again = await p.password({ message: "Same password again" });
  if (p.isCancel(again) || again !== first) {
    throw new SecurixError("SX-INVALID-INPUT", "The passwords differ; nothing was created", {
      status: 400,
    });
  }
  return first;
}

/** Where the operator's browser reaches the console (a wildcard listen address means this host). */
export function consoleUrl(config: Config): string {
  const address = config.server.adminAddress;
  if (!address) {
    throw new SecurixError(
      "SX-CONSOLE-OFF",
      'The admin console is off ([server] admin_listen = "off")',
      { status: 409 },
    );
  }
  const host = ["0.0.0.0", "::", ""].includes(address.hostname)
    ? "127.0.0.1"
    : address.hostname.includes(":")
    ? `[${address.hostname}]`
    : address.hostname;
  return `http://${host}:${address.port}/console`;
}

/**
 * `securix admins add|list|remove|login-link` (also `securix admin …`):
 * console accounts. Passwords are hashed with scrypt; every admin enrols a
 * TOTP authenticator, shown here as a QR code and again at first sign-in.
 */
export function registerAdmins(program: Command, context: CliContext): void {
  const admins = program.command("admins").alias("admin").description(
    "admin console accounts: add, list, remove, one-time login links",
  );
  admins.command("add <name>")
    .description("create an admin; asks for the password and shows the authenticator QR code")
    .option("--password-stdin", "read the password from stdin (scripts)")
    .option("--json", "print JSON (with the otpauth URI for the authenticator)")
    .action(async (name: string, options: { passwordStdin?: boolean; json?: boolean }) => {
      await context.withAppliance(async (appliance) => {
        // A bad or taken name is refused before the password is typed, twice, for nothing.
        await checkNewAdminName(appliance, name);
        const password = await readPassword(options.passwordStdin === true);
        const { admin, totpKey } = await createAdmin(appliance, name, password);
        await appliance.database.transaction((tx) =>
          recordAdminEvent(tx, {
            kind: "admin.admins.added",
            by: context.actor(),
            data: { admin: admin.name },
          }, appliance.now())
        );
        const uri = totpUri(admin.name, totpKey);
        if (options.json) {
          return printJson(context.io, { id: admin.id, name: admin.name, totpUri: uri });
        }
        const { io } = context;
        io.out(`Created admin ${admin.name}`);
        io.out("Scan this with an authenticator app (or type the key below):");
        io.out(qrForTerminal(uri));
        io.out(`Key: ${encodeBase32NoPadding(totpKey)}`);
        io.out(
          `Sign in at ${safeConsoleUrl(appliance.config)}; the first sign-in asks for a code.`,
        );
      });
    });
  admins.command("list")
    .description("list admins (never a password or key)")
    .option("--json", "print JSON")
    .action(async (options: { json?: boolean }) => {
      await context.withAppliance(async ({ database }) => {
        const rows = (await listAdmins(database.db)).map((a) => ({
          name: a.name,
          id: a.id,
          enrolled: a.totpConfirmedAt !== null,
          createdAt: isoTime(a.createdAt),
          lastSignInAt: isoTime(a.lastSignInAt),
        }));
        printList(context.io, options.json, {
          rows,
          columns: ["name", "id", "enrolled", "createdAt", "lastSignInAt"],
          empty: 'No admins yet; add one with "securix admins add NAME"',
        });
      });
    });
  admins.command("remove <name>")
    .description("remove an admin; their sessions stop working at once")
    .action(async (name: string) => {
      await context.withAppliance(async (appliance) => {
        const admin = await findAdmin(appliance.database.db, name);
        if (!admin) throw adminErrors.notFound(name);
        await removeAdmin(appliance, admin);
        await appliance.database.transaction((tx) =>
          recordAdminEvent(tx, {
            kind: "admin.admins.removed",
            by: context.actor(),
            data: { admin: admin.name },
          }, appliance.now())
        );
        context.io.out(`Removed admin ${admin.name}`);
      });
    });
  admins.command("sign-out <name>")
    .description("end every console session of NAME and void their unused login links")
    .action(async (name: string) => {
      await context.withAppliance(async (appliance) => {
        const admin = await findAdmin(appliance.database.db, name);
        if (!admin) throw adminErrors.notFound(name);
        const ended = await appliance.database.transaction(async (tx) => {
          const ended = await endEveryAdminSession(tx, admin.id);
          await recordAdminEvent(tx, {
            kind: "admin.admins.signed_out",
            by: context.actor(),
            data: { admin: admin.name, ...ended },
          }, appliance.now());
          return ended;
        });
        context.io.out(
          `Signed ${admin.name} out: ${ended.sessions} session(s) ended, ` +
            `${ended.links} unused login link(s) voided`,
        );
      });
    });
  admins.command("login-link <name>")
    .description("print a one-time console sign-in link for NAME (10 minutes, single use)")
    .option("--json", "print JSON")
    .action(async (name: string, options: { json?: boolean }) => {
      await context.withAppliance(async (appliance) => {
        const base = consoleUrl(appliance.config);
        const admin = await findAdmin(appliance.database.db, name);
        if (!admin) throw adminErrors.notFound(name);
        const now = appliance.now();
        const { token, expiresAt } = await createLoginLink(appliance.database.db, admin.id, now);
        await appliance.database.transaction((tx) =>
          recordAdminEvent(tx, {
            kind: "admin.console.login_link_created",
            by: context.actor(),
            data: { admin: admin.name, expiresAt: isoTime(expiresAt) },
          }, now)
        );
        const url = `${base}/link/${token}`;
        if (options.json) {
          return printJson(context.io, { url, expiresAt: isoTime(expiresAt) });
        }
        context.io.out(url);
        context.io.err(
          `Single use, valid ${LOGIN_LINK_TTL_MS / 60_000} minutes. Open it through your tunnel ` +
            "or reverse proxy to the admin listener.",
        );
      });
    });
}

function safeConsoleUrl(config: Config): string {
  try {
    return consoleUrl(config);
  } catch {
    return "the console (off: set [server] admin_listen)";
  }
}
