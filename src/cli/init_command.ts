import type { Command } from "commander";
import type { CliContext } from "./context.ts";

// Placeholder: filled in by the init work.
export function registerInit(_program: Command, _context: CliContext): void {}
