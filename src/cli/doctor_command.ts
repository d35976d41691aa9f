import type { Command } from "commander";
import type { CliContext } from "./context.ts";

// Placeholder: filled in by the doctor work.
export function registerDoctor(_program: Command, _context: CliContext): void {}
