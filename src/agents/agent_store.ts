import { nameSchema } from "../identifiers/identifier.ts";
import { and, eq } from "drizzle-orm";
import { z } from "zod";
import type { Db, Tx } from "../db/client.ts";
import { newId } from "../db/ids.ts";
import { agents } from "../db/schema.ts";
import { SecurixError } from "../errors/securix_error.ts";

export interface Agent {
  id: string;
  appId: string;
  agentId: string;
  name: string | null;
  createdAt: number;
}

/** What an app sends in `securix-agent-id`. */
export const agentIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, {
  error: "expected 1-128 letters, digits, '.', '_', ':' or '-'",
});

export const addAgentInput = z.strictObject({
  agentId: agentIdSchema,
  name: nameSchema.optional(),
});

export async function addAgent(
  db: Db | Tx,
  appId: string,
  input: z.input<typeof addAgentInput>,
  deps: { now: () => number },
): Promise<Agent> {
  const parsed = addAgentInput.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SecurixError(
      "SX-INVALID-INPUT",
      `${issue.path.join(".") || "agent"}: ${issue.message}`,
      {
        status: 400,
      },
    );
  }
  if (await findAgent(db, appId, parsed.data.agentId)) {
    throw new SecurixError(
      "SX-AGENT-EXISTS",
      `Agent "${parsed.data.agentId}" is already registered`,
      {
        status: 409,
      },
    );
  }
  const agent: Agent = {
    id: newId("agt"),
    appId,
    agentId: parsed.data.agentId,
    name: parsed.data.name ?? null,
    createdAt: deps.now(),
  };
  await db.insert(agents).values(agent);
  return agent;
}

export async function findAgent(
  db: Db | Tx,
  appId: string,
  agentId: string,
): Promise<Agent | null> {
  const [row] = await db.select().from(agents).where(
    and(eq(agents.appId, appId), eq(agents.agentId, agentId)),
  ).limit(1);
  return row ?? null;
}

export async function listAgents(db: Db, appId: string): Promise<Agent[]> {
  return await db.select().from(agents).where(eq(agents.appId, appId)).orderBy(agents.createdAt);
}

export async function removeAgent(db: Db | Tx, appId: string, agentId: string): Promise<void> {
  const result = await db.delete(agents).where(
    and(eq(agents.appId, appId), eq(agents.agentId, agentId)),
  );
  if (result.rowsAffected === 0) {
    throw new SecurixError("SX-AGENT-NOT-FOUND", `No agent "${agentId}" for this app`, {
      status: 404,
    });
  }
}

/** Removes every agent of an app (app deletion); returns how many. */
export async function removeAppAgents(db: Db | Tx, appId: string): Promise<number> {
  return (await db.delete(agents).where(eq(agents.appId, appId))).rowsAffected;
}
