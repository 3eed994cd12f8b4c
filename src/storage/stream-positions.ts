import type { Db } from "./database.ts";

/** The highest position written on the events stream (0 for an empty database). */
export async function maxEventStreamOrdering(db: Db): Promise<number> {
  const row = await db
    .selectFrom("events")
    .select((eb) => eb.fn.max("stream_ordering").as("max"))
    .executeTakeFirst();
  return Number(row?.max ?? 0);
}
