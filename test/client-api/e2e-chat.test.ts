/**
 * Real clients end to end: three matrix-js-sdk 37 clients register and log in over a socket, run their
 * sync loops, and chat through every room preset. Each check looks at what a client learnt through
 * /sync (its Room models), not at what the server answered the sender, so a message, receipt or state
 * change only counts once another client has seen it.
 */
import {
  createClient,
  EventTimeline,
  EventType,
  Filter,
  KnownMembership,
  MatrixError,
  MsgType,
  Preset,
  ReceiptType,
  RelationType,
  RoomEvent,
  RoomMemberEvent,
  type MatrixClient,
  type MatrixEvent,
  TimelineWindow,
  type Room,
} from "matrix-js-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { quietLogger, ResumableStore, startSyncing, until } from "../support/js-sdk.ts";

/** Small enough that a dozen messages sent while a client is away make its next sync limited. */
const TIMELINE_LIMIT = 5;

let hs: TestHomeserver;
let baseUrl: string;
let alice: MatrixClient;
let bob: MatrixClient;
let carol: MatrixClient;
let bobLater: MatrixClient | undefined;
let aliceLazy: MatrixClient | undefined;

/** Starts (or restarts) a client's sync loop with the suite's filter: short timelines, full member lists
 * unless lazy loading is asked for. */
function sync(client: MatrixClient, opts: { lazyLoadMembers?: boolean } = {}): Promise<void> {
  const filter = new Filter(client.getUserId());
  filter.setDefinition({ room: { timeline: { limit: TIMELINE_LIMIT } } });
  return startSyncing(client, { initialSyncLimit: TIMELINE_LIMIT, filter, ...opts });
}

/** The sdk's rejection for a request, as a MatrixError (it throws those for every JSON error). */
async function failure(promise: Promise<unknown>): Promise<MatrixError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof MatrixError)) throw new Error(`expected a MatrixError, got ${String(err)}`);
  return err;
}

/** Registers through user-interactive auth (m.login.dummy), then logs in on a second device to chat from. */
async function registerAndLogIn(localpart: string): Promise<MatrixClient> {
  const anonymous = createClient({ baseUrl, logger: quietLogger });
  const password = `${localpart}-password`;
  const challenge = await failure(anonymous.registerRequest({ username: localpart, password }));
  expect(challenge.httpStatus).toBe(401);
  const registered = await anonymous.registerRequest({
    username: localpart,
    password,
    auth: { type: "m.login.dummy", session: challenge.data.session as string },
  });
  expect(registered.user_id).toBe(`@${localpart}:hearth.test`);

  const client = await logIn(localpart);
  expect(client.getUserId()).toBe(registered.user_id);
  expect(client.getDeviceId()).not.toBe(registered.device_id);
  return client;
}

/** Logs in with the password `registerAndLogIn` chose, as a new device with its own client. */
async function logIn(localpart: string, opts: { timelineSupport?: boolean } = {}): Promise<MatrixClient> {
  const login = await createClient({ baseUrl, logger: quietLogger }).loginRequest({
    type: "m.login.password",
    identifier: { type: "m.id.user", user: localpart },
    password: `${localpart}-password`,
    initial_device_display_name: `${localpart}'s e2e client`,
  });
  return createClient({
    baseUrl,
    accessToken: login.access_token,
    userId: login.user_id,
    deviceId: login.device_id,
    store: new ResumableStore(),
    logger: quietLogger,
    timelineSupport: opts.timelineSupport,
  });
}

function roomOf(client: MatrixClient, roomId: string): Room | null {
  return client.getRoom(roomId);
}

function membershipIn(client: MatrixClient, roomId: string, userId: string): string | undefined {
  return roomOf(client, roomId)?.getMember(userId)?.membership;
}

/** Waits until `client` has synced `userId`'s membership in the room to `membership`. */
function seesMembership(
  client: MatrixClient,
  roomId: string,
  userId: string,
  membership: string,
): Promise<true> {
  return until(
    client,
    `${userId} to be ${membership} in ${roomId}`,
    () => membershipIn(client, roomId, userId) === membership,
  );
}

/**
 * Waits until `client` has the event in its room from the server (/sync, or /messages for scrollback):
 * for the sender that means the remote echo, not the local echo the send already gave an id.
 */
function seesEvent(client: MatrixClient, roomId: string, eventId: string): Promise<MatrixEvent> {
  return until(
    client,
    `event ${eventId}`,
    () => {
      const ev = roomOf(client, roomId)?.findEventById(eventId);
      return ev?.status === null ? ev : undefined;
    },
    { also: [RoomEvent.Timeline, RoomEvent.LocalEchoUpdated] },
  );
}

function stateContent(
  client: MatrixClient,
  roomId: string,
  type: string,
): Record<string, unknown> | undefined {
  return roomOf(client, roomId)?.currentState.getStateEvents(type, "")?.getContent();
}

function liveBodies(client: MatrixClient, roomId: string): string[] {
  const room = roomOf(client, roomId);
  if (!room) return [];
  return room
    .getLiveTimeline()
    .getEvents()
    .filter((e) => e.getType() === EventType.RoomMessage)
    .map((e) => String(e.getContent().body));
}

beforeAll(async () => {
  hs = await startTestHomeserver({
    // E2E_LOG=error shows the server's side of a 500 a client reports (the sdk only has a request id).
    log: { level: process.env.E2E_LOG ?? "silent" },
    registration: { enabled: true },
    rate_limits: {
      login: { per_second: 1000, burst: 1000 },
      registration: { per_second: 1000, burst: 1000 },
      messages: { per_second: 10_000, burst: 10_000 },
    },
  });
  const [listener] = await hs.listen();
  if (!listener) throw new Error("no listener");
  baseUrl = listener.url.replace(/\/$/, "");
});
afterAll(async () => {
  for (const c of [alice, bob, carol, bobLater, aliceLazy]) c?.stopClient();
  await hs?.destroy();
});

describe("three matrix-js-sdk clients chatting through Hearth", () => {
  const ALICE = "@alice:hearth.test";
  const BOB = "@bob:hearth.test";
  const CAROL = "@carol:hearth.test";
  let privateRoom: string;
  let trustedRoom: string;
  let publicRoom: string;
  /** The messages sent while carol's client was stopped, oldest first. */
  const gap: string[] = [];

  it("register, log in and start their sync loops", async () => {
    alice = await registerAndLogIn("alice");
    bob = await registerAndLogIn("bob");
    carol = await registerAndLogIn("carol");
    await Promise.all([sync(alice), sync(bob), sync(carol)]);
    for (const c of [alice, bob, carol]) expect(c.getRooms()).toEqual([]);
  });

  it("create a room with each preset, with the preset's state", async () => {
    ({ room_id: privateRoom } = await alice.createRoom({
      preset: Preset.PrivateChat,
      name: "Private",
      invite: [BOB],
    }));
    ({ room_id: trustedRoom } = await alice.createRoom({
      preset: Preset.TrustedPrivateChat,
      invite: [BOB],
      is_direct: true,
    }));
    ({ room_id: publicRoom } = await alice.createRoom({
      preset: Preset.PublicChat,
      name: "Public",
      topic: "Start here",
    }));

    // The invitee learns of both invites through /sync, with the inviter and the invite's stripped state.
    await until(bob, "both invites", () =>
      [privateRoom, trustedRoom].every((id) => roomOf(bob, id)?.getMyMembership() === KnownMembership.Invite),
    );
    expect(roomOf(bob, privateRoom)?.name).toBe("Private");
    expect(roomOf(bob, trustedRoom)?.getDMInviter()).toBe(ALICE);

    await bob.joinRoom(privateRoom);
    await bob.joinRoom(trustedRoom);
    await carol.joinRoom(publicRoom);
    await bob.joinRoom(publicRoom);
    await seesMembership(alice, privateRoom, BOB, KnownMembership.Join);
    await seesMembership(alice, trustedRoom, BOB, KnownMembership.Join);
    await seesMembership(alice, publicRoom, CAROL, KnownMembership.Join);
    await seesMembership(alice, publicRoom, BOB, KnownMembership.Join);

    // The spec's preset table (createRoom), as each joined client synced it.
    const expected = {
      [privateRoom]: { join_rule: "invite", history_visibility: "shared", guest_access: "can_join" },
      [trustedRoom]: { join_rule: "invite", history_visibility: "shared", guest_access: "can_join" },
      [publicRoom]: { join_rule: "public", history_visibility: "shared", guest_access: "forbidden" },
    };
    for (const [roomId, want] of Object.entries(expected)) {
      await until(bob, `bob's state of ${roomId}`, () => roomOf(bob, roomId)?.getMyMembership() === "join");
      for (const client of [alice, bob]) {
        expect(stateContent(client, roomId, EventType.RoomJoinRules)?.join_rule).toBe(want.join_rule);
        expect(stateContent(client, roomId, EventType.RoomHistoryVisibility)?.history_visibility).toBe(
          want.history_visibility,
        );
        expect(stateContent(client, roomId, EventType.RoomGuestAccess)?.guest_access ?? "forbidden").toBe(
          want.guest_access,
        );
      }
    }
    // trusted_private_chat: invitees get the creator's power, which in room v12 (the default) means
    // being an additional creator (matrix-js-sdk 37 predates v12, so its powerLevel cannot show it).
    expect(stateContent(bob, trustedRoom, EventType.RoomCreate)).toMatchObject({
      room_version: "12",
      additional_creators: [BOB],
    });
    expect(stateContent(bob, privateRoom, EventType.RoomCreate)?.additional_creators).toBeUndefined();
    expect(roomOf(bob, privateRoom)?.getMember(BOB)?.powerLevel).toBe(0);
    expect(roomOf(carol, publicRoom)?.name).toBe("Public");
    expect(stateContent(carol, publicRoom, EventType.RoomTopic)?.topic).toBe("Start here");
  });

  it("invite, join, leave, kick, ban and unban, seen by the others", async () => {
    // Invite and accept.
    await alice.invite(privateRoom, CAROL);
    await until(carol, "the invite", () => roomOf(carol, privateRoom)?.getMyMembership() === "invite");
    expect(roomOf(carol, privateRoom)?.getMember(CAROL)?.events.member?.getSender()).toBe(ALICE);
    await seesMembership(bob, privateRoom, CAROL, KnownMembership.Invite);
    await carol.joinRoom(privateRoom);
    await seesMembership(bob, privateRoom, CAROL, KnownMembership.Join);

    // Kick: the kicked user and the bystander both see who did it and why.
    await alice.kick(publicRoom, CAROL, "cool off");
    await seesMembership(bob, publicRoom, CAROL, KnownMembership.Leave);
    const kick = roomOf(bob, publicRoom)?.getMember(CAROL)?.events.member;
    expect(kick?.getSender()).toBe(ALICE);
    expect(kick?.getContent().reason).toBe("cool off");
    await until(carol, "being kicked", () => roomOf(carol, publicRoom)?.getMyMembership() === "leave");

    // Ban: joining is refused until the unban.
    await carol.joinRoom(publicRoom);
    await seesMembership(alice, publicRoom, CAROL, KnownMembership.Join);
    await alice.ban(publicRoom, CAROL, "spam");
    await seesMembership(bob, publicRoom, CAROL, KnownMembership.Ban);
    await until(carol, "being banned", () => roomOf(carol, publicRoom)?.getMyMembership() === "ban");
    expect((await failure(carol.joinRoom(publicRoom))).httpStatus).toBe(403);
    await alice.unban(publicRoom, CAROL);
    await seesMembership(bob, publicRoom, CAROL, KnownMembership.Leave);
    await until(carol, "being unbanned", () => roomOf(carol, publicRoom)?.getMyMembership() === "leave");

    // Join and leave of her own accord, then back for the rest of the suite.
    await carol.joinRoom(publicRoom);
    await seesMembership(bob, publicRoom, CAROL, KnownMembership.Join);
    await carol.leave(publicRoom);
    await seesMembership(alice, publicRoom, CAROL, KnownMembership.Leave);
    // The sdk's joinRoom is a no-op for a room its own sync still shows it joined to.
    await until(carol, "having left", () => roomOf(carol, publicRoom)?.getMyMembership() === "leave");
    await carol.joinRoom(publicRoom);
    await seesMembership(alice, publicRoom, CAROL, KnownMembership.Join);
    await until(carol, "being back", () => roomOf(carol, publicRoom)?.getMyMembership() === "join");
  });

  it("reject an invite, seen by the invitee's own client", async () => {
    const { room_id: roomId } = await alice.createRoom({ preset: Preset.PrivateChat, invite: [CAROL] });
    await until(carol, "the invite", () => roomOf(carol, roomId)?.getMyMembership() === "invite");
    await carol.leave(roomId);
    await seesMembership(alice, roomId, CAROL, KnownMembership.Leave);
    await until(carol, "her rejection", () => roomOf(carol, roomId)?.getMyMembership() === "leave");
  });

  it("send text, replies, edits, reactions and redactions, rendered by the other clients", async () => {
    const { event_id: hello } = await bob.sendTextMessage(publicRoom, "hello");
    expect((await seesEvent(alice, publicRoom, hello)).getContent().body).toBe("hello");
    expect((await seesEvent(carol, publicRoom, hello)).getSender()).toBe(BOB);

    // Reply.
    const { event_id: reply } = await alice.sendMessage(publicRoom, {
      msgtype: MsgType.Text,
      body: "> <@bob:hearth.test> hello\n\nhi bob",
      "m.relates_to": { "m.in_reply_to": { event_id: hello } },
    });
    expect((await seesEvent(bob, publicRoom, reply)).replyEventId).toBe(hello);

    // Edit: the other clients show the new content on the original event.
    const { event_id: edit } = await bob.sendMessage(publicRoom, {
      msgtype: MsgType.Text,
      body: "* hello, world",
      "m.new_content": { msgtype: MsgType.Text, body: "hello, world" },
      "m.relates_to": { rel_type: RelationType.Replace, event_id: hello },
    });
    const bodyOf = (client: MatrixClient, id: string): unknown =>
      roomOf(client, publicRoom)?.findEventById(id)?.getContent().body;
    for (const client of [alice, carol]) {
      const original = await until(client, "the edit applied", () => {
        const ev = roomOf(client, publicRoom)?.findEventById(hello);
        return ev?.replacingEventId() === edit ? ev : undefined;
      });
      expect(original.getContent().body).toBe("hello, world");
    }
    // The server bundles the edit with the original (spec: server-side aggregation of m.replace).
    const bundled = await carol.fetchRoomEvent(publicRoom, hello);
    expect(bundled.unsigned?.["m.relations"]?.[RelationType.Replace]).toMatchObject({ event_id: edit });

    // A second edit, then its redaction: the clients and the server fall back to the first edit.
    const { event_id: edit2 } = await bob.sendMessage(publicRoom, {
      msgtype: MsgType.Text,
      body: "* hello, everyone",
      "m.new_content": { msgtype: MsgType.Text, body: "hello, everyone" },
      "m.relates_to": { rel_type: RelationType.Replace, event_id: hello },
    });
    await until(alice, "the second edit", () => bodyOf(alice, hello) === "hello, everyone");
    await bob.redactEvent(publicRoom, edit2);
    await until(alice, "the second edit's redaction", () => bodyOf(alice, hello) === "hello, world", {
      also: [RoomEvent.Redaction],
    });
    const rebundled = await carol.fetchRoomEvent(publicRoom, hello);
    expect(rebundled.unsigned?.["m.relations"]?.[RelationType.Replace]).toMatchObject({ event_id: edit });

    // Reaction: aggregated on the other clients and by the server.
    const { event_id: reaction } = await carol.sendEvent(publicRoom, EventType.Reaction, {
      "m.relates_to": { rel_type: RelationType.Annotation, event_id: hello, key: "👍" },
    });
    const annotations = (client: MatrixClient): [string, number][] =>
      (
        roomOf(client, publicRoom)
          ?.relations.getChildEventsForEvent(hello, RelationType.Annotation, EventType.Reaction)
          ?.getSortedAnnotationsByKey() ?? []
      )
        // The sdk keeps a key whose reactions were all redacted, with no events under it.
        .filter(([, events]) => events.size > 0)
        .map(([key, events]) => [key, events.size]);
    await until(alice, "the reaction", () => annotations(alice).length > 0);
    expect(annotations(alice)).toEqual([["👍", 1]]);
    const related = await alice.relations(publicRoom, hello, RelationType.Annotation, EventType.Reaction);
    expect(related.events.map((e) => e.getId())).toEqual([reaction]);

    // Redacting the reaction takes it out of the aggregation; a moderator's redaction empties a message.
    await carol.redactEvent(publicRoom, reaction);
    await until(alice, "the reaction's redaction", () => annotations(alice).length === 0, {
      also: [RoomEvent.Redaction],
    });
    const { event_id: spam } = await carol.sendTextMessage(publicRoom, "spam spam spam");
    await seesEvent(bob, publicRoom, spam);
    await alice.redactEvent(publicRoom, spam, undefined, { reason: "off topic" });
    for (const client of [bob, carol]) {
      const redacted = await until(client, "the redaction", () => {
        const ev = roomOf(client, publicRoom)?.findEventById(spam);
        return ev?.isRedacted() ? ev : undefined;
      });
      expect(redacted.getContent()).toEqual({});
    }
    const fetched = await bob.fetchRoomEvent(publicRoom, spam);
    expect(fetched.content).toEqual({});
    expect(fetched.unsigned?.redacted_because?.content).toMatchObject({ reason: "off topic" });
  });

  it("change name, topic and power levels, seen by the others", async () => {
    await alice.setRoomName(publicRoom, "Renamed");
    await alice.setRoomTopic(publicRoom, "A new topic");
    await alice.setPowerLevel(publicRoom, BOB, 50);
    for (const client of [bob, carol]) {
      await until(
        client,
        "the new power levels",
        () => roomOf(client, publicRoom)?.getMember(BOB)?.powerLevel === 50,
      );
      const room = roomOf(client, publicRoom);
      expect(room?.name).toBe("Renamed");
      expect(stateContent(client, publicRoom, EventType.RoomTopic)?.topic).toBe("A new topic");
      expect(room?.getMember(CAROL)?.powerLevel).toBe(0);
      // v12: the creator is never listed; only the change is.
      expect(stateContent(client, publicRoom, EventType.RoomPowerLevels)?.users).toEqual({ [BOB]: 50 });
    }
    // Redacting a state event empties it in everyone's current state.
    const { event_id: topic } = await alice.setRoomTopic(trustedRoom, "to be redacted");
    await until(
      bob,
      "the topic",
      () => stateContent(bob, trustedRoom, EventType.RoomTopic)?.topic === "to be redacted",
    );
    await alice.redactEvent(trustedRoom, topic);
    await until(
      bob,
      "the topic's redaction",
      () => {
        const ev = roomOf(bob, trustedRoom)?.currentState.getStateEvents(EventType.RoomTopic, "");
        return ev?.getId() === topic && ev.isRedacted();
      },
      { also: [RoomEvent.Redaction] },
    );
    expect(stateContent(bob, trustedRoom, EventType.RoomTopic)).toEqual({});

    // Carol (0) still may not rename the room.
    expect((await failure(carol.setRoomName(publicRoom, "Mine"))).errcode).toBe("M_FORBIDDEN");
  });

  it("send typing notifications and read receipts, seen by the others", async () => {
    const typing = (client: MatrixClient): boolean | undefined =>
      roomOf(client, publicRoom)?.getMember(BOB)?.typing;
    await bob.sendTyping(publicRoom, true, 30_000);
    await until(alice, "bob typing", () => typing(alice) === true, { also: [RoomMemberEvent.Typing] });
    await until(carol, "bob typing", () => typing(carol) === true, { also: [RoomMemberEvent.Typing] });
    await bob.sendTyping(publicRoom, false, 30_000);
    await until(alice, "bob to stop typing", () => typing(alice) === false, {
      also: [RoomMemberEvent.Typing],
    });
    // A typing notification that is never stopped expires on the server after its timeout.
    await bob.sendTyping(publicRoom, true, 300);
    await until(alice, "bob typing again", () => typing(alice) === true, { also: [RoomMemberEvent.Typing] });
    await until(alice, "bob's typing to expire", () => typing(alice) === false, {
      also: [RoomMemberEvent.Typing],
      timeoutMs: 5_000,
    });

    const { event_id: read } = await bob.sendTextMessage(publicRoom, "read me");
    const event = await seesEvent(alice, publicRoom, read);
    await alice.sendReadReceipt(event, ReceiptType.Read);
    for (const client of [bob, carol]) {
      await until(
        client,
        "alice's receipt",
        // Synthesized receipts are the client's own guesses; only the server's one counts here.
        () => roomOf(client, publicRoom)?.getReadReceiptForUserId(ALICE, true)?.eventId === read,
        { also: [RoomEvent.Receipt] },
      );
    }
    expect(roomOf(bob, publicRoom)?.getUsersReadUpTo(event)).toContain(ALICE);
  });

  it("keep private receipts and read markers to their owner", async () => {
    const { event_id: seen } = await bob.sendTextMessage(publicRoom, "seen privately");
    const event = await seesEvent(carol, publicRoom, seen);
    await carol.sendReadReceipt(event, ReceiptType.ReadPrivate);
    await carol.setRoomReadMarkers(publicRoom, seen);
    await until(carol, "her private receipt and read marker", () => {
      const room = roomOf(carol, publicRoom);
      return (
        room?.getReadReceiptForUserId(CAROL, true, ReceiptType.ReadPrivate)?.eventId === seen &&
        room.getAccountData(EventType.FullyRead)?.getContent().event_id === seen
      );
    });
    // A public receipt after them: once bob has it, he would have had carol's too had it leaked.
    await alice.sendReadReceipt(event, ReceiptType.Read);
    await until(
      bob,
      "alice's receipt",
      () => roomOf(bob, publicRoom)?.getReadReceiptForUserId(ALICE, true)?.eventId === seen,
      { also: [RoomEvent.Receipt] },
    );
    const bobsView = roomOf(bob, publicRoom) as Room;
    expect(bobsView.getReadReceiptForUserId(CAROL, true, ReceiptType.ReadPrivate)).toBeNull();
    expect(bobsView.getReadReceiptForUserId(CAROL, true, ReceiptType.Read)?.eventId).not.toBe(seen);
    expect(bobsView.getAccountData(EventType.FullyRead)).toBeUndefined();
  });

  it("change a display name, seen in every shared room", async () => {
    await bob.setDisplayName("Bobby");
    for (const [client, roomIds] of [
      [alice, [privateRoom, trustedRoom, publicRoom]],
      [carol, [privateRoom, publicRoom]],
    ] as const) {
      await until(client, "bob's new name everywhere", () =>
        roomIds.every((id) => roomOf(client, id)?.getMember(BOB)?.name === "Bobby"),
      );
    }
    expect((await alice.getProfileInfo(BOB)).displayname).toBe("Bobby");
  });

  it("a client kicked while stopped learns it from its next sync", async () => {
    const { room_id: roomId } = await alice.createRoom({ preset: Preset.PublicChat, name: "Kick room" });
    await carol.joinRoom(roomId);
    await until(carol, "being in the room", () => roomOf(carol, roomId)?.getMyMembership() === "join");
    carol.stopClient();
    await bob.joinRoom(roomId);
    await alice.kick(roomId, CAROL, "while away");
    for (let i = 0; i < 2 * TIMELINE_LIMIT; i++) await alice.sendTextMessage(roomId, `after ${i}`);
    await sync(carol);
    await until(carol, "having been kicked", () => roomOf(carol, roomId)?.getMyMembership() === "leave");
    const kick = roomOf(carol, roomId)?.getMember(CAROL)?.events.member;
    expect(kick?.getSender()).toBe(ALICE);
    expect(kick?.getContent().reason).toBe("while away");
    // The leave section stops at the kick: nothing sent after it reaches her.
    expect(liveBodies(carol, roomId).some((b) => b.startsWith("after"))).toBe(false);
    expect(membershipIn(carol, roomId, BOB)).toBe(KnownMembership.Join);
  });

  it("paginate back through the gap a limited sync leaves", async () => {
    const { event_id: before } = await alice.sendTextMessage(publicRoom, "before the gap");
    await seesEvent(carol, publicRoom, before);
    carol.stopClient();

    // A state change early in the gap: it falls outside the timeline the next sync returns, so it has to
    // arrive as state.
    const sent = gap;
    for (let i = 0; i < 3 * TIMELINE_LIMIT; i++) {
      sent.push((await alice.sendTextMessage(publicRoom, `gap ${i}`)).event_id);
      if (i === 1) await alice.setRoomTopic(publicRoom, "Changed in the gap");
      if (i === 2) await bob.leave(publicRoom);
      if (i === 3) {
        await until(bob, "having left", () => roomOf(bob, publicRoom)?.getMyMembership() === "leave");
        await bob.joinRoom(publicRoom);
      }
    }
    const last = sent[sent.length - 1] as string;

    // The restarted client resumes from its sync token; the server has more than the filter's limit.
    await sync(carol);
    await seesEvent(carol, publicRoom, last);
    const room = roomOf(carol, publicRoom) as Room;
    const live = room.getLiveTimeline();
    expect(live.getEvents().map((e) => e.getId())).toEqual(sent.slice(-TIMELINE_LIMIT));
    expect(live.getPaginationToken(EventTimeline.BACKWARDS)).toBeTruthy();
    expect(room.findEventById(sent[0] as string)).toBeUndefined();
    expect(stateContent(carol, publicRoom, EventType.RoomTopic)?.topic).toBe("Changed in the gap");
    // Bob left and came back inside the gap: the state delta has his new join, not the old one.
    const bobsJoin = roomOf(carol, publicRoom)?.getMember(BOB)?.events.member;
    expect(bobsJoin?.getContent().membership).toBe(KnownMembership.Join);
    expect(bobsJoin?.getId()).toBe(
      (await carol.roomState(publicRoom)).find((e) => e.type === EventType.RoomMember && e.state_key === BOB)
        ?.event_id,
    );

    // Scroll back until the message before the gap: every gap message comes back, in order.
    while (!liveBodies(carol, publicRoom).includes("before the gap")) {
      const had = live.getEvents().length;
      await carol.scrollback(room, TIMELINE_LIMIT);
      expect(live.getEvents().length).toBeGreaterThan(had);
    }
    const bodies = liveBodies(carol, publicRoom);
    const from = bodies.indexOf("before the gap");
    expect(bodies.slice(from)).toEqual(["before the gap", ...sent.map((_, i) => `gap ${i}`)]);
    expect(
      live
        .getEvents()
        .filter((e) => sent.includes(e.getId() as string))
        .map((e) => e.getId()),
    ).toEqual(sent);
  });

  it("jump into the gap with /context on a fresh device and page out to both ends", async () => {
    bobLater = await logIn("bob", { timelineSupport: true });
    await sync(bobLater);
    const room = roomOf(bobLater, publicRoom) as Room;
    const target = gap[TIMELINE_LIMIT] as string;
    expect(room.findEventById(target)).toBeUndefined();

    const window = new TimelineWindow(bobLater, room.getUnfilteredTimelineSet());
    await window.load(target, 3);
    expect(window.getEvents().map((e) => e.getId())).toContain(target);
    // Forwards until the window reaches the live timeline the initial sync made.
    while (window.canPaginate(EventTimeline.FORWARDS)) {
      expect(await window.paginate(EventTimeline.FORWARDS, TIMELINE_LIMIT)).toBe(true);
    }
    // Backwards until the message before the gap.
    while (!window.getEvents().some((e) => e.getContent().body === "before the gap")) {
      expect(await window.paginate(EventTimeline.BACKWARDS, TIMELINE_LIMIT)).toBe(true);
    }
    const ids = window.getEvents().map((e) => e.getId() as string);
    expect(ids.filter((id) => gap.includes(id))).toEqual(gap);
    expect(new Set(ids).size).toBe(ids.length);
    // The window ends at the live end: the last event the initial sync returned.
    expect(ids[ids.length - 1]).toBe(room.getLiveTimeline().getEvents().at(-1)?.getId());
  });

  it("a lazy-loading device counts members from the summary and loads them from /members", async () => {
    aliceLazy = await logIn("alice");
    await sync(aliceLazy, { lazyLoadMembers: true });
    const room = roomOf(aliceLazy, publicRoom) as Room;
    // Before the member list is loaded, the count comes from the sync's room summary.
    expect(room.membersLoaded()).toBe(false);
    expect(room.getJoinedMemberCount()).toBe(3);
    await room.loadMembersIfNeeded();
    expect(room.membersLoaded()).toBe(true);
    expect(membershipIn(aliceLazy, publicRoom, CAROL)).toBe(KnownMembership.Join);
    expect(membershipIn(aliceLazy, publicRoom, BOB)).toBe(KnownMembership.Join);
  });

  it("each client's synced room state matches the server's", async () => {
    const rooms = [privateRoom, trustedRoom, publicRoom];
    // A last message in every room: once a client has it, it has everything sent before.
    const marks = await Promise.all(rooms.map(async (r) => (await alice.sendTextMessage(r, "end")).event_id));
    if (!bobLater || !aliceLazy) throw new Error("a late device never started");
    for (const client of [alice, bob, carol, bobLater, aliceLazy]) {
      for (const [i, roomId] of rooms.entries()) {
        if (roomOf(client, roomId)?.getMyMembership() !== "join") continue;
        await seesEvent(client, roomId, marks[i] as string);
        await roomOf(client, roomId)?.loadMembersIfNeeded();
        // Local echoes were all matched to their remote echoes: none still pending, none twice.
        const timeline = (roomOf(client, roomId) as Room).getLiveTimeline().getEvents();
        expect(timeline.filter((e) => e.status !== null)).toEqual([]);
        expect(new Set(timeline.map((e) => e.getId())).size).toBe(timeline.length);
        const server = await client.roomState(roomId);
        const room = roomOf(client, roomId) as Room;
        const synced = [...room.currentState.events.values()].flatMap((byKey) => [...byKey.values()]);
        const key = (type: string, stateKey: string): string => `${type}|${stateKey}`;
        // Every piece of state: same events on both sides.
        expect(new Map(synced.map((e) => [key(e.getType(), e.getStateKey() ?? ""), e.getId()]))).toEqual(
          new Map(server.map((e) => [key(e.type, e.state_key ?? ""), e.event_id])),
        );
        // And what a client renders from it.
        const serverMembers = Object.fromEntries(
          server
            .filter((e) => e.type === EventType.RoomMember)
            .map((e) => [e.state_key, e.content.membership]),
        );
        expect(Object.fromEntries(room.getMembers().map((m) => [m.userId, m.membership]))).toEqual(
          serverMembers,
        );
        for (const type of [
          EventType.RoomName,
          EventType.RoomTopic,
          EventType.RoomPowerLevels,
          EventType.RoomJoinRules,
        ]) {
          expect(stateContent(client, roomId, type)).toEqual(
            server.find((e) => e.type === type && e.state_key === "")?.content,
          );
        }
      }
    }
    expect(roomOf(carol, privateRoom)?.getMyMembership()).toBe("join");
    expect(roomOf(carol, trustedRoom)).toBeNull();
  });
});
