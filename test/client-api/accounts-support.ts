import { expect } from "vitest";
import type { TestHomeserver } from "../support/homeserver.ts";

/** Config for account tests: open registration and limits high enough not to get in the way. */
export const OPEN_REGISTRATION = {
  registration: { enabled: true },
  rate_limits: {
    login: { per_second: 1000, burst: 1000 },
    registration: { per_second: 1000, burst: 1000 },
  },
};

export interface JsonResponse {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** A client request to the homeserver; `body` is JSON-encoded unless it is already a string. */
export async function call(
  hs: TestHomeserver,
  method: string,
  path: string,
  opts: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
): Promise<JsonResponse> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  const body =
    opts.body === undefined
      ? undefined
      : typeof opts.body === "string"
        ? opts.body
        : JSON.stringify(opts.body);
  if (body !== undefined) headers["content-type"] ??= "application/json";
  const res = await hs.app().request(path, { method, headers, body });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  if (text !== "") parsed = JSON.parse(text) as Record<string, unknown>;
  return { status: res.status, headers: res.headers, body: parsed };
}

export const v3 = (path: string): string => `/_matrix/client/v3${path}`;

/** Asserts a Matrix error response. */
export function expectError(res: JsonResponse, status: number, errcode: string): void {
  expect({ status: res.status, errcode: res.body.errcode }).toEqual({ status, errcode });
}

export interface Registered {
  userId: string;
  accessToken: string;
  deviceId: string;
  password: string;
  refreshToken?: string;
}

/** Registers through the dummy flow (the 401 round trip included). */
export async function register(
  hs: TestHomeserver,
  username: string,
  password = "correct horse battery staple",
  extra: Record<string, unknown> = {},
): Promise<Registered> {
  const first = await call(hs, "POST", v3("/register"), { body: { username, password, ...extra } });
  expect(first.status).toBe(401);
  const res = await call(hs, "POST", v3("/register"), {
    body: { username, password, ...extra, auth: { type: "m.login.dummy", session: first.body.session } },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return {
    userId: res.body.user_id as string,
    accessToken: res.body.access_token as string,
    deviceId: res.body.device_id as string,
    refreshToken: res.body.refresh_token as string | undefined,
    password,
  };
}

export async function login(
  hs: TestHomeserver,
  user: string,
  password: string,
  extra: Record<string, unknown> = {},
): Promise<JsonResponse> {
  return call(hs, "POST", v3("/login"), {
    body: { type: "m.login.password", identifier: { type: "m.id.user", user }, password, ...extra },
  });
}

/** The auth dict of a password stage for `user`, in `session`. */
export function passwordAuth(session: unknown, user: string, password: string): Record<string, unknown> {
  return { type: "m.login.password", session, identifier: { type: "m.id.user", user }, password };
}

export async function whoami(hs: TestHomeserver, token: string): Promise<JsonResponse> {
  return call(hs, "GET", v3("/account/whoami"), { token });
}
