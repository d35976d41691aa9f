import { eq, sql } from "drizzle-orm";
import type { Db, Tx } from "../db/client.ts";
import { meta } from "../db/schema.ts";

/**
 * The chain's head (last hash, record count) and the checkpoint left by
 * retention pruning. The head catches deletion of the newest records, which
 * no later link would reveal.
 */
export interface ChainHead {
  hash: string;
  count: number;
}

export interface Checkpoint {
  seq: number;
  hash: string;
  pruned: number;
}

/** `meta` keys; append.ts reads and writes the head with raw SQL on the batch path. */
export const HEAD_KEY = "audit_head";
export const CHECKPOINT_KEY = "audit_checkpoint";

async function readJson<T>(db: Db | Tx, key: string): Promise<T | null> {
  const [row] = await db.select().from(meta).where(eq(meta.key, key)).limit(1);
  return row ? JSON.parse(row.value) as T : null;
}

async function writeJson(db: Db | Tx, key: string, value: unknown): Promise<void> {
  const text = JSON.stringify(value);
  await db.insert(meta).values({ key, value: text }).onConflictDoUpdate({
    target: meta.key,
    set: { value: sql`excluded.value` },
  });
}

export const readHead = (db: Db | Tx) => readJson<ChainHead>(db, HEAD_KEY);
export const readCheckpoint = (db: Db | Tx) => readJson<Checkpoint>(db, CHECKPOINT_KEY);
export const writeCheckpoint = (tx: Tx, checkpoint: Checkpoint) =>
  writeJson(tx, CHECKPOINT_KEY, checkpoint);
