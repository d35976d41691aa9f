import { atlassian } from "./atlassian.ts";
import { dropbox } from "./dropbox.ts";
import { github } from "./github.ts";
import { gitlab } from "./gitlab.ts";
import { calendar, drive, gmail } from "./google.ts";
import { linear } from "./linear.ts";
import { microsoft } from "./microsoft.ts";
import { notion } from "./notion.ts";
import type { ProviderDefinition } from "./provider_definition.ts";
import { slack } from "./slack.ts";

/** Every provider Securix knows by name; `[providers.<name>]` enables one. */
const CATALOG: ReadonlyMap<string, ProviderDefinition> = new Map(
  [gmail, drive, calendar, github, slack, microsoft, dropbox, notion, gitlab, atlassian, linear]
    .map((definition) => [definition.name, definition]),
);

/** The catalog definition named `name`, or null for a name the catalog does not know. */
export function catalogProvider(name: string): ProviderDefinition | null {
  return CATALOG.get(name) ?? null;
}

/** Catalog names in catalog order (Google products first). */
export function catalogNames(): string[] {
  return [...CATALOG.keys()];
}
