import { randomBytes } from "node:crypto";
import { authTypesForEvent } from "../core/auth-rules.ts";
import type { JsonObject } from "../core/json.ts";
import type { IdentifiedPdu } from "../core/pdu.ts";
import type { RoomVersion } from "../core/room-versions.ts";
import { stateTupleKey, type StateTupleKey } from "../core/state-key.ts";
import type { HearthContext } from "../context.ts";
import { MatrixError } from "../errors.ts";
import { domainOf } from "../core/auth/identifiers.ts";
import { getForwardExtremities } from "../storage/rooms/forward-extremities.ts";
import { insertAlias } from "../storage/rooms/room-aliases.ts";
import { insertRoom } from "../storage/rooms/rooms.ts";
import type { EventDraft } from "./build-event.ts";
import { buildCheckedEvent } from "./check-event.ts";
import { defaultPowerLevels, PRESET_STATE, type Preset } from "./create-room-presets.ts";
import { memberContent } from "./member-content.ts";
import { setMemberState } from "./membership.ts";
import { persistLocalEvent } from "./persist-local-event.ts";
import { withRoomWrite } from "./room-write.ts";
import { CREATE_KEY } from "./send-event.ts";
import { computeStateBefore } from "./state-before.ts";
import { STRIPPED_STATE_KEYS, strippedState } from "./stripped-state.ts";

export interface InitialStateEvent {
  type: string;
  stateKey: string;
  content: JsonObject;
}

/** A validated createRoom request. */
export interface CreateRoomOptions {
  creator: string;
  version: RoomVersion;
  preset: Preset;
  /** Publish in this server's room directory. */
  isPublic: boolean;
  creationContent: JsonObject;
  powerLevelContentOverride?: JsonObject;
  /** Full local alias (`#name:server`). */
  alias?: string;
  initialState: readonly InitialStateEvent[];
  name?: string;
  topic?: string;
  invite: readonly string[];
  isDirect: boolean;
}

export const roomInUse = (message: string): MatrixError => new MatrixError(400, "M_ROOM_IN_USE", message);
const invalidRoomState = (message: string): MatrixError =>
  new MatrixError(400, "M_INVALID_ROOM_STATE", message);

function randomRoomId(serverName: string): string {
  const letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  return `!${Array.from(randomBytes(18), (b) => letters[b % letters.length]).join("")}:${serverName}`;
}

/** The drafts of createRoom in the spec's order (steps 1–8). Invites get their stripped state later. */
async function planDrafts(ctx: HearthContext, o: CreateRoomOptions): Promise<EventDraft[]> {
  const { version } = o;
  const trusted = o.preset === "trusted_private_chat";
  const createContent: JsonObject = { ...o.creationContent, room_version: version.id };
  // The server owns `creator`: v1–v10 name the creator there; from v11 the sender is the creator.
  if (version.implicitRoomCreator) delete createContent.creator;
  else createContent.creator = o.creator;
  if (version.privilegedCreators && trusted && o.invite.length > 0) {
    const given = o.creationContent.additional_creators;
    if (given !== undefined && !Array.isArray(given)) {
      throw new MatrixError(400, "M_BAD_JSON", "creation_content.additional_creators must be an array");
    }
    createContent.additional_creators = [...new Set([...(given ?? []), ...o.invite])];
  }

  const powerLevels = {
    ...defaultPowerLevels(version, o.creator, o.preset, trusted ? o.invite : []),
    ...o.powerLevelContentOverride,
  };
  const initialKeys = new Set(o.initialState.map((e) => stateTupleKey(e.type, e.stateKey)));
  const preset = PRESET_STATE[o.preset];
  const drafts: EventDraft[] = [
    { type: "m.room.create", stateKey: "", content: createContent },
    { type: "m.room.member", stateKey: o.creator, content: await memberContent(ctx, o.creator, "join") },
    { type: "m.room.power_levels", stateKey: "", content: powerLevels },
  ];
  if (o.alias !== undefined)
    drafts.push({ type: "m.room.canonical_alias", stateKey: "", content: { alias: o.alias } });
  // initial_state takes precedence over the preset, and name/topic over initial_state: send only the winner.
  const presetEvents: Array<[string, JsonObject]> = [
    ["m.room.join_rules", { join_rule: preset.join_rule }],
    ["m.room.history_visibility", { history_visibility: preset.history_visibility }],
    ["m.room.guest_access", { guest_access: preset.guest_access }],
  ];
  for (const [type, content] of presetEvents) {
    if (!initialKeys.has(stateTupleKey(type, ""))) drafts.push({ type, stateKey: "", content });
  }
  for (const e of o.initialState) {
    if (e.type === "m.room.create") throw invalidRoomState("initial_state may not contain m.room.create");
    if (
      e.stateKey === "" &&
      ((e.type === "m.room.name" && o.name !== undefined) ||
        (e.type === "m.room.topic" && o.topic !== undefined))
    ) {
      continue;
    }
    drafts.push({ type: e.type, stateKey: e.stateKey, content: e.content });
  }
  if (o.name !== undefined) drafts.push({ type: "m.room.name", stateKey: "", content: { name: o.name } });
  if (o.topic !== undefined) {
    drafts.push({
      type: "m.room.topic",
      stateKey: "",
      content: { topic: o.topic, "m.topic": { "m.text": [{ mimetype: "text/plain", body: o.topic }] } },
    });
  }
  // Remote invitees are invited once the room exists (see inviteRemoteUsers).
  for (const invitee of o.invite.filter((u) => domainOf(u) === ctx.serverName)) {
    drafts.push({ type: "m.room.member", stateKey: invitee, content: await inviteContent(ctx, o, invitee) });
  }
  return drafts;
}

/**
 * Builds and checks every event in memory first, so a request whose state the auth rules refuse
 * (e.g. a power_level_content_override that locks the creator out) fails with nothing stored.
 */
function buildChain(
  ctx: HearthContext,
  o: CreateRoomOptions,
  drafts: EventDraft[],
): { roomId: string; events: IdentifiedPdu[] } {
  const { version } = o;
  const state = new Map<StateTupleKey, IdentifiedPdu>();
  const events: IdentifiedPdu[] = [];
  let roomId = version.roomIdFromCreateEvent ? undefined : randomRoomId(ctx.serverName);
  const now = ctx.clock();
  for (const original of drafts) {
    let draft = original;
    if (draft.type === "m.room.member" && draft.content.membership === "invite") {
      const shown = [...STRIPPED_STATE_KEYS, stateTupleKey("m.room.member", o.creator)];
      const stripped = strippedState(
        shown.map((k) => state.get(k)).filter((e): e is IdentifiedPdu => e !== undefined),
      );
      draft = { ...draft, unsigned: { invite_room_state: stripped } };
    }
    const authKeys = authTypesForEvent(version, {
      type: draft.type,
      sender: o.creator,
      state_key: draft.stateKey,
      content: draft.content,
    }).map(([t, k]) => stateTupleKey(t, k));
    const authEvents = authKeys.map((k) => state.get(k)).filter((e): e is IdentifiedPdu => e !== undefined);
    const authState = new Map<StateTupleKey, IdentifiedPdu>();
    for (const k of [...authKeys, CREATE_KEY]) {
      const ev = state.get(k);
      if (ev) authState.set(k, ev);
    }
    const prev = events.at(-1);
    let event: IdentifiedPdu;
    try {
      event = buildCheckedEvent(
        {
          version,
          roomId,
          sender: o.creator,
          draft,
          prevEvents: prev ? [prev] : [],
          authEvents,
          originServerTs: now,
          serverName: ctx.serverName,
          key: ctx.keys.current,
        },
        authState,
      );
    } catch (e) {
      if (e instanceof MatrixError && e.status === 403) {
        throw invalidRoomState(`The requested initial state is not allowed (${draft.type}): ${e.message}`);
      }
      throw e;
    }
    roomId ??= `!${event.event_id.slice(1)}`;
    state.set(stateTupleKey(event.type, draft.stateKey ?? ""), event);
    events.push(event);
  }
  return { roomId: roomId!, events };
}

/**
 * POST /createRoom: the events in the spec's order, each stored in its own transaction (so sync sees
 * them one by one, like any other events), the alias claimed together with the create event.
 */
export async function createRoom(ctx: HearthContext, o: CreateRoomOptions): Promise<{ roomId: string }> {
  const drafts = await planDrafts(ctx, o);
  const built = buildChain(ctx, o, drafts);
  const roomId = built.roomId;
  const events = built.events;
  let previous: string | undefined;
  for (const event of events) {
    await withRoomWrite(ctx, roomId, async (tx, position) => {
      const prevIds = previous === undefined ? [] : [previous];
      const extremities = (await getForwardExtremities(tx, roomId)).map((e) => e.eventId);
      if (extremities.length !== prevIds.length || extremities[0] !== previous) {
        throw new Error(`room ${roomId} changed while it was being created`);
      }
      if (event.type === "m.room.create") {
        await insertRoom(tx, {
          roomId,
          roomVersion: o.version.id,
          creator: o.creator,
          isPublic: o.isPublic,
          createdTs: ctx.clock(),
        });
        if (
          o.alias !== undefined &&
          !(await insertAlias(tx, { alias: o.alias, roomId, creator: o.creator, createdTs: ctx.clock() }))
        ) {
          throw roomInUse("Room alias already taken");
        }
      }
      const before = await computeStateBefore(tx, roomId, o.version, prevIds, extremities);
      const { outcome, destinations } = await persistLocalEvent(ctx, tx, {
        roomId,
        version: o.version,
        event,
        before,
        streamOrdering: position,
        extremities,
        fresh: true,
        now: ctx.clock(),
      });
      return {
        value: undefined,
        notify: { userIds: [o.creator, ...outcome.membershipUsers] },
        federate: destinations,
      };
    });
    previous = event.event_id;
  }
  await inviteRemoteUsers(ctx, o, roomId);
  return { roomId };
}

async function inviteContent(ctx: HearthContext, o: CreateRoomOptions, invitee: string): Promise<JsonObject> {
  const content = await memberContent(ctx, invitee, "invite");
  if (o.isDirect) content.is_direct = true;
  return content;
}

/**
 * Invites the remote invitees into the created room, one by one, each through its server (which signs
 * it before it is stored), as Synapse does. A server that refuses or cannot be reached costs that one
 * invite, logged, not the room: the room and the other invites stand, and nobody is left holding an
 * invite to a room that was never created.
 */
async function inviteRemoteUsers(ctx: HearthContext, o: CreateRoomOptions, roomId: string): Promise<void> {
  for (const invitee of o.invite.filter((u) => domainOf(u) !== ctx.serverName)) {
    try {
      await setMemberState(ctx, {
        roomId,
        sender: o.creator,
        target: invitee,
        content: await inviteContent(ctx, o, invitee),
      });
    } catch (err) {
      ctx.log.warn({ err, roomId, invitee }, "createRoom could not invite a remote user");
    }
  }
}
