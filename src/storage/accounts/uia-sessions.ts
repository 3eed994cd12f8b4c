import { sql } from "kysely";
import type { Db } from "../database.ts";

export interface UiaSessionRow {
  sessionId: string;
  action: string;
  userId: string | null;
  completed: string[];
  registrationToken: string | null;
  expiresTs: number;
}

export async function insertUiaSession(
  db: Db,
  row: { sessionId: string; action: string; userId: string | null; createdTs: number; expiresTs: number },
): Promise<void> {
  await db
    .insertInto("uia_sessions")
    .values({
      session_id: row.sessionId,
      action: row.action,
      user_id: row.userId,
      created_ts: row.createdTs,
      expires_ts: row.expiresTs,
    })
    .execute();
}

/** The session if it exists and has not expired. */
export async function findUiaSession(
  db: Db,
  sessionId: string,
  now: number,
): Promise<UiaSessionRow | undefined> {
  const row = await db
    .selectFrom("uia_sessions")
    .selectAll()
    .where("session_id", "=", sessionId)
    .where("expires_ts", ">", String(now))
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    sessionId: row.session_id,
    action: row.action,
    userId: row.user_id,
    completed: row.completed,
    registrationToken: row.registration_token,
    expiresTs: Number(row.expires_ts),
  };
}

/**
 * Records a completed stage (once) and what it established; returns the stages now completed
 * (undefined when the session is gone).
 * Appending in SQL keeps two concurrent stage submissions from losing each other's progress.
 */
export async function completeUiaStage(
  db: Db,
  sessionId: string,
  stage: string,
  facts: { userId?: string; registrationToken?: string },
): Promise<string[] | undefined> {
  const row = await db
    .updateTable("uia_sessions")
    .set({
      completed: sql<string[]>`CASE WHEN ${stage} = ANY(completed) THEN completed
        ELSE array_append(completed, ${stage}) END`,
      ...(facts.userId !== undefined ? { user_id: facts.userId } : {}),
      ...(facts.registrationToken !== undefined ? { registration_token: facts.registrationToken } : {}),
    })
    .where("session_id", "=", sessionId)
    .returning("completed")
    .executeTakeFirst();
  return row?.completed;
}

/** Deletes the session; true for exactly one caller, so a completed session authorises one request. */
export async function claimUiaSession(db: Db, sessionId: string): Promise<boolean> {
  const result = await db.deleteFrom("uia_sessions").where("session_id", "=", sessionId).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

export async function deleteExpiredUiaSessions(db: Db, now: number): Promise<void> {
  await db.deleteFrom("uia_sessions").where("expires_ts", "<=", String(now)).execute();
}
