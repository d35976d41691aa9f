/**
 * Test-only helper for the catalog tables' tests (nothing in the appliance
 * imports this file): checks `[method, path, id, class]` rows against a
 * provider's map from the registry.
 */
import assert from "node:assert/strict";
import type { Operation } from "../operation.ts";
import { operationMapFor } from "../operation_maps.ts";

export type Case = readonly [method: string, path: string, id: string, cls: string, multi?: true];

export function resolveWith(provider: string, method: string, path: string, query = ""): Operation {
  return operationMapFor(provider).resolve({ method, path, query });
}

export function assertCases(provider: string, cases: readonly Case[]): void {
  for (const [method, path, id, cls, multi] of cases) {
    assert.deepEqual(
      resolveWith(provider, method, path),
      { id, class: cls, ...(multi ? { multiplexed: true } : {}) },
      `${provider}: ${method} ${path}`,
    );
  }
}
