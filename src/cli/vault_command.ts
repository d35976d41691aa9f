import type { Command } from "commander";
import type { CliContext } from "./context.ts";

// Placeholder: filled in by the vault work.
export function registerVault(_program: Command, _context: CliContext): void {}
