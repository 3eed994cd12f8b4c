import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHomeserver, type Homeserver } from "../../src/homeserver.ts";
import { updateMembership } from "../../src/rooms/membership.ts";
import { getCurrentMembership } from "../../src/storage/rooms/memberships.ts";
import { dropSchema, testDatabaseUrl, uniqueSchema } from "../support/database.ts";
import { testConfig } from "../support/homeserver.ts";
import { createTestUser } from "../support/users.ts";
import { makeRoom } from "../rooms/helpers.ts";
import { get, uploadOk } from "../media/media-support.ts";

const HEARTH = fileURLToPath(new URL("../../bin/hearth", import.meta.url));
const schema = uniqueSchema("admcli");
let dataDir: string;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI asynchronously (a server in this process keeps working meanwhile). */
function hearth(args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(HEARTH, args, {
      env: {
        PATH: process.env.PATH ?? "",
        HEARTH_SERVER_NAME: "hearth.test",
        HEARTH_DATA_DIR: dataDir,
        HEARTH_DATABASE__URL: testDatabaseUrl(),
        HEARTH_DATABASE__SCHEMA: schema,
        HEARTH_LOG__LEVEL: "warn",
        ...opts.env,
      },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(opts.input ?? "");
  });
}

/** A server on the CLI's database, holding the room-writer lock as `hearth serve` does. */
async function runningServer(): Promise<Homeserver> {
  const config = await testConfig({ database: { url: testDatabaseUrl(), schema }, data_dir: dataDir });
  return createHomeserver(config, { roomWriterLock: "wait" });
}

async function login(hs: Homeserver, user: string, password: string): Promise<number> {
  const res = await hs.app().request("/_matrix/client/v3/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ type: "m.login.password", identifier: { type: "m.id.user", user }, password }),
  });
  return res.status;
}

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "hearth-admin-cli-"));
});
afterAll(async () => {
  await dropSchema(schema);
  await rm(dataDir, { recursive: true, force: true });
});

/** Each CLI run opens the database and checks migrations: seconds each on a busy machine. */
const SLOW = 180_000;

describe("hearth admin (child process)", { timeout: SLOW }, () => {
  it("adds users (exit 0, --json), refuses a taken name (exit 1) and bad usage (exit 2)", async () => {
    const added = await hearth([
      "admin",
      "user",
      "add",
      "alice",
      "--password",
      "alice-pw",
      "--admin",
      "--json",
    ]);
    expect(added.code, added.stderr).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({
      name: "@alice:hearth.test",
      admin: true,
      displayname: "alice",
    });

    const again = await hearth(["admin", "user", "add", "@alice:hearth.test", "--password", "x"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("already exists");

    const unknown = await hearth(["admin", "user", "show", "nobody"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("User not found");
    const remote = await hearth(["admin", "user", "show", "@x:elsewhere.org"]);
    expect(remote.code).toBe(1);

    expect((await hearth(["admin", "user", "add"])).code).toBe(2);
    expect((await hearth(["admin", "user", "fly"])).code).toBe(2);
    expect((await hearth(["admin", "user", "list", "--no-such-flag"])).code).toBe(2);
    const badConfig = await hearth(["admin", "user", "list"], {
      env: { HEARTH_DATABASE__URL: "ftp://nope" },
    });
    expect(badConfig.code).toBe(2);
    expect(badConfig.stderr).toContain("database.url");
  });

  it("reads passwords from stdin, never from an echoing prompt, and they work for login", async () => {
    const piped = await hearth(["admin", "user", "add", "bob", "--password-stdin"], {
      input: "bob-secret\n",
    });
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stdout + piped.stderr).not.toContain("bob-secret");
    // Not a terminal and no flag: the first line of stdin is still the password.
    const implicit = await hearth(["admin", "user", "add", "carol"], { input: "carol-secret\nignored\n" });
    expect(implicit.code, implicit.stderr).toBe(0);
    const empty = await hearth(["admin", "user", "add", "dave"], { input: "" });
    expect(empty.code).toBe(2);

    const reset = await hearth(["admin", "user", "reset-password", "bob", "--password-stdin"], {
      input: "bob-new\n",
    });
    expect(reset.code, reset.stderr).toBe(0);

    const hs = await runningServer();
    try {
      expect(await login(hs, "bob", "bob-secret")).toBe(403);
      expect(await login(hs, "bob", "bob-new")).toBe(200);
      expect(await login(hs, "carol", "carol-secret")).toBe(200);
    } finally {
      await hs.stop();
    }
  });

  it("prompts on a terminal without echoing the password (script(1) gives it a pseudo-terminal)", async () => {
    const command = `${HEARTH} admin user add erin`;
    const run = await new Promise<Run>((resolve, reject) => {
      const child = spawn("script", ["-qec", command, "/dev/null"], {
        env: {
          PATH: process.env.PATH ?? "",
          HEARTH_SERVER_NAME: "hearth.test",
          HEARTH_DATA_DIR: dataDir,
          HEARTH_DATABASE__URL: testDatabaseUrl(),
          HEARTH_DATABASE__SCHEMA: schema,
          HEARTH_LOG__LEVEL: "warn",
        },
      });
      let out = "";
      let typed = 0;
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        // Type each answer once its prompt has appeared.
        if (typed === 0 && out.includes("Password: ")) {
          typed = 1;
          child.stdin.write("erin-hidden\r");
        } else if (typed === 1 && out.includes("Repeat password: ")) {
          typed = 2;
          child.stdin.write("erin-hidden\r");
        }
      });
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, stdout: out, stderr: "" }));
    });
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain("created @erin:hearth.test");
    expect(run.stdout).not.toContain("erin-hidden");
  });

  it("lists, shows and makes admins; tokens are created, listed and deleted", async () => {
    const list = await hearth(["admin", "user", "list", "--json"]);
    expect(list.code).toBe(0);
    const names = (JSON.parse(list.stdout) as { users: Array<{ name: string }> }).users.map((u) => u.name);
    expect(names).toEqual(expect.arrayContaining(["@alice:hearth.test", "@bob:hearth.test"]));
    expect((await hearth(["admin", "user", "make-admin", "bob"])).code).toBe(0);
    const shown = await hearth(["admin", "user", "show", "bob", "--json"]);
    expect(JSON.parse(shown.stdout)).toMatchObject({ admin: true });
    const human = await hearth(["admin", "user", "show", "bob"]);
    expect(human.stdout).toContain("flags: admin");

    const created = await hearth(["admin", "token", "create", "--token", "welcome", "--uses", "3", "--json"]);
    expect(JSON.parse(created.stdout)).toEqual({
      token: "welcome",
      uses_allowed: 3,
      pending: 0,
      completed: 0,
      expiry_time: null,
    });
    expect((await hearth(["admin", "token", "create", "--token", "welcome"])).code).toBe(1);
    expect((await hearth(["admin", "token", "create", "--uses", "many"])).code).toBe(2);
    expect((await hearth(["admin", "token", "list"])).stdout).toContain("welcome  used 0/3");
    expect((await hearth(["admin", "token", "delete", "welcome"])).code).toBe(0);
    expect((await hearth(["admin", "token", "delete", "welcome"])).code).toBe(1);
  });

  it("with the server stopped, deactivation and room deletion write the leave events themselves", async () => {
    let hs = await runningServer();
    const frank = await createTestUser(hs, "frank");
    const { roomId } = await makeRoom(hs.ctx, frank.userId, { preset: "public_chat", name: "Frank's room" });
    const grace = await createTestUser(hs, "grace");
    await updateMembership(hs.ctx, { roomId, sender: grace.userId, target: grace.userId, action: "join" });
    await hs.stop();

    const deactivated = await hearth(["admin", "user", "deactivate", "grace"]);
    expect(deactivated.code, deactivated.stderr).toBe(0);
    expect(deactivated.stdout).toBe("deactivated @grace:hearth.test\n");

    const rooms = await hearth(["admin", "room", "list"]);
    expect(rooms.stdout).toContain("Frank's room");
    const deleted = await hearth(["admin", "room", "delete", roomId, "--block", "--json"]);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(JSON.parse(deleted.stdout)).toMatchObject({
      room_id: roomId,
      status: "complete",
      shutdown_room: { kicked_users: [frank.userId], failed_to_kick_users: [] },
    });
    expect((await hearth(["admin", "room", "show", roomId])).code).toBe(1);

    hs = await runningServer();
    try {
      const rows = await hs.ctx.db
        .selectFrom("events")
        .select("event_id")
        .where("room_id", "=", roomId)
        .execute();
      expect(rows).toEqual([]);
      expect(
        (await hs.ctx.db.selectFrom("blocked_rooms").selectAll().execute()).map((r) => r.room_id),
      ).toEqual([roomId]);
    } finally {
      await hs.stop();
    }
  });

  it("with the server running, room work is queued for it and the CLI waits for the outcome", async () => {
    const hs = await runningServer();
    try {
      const henry = await createTestUser(hs, "henry");
      const ivy = await createTestUser(hs, "ivy");
      const { roomId } = await makeRoom(hs.ctx, henry.userId, { preset: "public_chat" });
      await updateMembership(hs.ctx, { roomId, sender: ivy.userId, target: ivy.userId, action: "join" });
      interface SyncEvent {
        type: string;
        state_key?: string;
        content: { membership?: string };
      }
      interface SyncBody {
        next_batch: string;
        rooms?: { join?: Record<string, { timeline: { events: SyncEvent[] } }> };
      }
      const sync = async (since?: string): Promise<SyncBody> => {
        const q = since === undefined ? "" : `?since=${encodeURIComponent(since)}&timeout=0`;
        const res = await hs.app().request(`/_matrix/client/v3/sync${q}`, {
          headers: { authorization: `Bearer ${henry.accessToken}` },
        });
        return (await res.json()) as SyncBody;
      };
      const before = await sync();
      // As `hearth serve` does: look for queued work now and then (quickly here).
      hs.ctx.admin.jobs.poll(hs.ctx, 100);

      const deactivated = await hearth(["admin", "user", "deactivate", "ivy"]);
      expect(deactivated.code, deactivated.stderr).toBe(0);
      expect(deactivated.stdout).toContain("the running server will make it leave its rooms");
      await hs.ctx.admin.jobs.kick(hs.ctx);
      expect((await getCurrentMembership(hs.ctx.db, roomId, ivy.userId))?.membership).toBe("leave");
      // The server wrote the leave itself, so its clients' incremental /sync carries it.
      const after = await sync(before.next_batch);
      const timeline = after.rooms?.join?.[roomId]?.timeline.events ?? [];
      expect(timeline.map((e) => [e.type, e.state_key, e.content.membership])).toContainEqual([
        "m.room.member",
        ivy.userId,
        "leave",
      ]);
      expect(await login(hs, "ivy", "whatever")).toBe(403);

      const deleted = await hearth(["admin", "room", "delete", roomId, "--no-purge", "--json"]);
      expect(deleted.code, deleted.stderr).toBe(0);
      expect(JSON.parse(deleted.stdout)).toMatchObject({
        status: "complete",
        shutdown_room: { kicked_users: [henry.userId] },
      });
      expect((await getCurrentMembership(hs.ctx.db, roomId, henry.userId))?.membership).toBe("leave");
    } finally {
      await hs.stop();
    }
  });

  it("quarantines and deletes media and purges the remote cache", async () => {
    const hs = await runningServer();
    try {
      const kate = await createTestUser(hs, "kate");
      const id = await uploadOk(hs, kate, "kate's file", "text/plain");
      const fetch = () => get(hs, `/_matrix/client/v1/media/download/${id}`, kate);
      expect((await hearth(["admin", "media", "quarantine", `mxc://${id}`])).stdout).toBe(
        "quarantined 1 item(s)\n",
      );
      expect((await fetch()).status).toBe(404);
      expect((await hearth(["admin", "media", "quarantine", `mxc://${id}`, "--release"])).code).toBe(0);
      expect((await fetch()).status).toBe(200);
      const deleted = await hearth(["admin", "media", "delete", "--user", "kate", "--json"]);
      expect(JSON.parse(deleted.stdout)).toEqual({ deleted_media: [id.split("/")[1]], total: 1 });
      expect((await fetch()).status).toBe(404);
      expect((await hearth(["admin", "media", "delete", `mxc://${id}`])).code).toBe(1);
      expect((await hearth(["admin", "media", "purge-remote", "--days", "30", "--json"])).stdout).toContain(
        '"deleted": 0',
      );
      expect((await hearth(["admin", "media", "delete"])).code).toBe(2);
      expect((await hearth(["admin", "media", "purge-remote"])).code).toBe(2);
    } finally {
      await hs.stop();
    }
  });
});
