/**
 * A command that has said everything it has to say but must end with a
 * particular exit code (`rules lint` 1 on errors, `rules test` 3 on a deny),
 * so scripts can branch on it. `runCli` returns the code and prints nothing.
 */
export class CliExit extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
    this.name = "CliExit";
  }
}
