import { sql } from "kysely";
import type { Db } from "../database.ts";
import { destinationState, type DestinationState } from "./destinations.ts";
import type { OutboxEdu, OutboxPdu } from "./outbox.ts";

/** A destination's delivery state with the oldest PDUs and EDUs queued for it. */
export interface DestinationWork {
  state: DestinationState;
  pdus: OutboxPdu[];
  edus: OutboxEdu[];
}

/**
 * The destination's state and the oldest queued PDUs (with their stored PDU text) and EDUs, up to the
 * limits, in one round trip: what the sender needs to resend the transaction in flight or build the
 * next one.
 */
export async function readDestinationWork(
  db: Db,
  destination: string,
  limits: { pdus: number; edus: number },
  /** Queued rows to leave out (those of the transaction in flight). */
  except: { pdus: readonly number[]; edus: readonly number[] } = { pdus: [], edus: [] },
): Promise<DestinationWork> {
  const result = await sql<{
    destination: string | null;
    failures: number;
    retry_at_ts: string | null;
    pending_txn_id: string | null;
    pending_body: string | null;
    pending_pdus: string[] | null;
    pending_edus: string[] | null;
    pdu_orderings: string[] | null;
    pdu_event_ids: string[] | null;
    pdu_texts: (string | null)[] | null;
    edu_ids: string[] | null;
    edu_types: string[] | null;
    edu_contents: string[] | null;
  }>`
    SELECT d.destination, d.failures, d.retry_at_ts, d.pending_txn_id, d.pending_body, d.pending_pdus, d.pending_edus,
      p.orderings AS pdu_orderings, p.event_ids AS pdu_event_ids, p.texts AS pdu_texts,
      x.ids AS edu_ids, x.types AS edu_types, x.contents AS edu_contents
    FROM (SELECT ${destination}::text AS destination) AS w
    LEFT JOIN federation_destinations d ON d.destination = w.destination
    CROSS JOIN LATERAL (
      SELECT array_agg(o.stream_ordering ORDER BY o.stream_ordering) AS orderings,
        array_agg(o.event_id ORDER BY o.stream_ordering) AS event_ids,
        array_agg(e.pdu ORDER BY o.stream_ordering) AS texts
      FROM (
        SELECT stream_ordering, event_id FROM federation_outbox_pdus
        WHERE destination = w.destination AND stream_ordering <> ALL(${except.pdus.map(String)}::bigint[])
        ORDER BY stream_ordering LIMIT ${limits.pdus}
      ) AS o
      LEFT JOIN events e ON e.event_id = o.event_id
    ) AS p
    CROSS JOIN LATERAL (
      SELECT array_agg(u.edu_id ORDER BY u.edu_id) AS ids, array_agg(u.edu_type ORDER BY u.edu_id) AS types,
        array_agg(u.content ORDER BY u.edu_id) AS contents
      FROM (
        SELECT edu_id, edu_type, content FROM federation_outbox_edus
        WHERE destination = w.destination AND edu_id <> ALL(${except.edus.map(String)}::bigint[])
        ORDER BY edu_id LIMIT ${limits.edus}
      ) AS u
    ) AS x
  `.execute(db);
  const row = result.rows[0]!;
  // No row (a destination never tried): the LEFT JOIN leaves its columns null.
  const state = destinationState(destination, row.destination === null ? undefined : row);
  const texts = row.pdu_texts ?? [];
  const eventIds = row.pdu_event_ids ?? [];
  const eduTypes = row.edu_types ?? [];
  const eduContents = row.edu_contents ?? [];
  return {
    state,
    pdus: (row.pdu_orderings ?? []).map((o, i) => ({
      streamOrdering: Number(o),
      eventId: eventIds[i]!,
      pdu: texts[i] ?? undefined,
    })),
    edus: (row.edu_ids ?? []).map((id, i) => ({
      eduId: Number(id),
      eduType: eduTypes[i]!,
      content: eduContents[i]!,
    })),
  };
}
