import { describe, expect, it } from "vitest";
import { parseDotPath, projectEventFields } from "../../src/sync/event-fields.ts";
import {
  allowsEvent,
  allowsRoomEvent,
  allowsRoomId,
  DEFAULT_FILTER,
  FilterError,
  MAX_FILTER_LIMIT,
  parseFilter,
  timelineLimit,
} from "../../src/sync/filter.ts";

describe("parseFilter", () => {
  it("fills in defaults for an empty filter", () => {
    const f = parseFilter({});
    expect(f.eventFormat).toBe("client");
    expect(f.eventFields).toBeUndefined();
    expect(f.room.includeLeave).toBe(false);
    expect(f.room.state.lazyLoadMembers).toBe(false);
    expect(f.room.state.includeRedundantMembers).toBe(false);
    expect(timelineLimit(f)).toBe(10);
    expect(allowsEvent(f.presence, { type: "m.presence", sender: "@a:x" })).toBe(true);
  });

  it("reads the spec's example filter", () => {
    const f = parseFilter({
      room: {
        state: { types: ["m.room.*"], not_rooms: ["!726s6s6q:example.com"] },
        timeline: {
          limit: 10,
          types: ["m.room.message"],
          not_rooms: ["!726s6s6q:example.com"],
          not_senders: ["@spam:example.com"],
        },
        ephemeral: { types: ["m.receipt", "m.typing"] },
      },
      presence: { types: ["m.presence"], not_senders: ["@alice:example.com"] },
      event_format: "client",
      event_fields: ["type", "content", "sender"],
    });
    expect(f.eventFields).toEqual([["type"], ["content"], ["sender"]]);
    expect(allowsRoomEvent(f.room.state, { type: "m.room.topic", roomId: "!a:x" })).toBe(true);
    expect(allowsRoomEvent(f.room.state, { type: "m.room.topic", roomId: "!726s6s6q:example.com" })).toBe(
      false,
    );
    expect(allowsRoomEvent(f.room.state, { type: "org.custom", roomId: "!a:x" })).toBe(false);
    expect(allowsRoomEvent(f.room.timeline, { type: "m.room.message", sender: "@spam:example.com" })).toBe(
      false,
    );
    expect(allowsEvent(f.presence, { type: "m.presence", sender: "@alice:example.com" })).toBe(false);
  });

  it("treats null as absent", () => {
    const f = parseFilter({ room: { timeline: { limit: null, types: null } }, event_fields: null });
    expect(timelineLimit(f)).toBe(10);
    expect(f.room.timeline.types).toBeUndefined();
  });

  it("caps the limit and accepts 0", () => {
    expect(timelineLimit(parseFilter({ room: { timeline: { limit: 100000 } } }))).toBe(MAX_FILTER_LIMIT);
    expect(timelineLimit(parseFilter({ room: { timeline: { limit: 0 } } }))).toBe(0);
  });

  it("rejects wrong types with the field named", () => {
    const bad: [unknown, RegExp][] = [
      [[], /object/],
      ["{}", /object/],
      [{ event_format: "xml" }, /event_format/],
      [{ event_fields: "type" }, /event_fields/],
      [{ event_fields: [1] }, /event_fields/],
      [{ room: [] }, /room/],
      [{ room: { timeline: { limit: "10" } } }, /room\.timeline\.limit/],
      [{ room: { timeline: { limit: -1 } } }, /limit/],
      [{ room: { timeline: { limit: 1.5 } } }, /limit/],
      [{ room: { state: { lazy_load_members: "true" } } }, /lazy_load_members/],
      [{ room: { include_leave: 1 } }, /include_leave/],
      [{ room: { rooms: "!a:x" } }, /room\.rooms/],
      [{ presence: { senders: [null] } }, /presence\.senders/],
      [{ account_data: { not_types: {} } }, /account_data\.not_types/],
      [{ room: { timeline: { contains_url: "yes" } } }, /contains_url/],
    ];
    for (const [value, message] of bad) {
      expect(() => parseFilter(value), JSON.stringify(value)).toThrow(FilterError);
      expect(() => parseFilter(value)).toThrow(message);
    }
  });

  it("ignores unknown keys", () => {
    expect(() => parseFilter({ org_custom: 1, room: { future: true } })).not.toThrow();
  });
});

describe("matching", () => {
  it("types with * globs; not_types wins over types", () => {
    const f = parseFilter({
      account_data: { types: ["m.*", "org.example.exact"], not_types: ["m.secret*"] },
    }).accountData;
    expect(allowsEvent(f, { type: "m.direct" })).toBe(true);
    expect(allowsEvent(f, { type: "org.example.exact" })).toBe(true);
    expect(allowsEvent(f, { type: "org.example.exactly" })).toBe(false);
    expect(allowsEvent(f, { type: "m.secret_storage.key" })).toBe(false);
    // Regex metacharacters in a pattern are literal.
    const dots = parseFilter({ presence: { types: ["a.b"] } }).presence;
    expect(allowsEvent(dots, { type: "aXb" })).toBe(false);
    const star = parseFilter({ presence: { types: ["*"] } }).presence;
    expect(allowsEvent(star, { type: "anything" })).toBe(true);
    const none = parseFilter({ presence: { types: [] } }).presence;
    expect(allowsEvent(none, { type: "m.presence" })).toBe(false);
  });

  it("senders and not_senders", () => {
    const f = parseFilter({ presence: { senders: ["@a:x", "@b:x"], not_senders: ["@b:x"] } }).presence;
    expect(allowsEvent(f, { type: "m.presence", sender: "@a:x" })).toBe(true);
    expect(allowsEvent(f, { type: "m.presence", sender: "@b:x" })).toBe(false);
    expect(allowsEvent(f, { type: "m.presence", sender: "@c:x" })).toBe(false);
  });

  it("rooms and not_rooms", () => {
    const room = parseFilter({ room: { rooms: ["!a:x", "!b:x"], not_rooms: ["!b:x"] } }).room;
    expect(allowsRoomId(room, "!a:x")).toBe(true);
    expect(allowsRoomId(room, "!b:x")).toBe(false);
    expect(allowsRoomId(room, "!c:x")).toBe(false);
    expect(allowsRoomId(DEFAULT_FILTER.room, "!c:x")).toBe(true);
  });

  it("contains_url", () => {
    const yes = parseFilter({ room: { timeline: { contains_url: true } } }).room.timeline;
    const no = parseFilter({ room: { timeline: { contains_url: false } } }).room.timeline;
    const withUrl = { type: "m.room.message", content: { url: "mxc://x/y" } };
    const without = { type: "m.room.message", content: { body: "hi" } };
    expect(allowsRoomEvent(yes, withUrl)).toBe(true);
    expect(allowsRoomEvent(yes, without)).toBe(false);
    expect(allowsRoomEvent(no, withUrl)).toBe(false);
    expect(allowsRoomEvent(no, without)).toBe(true);
    expect(allowsRoomEvent(DEFAULT_FILTER.room.timeline, withUrl)).toBe(true);
  });
});

describe("event_fields", () => {
  it("parses dot paths with \\. and \\\\ escapes; other escapes are literal", () => {
    expect(parseDotPath("content.body")).toEqual(["content", "body"]);
    expect(parseDotPath("content.m\\.relates_to")).toEqual(["content", "m.relates_to"]);
    expect(parseDotPath("content.m\\\\foo")).toEqual(["content", "m\\foo"]);
    expect(parseDotPath("content.a\\xb")).toEqual(["content", "a\\xb"]);
    expect(parseDotPath("type")).toEqual(["type"]);
  });

  it("projects only the listed fields, deeply, without mutating the event", () => {
    const event = {
      type: "m.room.message",
      sender: "@a:x",
      content: { body: "hi", "m.relates_to": { rel_type: "m.thread" }, msgtype: "m.text" },
      unsigned: { age: 5 },
    };
    const copy = structuredClone(event);
    expect(
      projectEventFields(
        event,
        ["type", "content.body", "content.m\\.relates_to.rel_type", "missing.path", "content.msgtype.x"].map(
          parseDotPath,
        ),
      ),
    ).toEqual({ type: "m.room.message", content: { body: "hi", "m.relates_to": { rel_type: "m.thread" } } });
    expect(projectEventFields(event, ["content", "content.body"].map(parseDotPath))).toEqual({
      content: event.content,
    });
    expect(event).toEqual(copy);
  });
});
