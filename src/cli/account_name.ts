import { libc } from "../http/libc.ts";

/**
 * The account name of `uid` as the system resolves it (NSS: /etc/passwd,
 * and LDAP or sssd where configured), through getpwuid_r; /etc/passwd read
 * directly where FFI is not allowed. Null when no account has that id.
 */
export async function accountName(uid: number): Promise<string | null> {
  const lib = libc();
  if (lib === null) return await passwdFileName(uid);
  // struct passwd starts with pw_name on Linux and macOS; 128 bytes hold either layout.
  const entry = new Uint8Array(128);
  const strings = new Uint8Array(16 * 1024);
  const found = new BigUint64Array(1);
  const failed = lib.symbols.getpwuid_r(uid, entry, strings, BigInt(strings.length), found);
  if (failed !== 0 || found[0] === 0n) return failed === 0 ? null : await passwdFileName(uid);
  const name = Deno.UnsafePointerView.getCString(
    Deno.UnsafePointer.create(new BigUint64Array(entry.buffer, 0, 1)[0])!,
  );
  return name;
}

async function passwdFileName(uid: number): Promise<string | null> {
  const passwd = await Deno.readTextFile("/etc/passwd").catch(() => "");
  for (const line of passwd.split("\n")) {
    const [name, , id] = line.split(":");
    if (id === String(uid)) return name;
  }
  return null;
}
