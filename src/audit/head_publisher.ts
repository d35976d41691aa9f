import { like } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { webhookEndpoints } from "../db/schema.ts";
import { enqueueEvent } from "../webhooks/outbox.ts";
import { formatHead, signCurrentHead } from "./signed_head.ts";

export interface HeadPublisherDeps {
  database: Database;
  masterKey: Uint8Array;
  now: () => number;
  log: (line: string) => void;
}

/**
 * Publishes the signed chain head where the database holder cannot take it
 * back: the process log, and an `audit.head` event to every endpoint that
 * subscribed to it by name. Any published head is then a floor
 * `audit verify --expect-head` holds the log to. Returns the endpoints queued.
 */
export async function publishHead(deps: HeadPublisherDeps): Promise<number> {
  const now = deps.now();
  const head = await signCurrentHead(deps.database.db, deps.masterKey, now);
  const token = formatHead(head);
  deps.log(
    `audit head: ${token} (record ${head.seq}; check with securix audit verify --expect-head)`,
  );
  // Rarely any: the event is opt-in, so most heads cost one read and no write.
  const subscribed = await deps.database.db.selectDistinct({ appId: webhookEndpoints.appId })
    .from(webhookEndpoints).where(like(webhookEndpoints.events, '%"audit.head"%'));
  if (subscribed.length === 0) return 0;
  return await deps.database.transaction(async (tx) => {
    let queued = 0;
    for (const { appId } of subscribed) {
      queued += await enqueueEvent(tx, {
        appId,
        type: "audit.head",
        data: { seq: head.seq, hash: head.hash, at: head.at, mac: head.mac, head: token },
        orderingKey: "audit.head",
      }, now);
    }
    return queued;
  });
}
