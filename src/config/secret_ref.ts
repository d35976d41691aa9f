/**
 * Secret references: any secret in securix.toml may be written as `env:NAME`
 * or `file:/path` so the value itself never sits in the file.
 */
export type SecretRef =
  | { kind: "env"; name: string }
  | { kind: "file"; path: string }
  | { kind: "literal"; value: string };

export function parseSecretRef(raw: string): SecretRef {
  if (raw.startsWith("env:")) return { kind: "env", name: raw.slice(4) };
  if (raw.startsWith("file:")) return { kind: "file", path: raw.slice(5) };
  return { kind: "literal", value: raw };
}

export interface SecretSources {
  env: (name: string) => string | undefined;
  readFile: (path: string) => Promise<string>;
  /** Directory that relative `file:` paths are resolved against. */
  baseDir: string;
}

export class SecretRefError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SecretRefError";
  }
}

export function resolvePath(baseDir: string, path: string): string {
  if (path.startsWith("/")) return path;
  const base = baseDir.endsWith("/") ? baseDir : baseDir + "/";
  return base + path.replace(/^\.\//, "");
}

/** Resolves a reference to its value; trailing newlines of files are dropped. */
export async function resolveSecret(
  raw: string,
  sources: SecretSources,
): Promise<string> {
  const ref = parseSecretRef(raw);
  if (ref.kind === "literal") return ref.value;
  if (ref.kind === "env") {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(ref.name)) {
      throw new SecretRefError(`invalid environment variable name "${ref.name}"`);
    }
    const value = sources.env(ref.name);
    if (value === undefined || value === "") {
      throw new SecretRefError(`environment variable ${ref.name} is not set`);
    }
    return value;
  }
  const path = resolvePath(sources.baseDir, ref.path);
  try {
    return (await sources.readFile(path)).replace(/\r?\n$/, "");
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new SecretRefError(`file ${path} does not exist`);
    }
    if (error instanceof Deno.errors.PermissionDenied) {
      throw new SecretRefError(`file ${path} cannot be read (permission denied)`);
    }
    throw new SecretRefError(`file ${path} cannot be read`);
  }
}
