import type { Command } from "commander";
import type { CliContext } from "./context.ts";

// Placeholder: filled in by the keys work.
export function registerKeys(_program: Command, _context: CliContext): void {}
