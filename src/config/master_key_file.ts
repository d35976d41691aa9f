import { encodeHexLowerCase } from "@oslojs/encoding";

/** Writes a fresh 256-bit master key as 64 hex characters, readable by the owner only. */
export async function writeNewMasterKey(
  path: string,
  random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b),
): Promise<void> {
  const hex = encodeHexLowerCase(random(new Uint8Array(32)));
  await Deno.writeTextFile(path, hex + "\n", { mode: 0o600, createNew: true });
  await Deno.chmod(path, 0o600);
}

export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
