import { createClient, MatrixError, type MatrixClient } from "matrix-js-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestHomeserver, type TestHomeserver } from "../support/homeserver.ts";
import { OPEN_REGISTRATION } from "./accounts-support.ts";

let hs: TestHomeserver;
let baseUrl: string;
beforeAll(async () => {
  hs = await startTestHomeserver(OPEN_REGISTRATION);
  const [listener] = await hs.listen();
  if (!listener) throw new Error("no listener");
  baseUrl = listener.url.replace(/\/$/, "");
});
afterAll(() => hs?.destroy());

/** The sdk's rejection for a request, as a MatrixError (it throws those for every JSON error). */
async function failure(promise: Promise<unknown>): Promise<MatrixError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof MatrixError)) throw new Error(`expected a MatrixError, got ${String(err)}`);
  return err;
}

describe("matrix-js-sdk 37 over a real socket", () => {
  let client: MatrixClient;

  it("registers through user-interactive auth", async () => {
    const anonymous = createClient({ baseUrl });
    const challenge = await failure(anonymous.registerRequest({ username: "sdkuser", password: "sdk-pw" }));
    expect(challenge.httpStatus).toBe(401);
    expect(challenge.data.flows).toEqual([{ stages: ["m.login.dummy"] }]);
    const session = challenge.data.session as string;
    const res = await anonymous.registerRequest({
      username: "sdkuser",
      password: "sdk-pw",
      initial_device_display_name: "sdk test",
      auth: { type: "m.login.dummy", session },
    });
    expect(res.user_id).toBe("@sdkuser:hearth.test");
    client = createClient({
      baseUrl,
      accessToken: res.access_token,
      userId: res.user_id,
      deviceId: res.device_id,
    });
    expect((await client.whoami()).user_id).toBe("@sdkuser:hearth.test");
  });

  it("reads login flows and capabilities", async () => {
    const flows = await createClient({ baseUrl }).loginFlows();
    expect(flows.flows.map((f) => f.type)).toEqual(["m.login.password", "m.login.token"]);
    const capabilities = await client.getCapabilities();
    expect(capabilities["m.room_versions"]?.default).toBe("12");
  });

  it("logs in with a password, lists devices and logs out", async () => {
    const anonymous = createClient({ baseUrl });
    const res = await anonymous.loginRequest({
      type: "m.login.password",
      identifier: { type: "m.id.user", user: "sdkuser" },
      password: "sdk-pw",
    });
    expect(res.user_id).toBe("@sdkuser:hearth.test");
    const second = createClient({ baseUrl, accessToken: res.access_token, userId: res.user_id });
    const { devices } = await second.getDevices();
    expect(devices.map((d) => d.device_id).sort()).toEqual([client.getDeviceId(), res.device_id].sort());
    await second.logout();
    const gone = await failure(second.whoami());
    expect(gone.errcode).toBe("M_UNKNOWN_TOKEN");
    expect((await client.whoami()).user_id).toBe("@sdkuser:hearth.test");
  });

  it("refreshes tokens", async () => {
    const res = await createClient({ baseUrl }).loginRequest({
      type: "m.login.password",
      identifier: { type: "m.id.user", user: "sdkuser" },
      password: "sdk-pw",
      refresh_token: true,
    });
    expect(res.refresh_token).toBeDefined();
    const refreshed = await createClient({ baseUrl }).refreshToken(res.refresh_token as string);
    const third = createClient({ baseUrl, accessToken: refreshed.access_token });
    expect((await third.whoami()).device_id).toBe(res.device_id);
  });

  it("sees a wrong password as 403 M_FORBIDDEN", async () => {
    const err = await failure(
      createClient({ baseUrl }).loginRequest({
        type: "m.login.password",
        identifier: { type: "m.id.user", user: "sdkuser" },
        password: "nope",
      }),
    );
    expect({ status: err.httpStatus, errcode: err.errcode }).toEqual({ status: 403, errcode: "M_FORBIDDEN" });
  });
});
