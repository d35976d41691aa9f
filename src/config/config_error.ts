/** A config that cannot be used; the CLI prints it as one line and exits 2. */
export class ConfigError extends Error {
  readonly source: string;
  constructor(source: string, detail: string, message?: string) {
    const name = source.split("/").pop() ?? source;
    super(message ?? `Cannot load ${name}: ${detail}`);
    this.name = "ConfigError";
    this.source = source;
  }
}
