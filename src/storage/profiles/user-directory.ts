import { sql } from "kysely";
import type { Db } from "../database.ts";

export interface DirectoryUser {
  userId: string;
  displayName: string | null;
  avatarUrl: string | null;
}

const escapeLike = (s: string): string => s.replace(/[\\%_]/g, (ch) => `\\${ch}`);

/**
 * Users the searcher may find (spec: users sharing a room with them, and users joined to rooms with a
 * public join rule or world_readable history), whose user id or display name contains every word of
 * the search term, case-insensitively. Names come from the global profile for local users and from
 * the latest member event otherwise. Computed from current state on each search: a dedicated index
 * table is the next step once servers grow large.
 */
export async function searchUserDirectory(
  db: Db,
  searcher: string,
  words: readonly string[],
  limit: number,
): Promise<DirectoryUser[]> {
  const patterns = words.map((w) => `%${escapeLike(w.toLowerCase())}%`);
  const prefix = `${escapeLike((words[0] ?? "").toLowerCase())}%`;
  const rows = await sql<{ user_id: string; display_name: string | null; avatar_url: string | null }>`
    WITH open_rooms AS (
      SELECT cs.room_id FROM current_state cs JOIN events e ON e.event_id = cs.event_id
      WHERE cs.state_key = '' AND (
        (cs.type = 'm.room.join_rules' AND e.pdu::jsonb -> 'content' ->> 'join_rule' = 'public')
        OR (cs.type = 'm.room.history_visibility'
            AND e.pdu::jsonb -> 'content' ->> 'history_visibility' = 'world_readable'))
    ),
    my_rooms AS (
      SELECT room_id FROM current_memberships WHERE user_id = ${searcher} AND membership = 'join'
    ),
    visible AS (
      SELECT DISTINCT ON (m.user_id) m.user_id, e.pdu::jsonb -> 'content' AS content
      FROM current_memberships m JOIN events e ON e.event_id = m.event_id
      WHERE m.membership = 'join'
        AND (m.room_id IN (SELECT room_id FROM my_rooms) OR m.room_id IN (SELECT room_id FROM open_rooms))
      ORDER BY m.user_id, m.stream_ordering DESC NULLS LAST
    ),
    named AS (
      SELECT v.user_id,
        CASE WHEN u.user_id IS NOT NULL THEN dn.value #>> '{}' ELSE v.content ->> 'displayname' END AS display_name,
        CASE WHEN u.user_id IS NOT NULL THEN av.value #>> '{}' ELSE v.content ->> 'avatar_url' END AS avatar_url
      FROM visible v
      LEFT JOIN users u ON u.user_id = v.user_id
      LEFT JOIN profile_fields dn ON dn.user_id = v.user_id AND dn.field_name = 'displayname'
      LEFT JOIN profile_fields av ON av.user_id = v.user_id AND av.field_name = 'avatar_url'
      WHERE u.deactivated IS NOT TRUE
    )
    SELECT user_id, display_name, avatar_url FROM named n
    WHERE (SELECT bool_and(lower(n.user_id) LIKE p OR lower(coalesce(n.display_name, '')) LIKE p)
           FROM unnest(${patterns}::text[]) AS p)
    ORDER BY
      (lower(coalesce(display_name, '')) LIKE ${prefix} OR lower(substr(user_id, 2)) LIKE ${prefix}) DESC,
      (display_name IS NOT NULL) DESC,
      user_id
    LIMIT ${limit}
  `.execute(db);
  return rows.rows.map((r) => ({ userId: r.user_id, displayName: r.display_name, avatarUrl: r.avatar_url }));
}
