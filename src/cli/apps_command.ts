import type { Command } from "commander";
import type { CliContext } from "./context.ts";

// Placeholder: filled in by the apps work.
export function registerApps(_program: Command, _context: CliContext): void {}
