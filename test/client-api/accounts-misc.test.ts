import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { createTestUser } from "../support/users.ts";
import { OPEN_REGISTRATION, call, expectError, register, v3, type Registered } from "./accounts-support.ts";

let hs: TestHomeserver;
let zoe: Registered;
beforeAll(async () => {
  hs = await startTestHomeserver({ ...OPEN_REGISTRATION, room_versions: { default: "11" } });
  zoe = await register(hs, "zoe");
});
afterAll(() => hs?.destroy());

/** `null`: no access token at all. */
const get = (path: string, token: string | null = zoe.accessToken) =>
  call(hs, "GET", v3(path), { token: token ?? undefined });

describe("GET /capabilities", () => {
  it("advertises room versions (default from config, 1-12 stable) and the account capabilities", async () => {
    const res = await get("/capabilities");
    expect(res.status).toBe(200);
    const available = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [String(i + 1), "stable"]));
    expect(res.body).toEqual({
      capabilities: {
        "m.room_versions": { default: "11", available },
        "m.change_password": { enabled: true },
        "m.set_displayname": { enabled: true },
        "m.set_avatar_url": { enabled: true },
        "m.profile_fields": { enabled: true },
        "m.3pid_changes": { enabled: false },
        "m.get_login_token": { enabled: true },
      },
    });
  });

  it("accounts without a password cannot change it or mint login tokens", async () => {
    const user = await createTestUser(hs, "nopw");
    const res = await get("/capabilities", user.accessToken);
    expect(res.body).toMatchObject({
      capabilities: { "m.change_password": { enabled: false }, "m.get_login_token": { enabled: false } },
    });
  });

  it("needs an access token", async () => {
    expectError(await get("/capabilities", null), 401, "M_MISSING_TOKEN");
  });
});

describe("push rules", () => {
  it("GET /pushrules/ returns the spec's default ruleset, in order", async () => {
    const res = await get("/pushrules/");
    expect(res.status).toBe(200);
    const global = (res.body as { global: Record<string, Array<{ rule_id: string }>> }).global;
    expect(Object.keys(global).sort()).toEqual(["content", "override", "room", "sender", "underride"]);
    expect(global.override?.map((r) => r.rule_id)).toEqual([
      ".m.rule.master",
      ".m.rule.suppress_notices",
      ".m.rule.invite_for_me",
      ".m.rule.member_event",
      ".m.rule.is_user_mention",
      ".m.rule.is_room_mention",
      ".m.rule.tombstone",
      ".m.rule.reaction",
      ".m.rule.room.server_acl",
      ".m.rule.suppress_edits",
    ]);
    expect(global.underride?.map((r) => r.rule_id)).toEqual([
      ".m.rule.call",
      ".m.rule.encrypted_room_one_to_one",
      ".m.rule.room_one_to_one",
      ".m.rule.message",
      ".m.rule.encrypted",
    ]);
    // Removed from the spec in v1.17 (MSC4210): mentions go through m.mentions.
    expect(global.content).toEqual([]);
    expect(global.room).toEqual([]);
    expect(global.sender).toEqual([]);
  });

  it("rules that name the user use the caller's id; the master rule is off", async () => {
    const rules = (await get("/pushrules/global/")).body as Record<string, Array<Record<string, unknown>>>;
    expect(rules.override?.[0]).toEqual({
      rule_id: ".m.rule.master",
      default: true,
      enabled: false,
      conditions: [],
      actions: [],
    });
    expect(rules.override?.[2]).toEqual({
      rule_id: ".m.rule.invite_for_me",
      default: true,
      enabled: true,
      conditions: [
        { kind: "event_match", key: "type", pattern: "m.room.member" },
        { kind: "event_match", key: "content.membership", pattern: "invite" },
        { kind: "event_match", key: "state_key", pattern: "@zoe:hearth.test" },
      ],
      actions: ["notify", { set_tweak: "sound", value: "default" }],
    });
    expect(rules.override?.[4]).toEqual({
      rule_id: ".m.rule.is_user_mention",
      default: true,
      enabled: true,
      conditions: [
        { kind: "event_property_contains", key: "content.m\\.mentions.user_ids", value: "@zoe:hearth.test" },
      ],
      actions: ["notify", { set_tweak: "sound", value: "default" }, { set_tweak: "highlight" }],
    });
  });

  it("reads single rules, their enabled flag and actions", async () => {
    expect((await get("/pushrules/global/underride/.m.rule.message")).body).toEqual({
      rule_id: ".m.rule.message",
      default: true,
      enabled: true,
      conditions: [{ kind: "event_match", key: "type", pattern: "m.room.message" }],
      actions: ["notify"],
    });
    expect((await get("/pushrules/global/override/.m.rule.master/enabled")).body).toEqual({ enabled: false });
    expect((await get("/pushrules/global/underride/.m.rule.call/actions")).body).toEqual({
      actions: ["notify", { set_tweak: "sound", value: "ring" }],
    });
  });

  it("unknown rules → 404 M_NOT_FOUND; unknown kinds → 404 M_UNRECOGNIZED", async () => {
    expectError(await get("/pushrules/global/override/.m.rule.nope"), 404, "M_NOT_FOUND");
    expectError(await get("/pushrules/global/content/.m.rule.contains_user_name"), 404, "M_NOT_FOUND");
    expectError(await get("/pushrules/global/weird/x"), 404, "M_UNRECOGNIZED");
  });

  it("changing rules is not implemented yet: 405 M_UNRECOGNIZED", async () => {
    const res = await call(hs, "PUT", v3("/pushrules/global/override/mine"), {
      token: zoe.accessToken,
      body: { actions: [] },
    });
    expectError(res, 405, "M_UNRECOGNIZED");
  });

  it("needs an access token", async () => {
    expectError(await get("/pushrules/", null), 401, "M_MISSING_TOKEN");
  });
});

describe("third-party protocols and TURN", () => {
  it("there are no bridged protocols and no TURN server", async () => {
    expect(await get("/thirdparty/protocols")).toMatchObject({ status: 200, body: {} });
    expect(await get("/voip/turnServer")).toMatchObject({ status: 200, body: {} });
    expectError(await get("/voip/turnServer", null), 401, "M_MISSING_TOKEN");
  });
});
