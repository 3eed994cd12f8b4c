import type { HearthContext } from "../context.ts";
import { isJsonObject, type JsonObject, type JsonValue } from "../core/json.ts";
import { MatrixError, badJson, forbidden } from "../errors.ts";
import { optionalString, requiredString } from "../http/fields.ts";
import {
  claimUiaSession,
  completeUiaStage,
  deleteExpiredUiaSessions,
  findUiaSession,
  insertUiaSession,
} from "../storage/accounts/uia-sessions.ts";
import { findUser } from "../storage/accounts/users.ts";
import { loginUserOf } from "./identifier.ts";
import { verifyPassword } from "./passwords.ts";
import { accountKey, enforce, ipKey } from "./rate-limits.ts";
import { isRegistrationTokenValid } from "./registration-tokens.ts";
import { newUiaSessionId } from "./tokens.ts";
import { localUserIdFromLogin } from "./user-ids.ts";

export type UiaStage = "m.login.dummy" | "m.login.password" | "m.login.registration_token";

/** What an endpoint asks of user-interactive auth. */
export interface UiaSpec {
  /**
   * The operation being authorised, including whatever must not change mid-flow (e.g. the device ids
   * being deleted). A session started for one action cannot complete another.
   */
  action: string;
  flows: ReadonlyArray<readonly UiaStage[]>;
  /** The logged-in user, who must be the one authenticating; absent for unauthenticated requests. */
  userId?: string;
  ip: string | null;
}

export interface UiaResult {
  /** The requester, or the user the password stage authenticated. */
  userId: string | null;
  /** The token accepted by m.login.registration_token, to be consumed when registration completes. */
  registrationToken: string | null;
}

/** How long a client has to finish the stages of one request. */
const SESSION_LIFETIME_MS = 15 * 60_000;

/**
 * The spec's 401 for user-interactive auth: `{flows, params, session, completed?}`, plus `errcode` and
 * `error` only when a stage attempt failed. Other Matrix errors always carry an errcode; this body must not.
 */
export class UiaRequiredError extends MatrixError {
  constructor(
    private readonly body: Record<string, unknown>,
    private readonly failure?: { errcode: string; error: string },
  ) {
    super(401, failure?.errcode ?? "M_UNAUTHORIZED", failure?.error ?? "Additional authentication required");
  }

  override toJSON(): Record<string, unknown> {
    return this.failure ? { ...this.failure, ...this.body } : this.body;
  }
}

const unknownSession = (): MatrixError =>
  new MatrixError(400, "M_UNKNOWN", "Unknown or expired user-interactive auth session");

interface SessionState {
  sessionId: string;
  userId: string | null;
  completed: string[];
  registrationToken: string | null;
}

function challenge(
  spec: UiaSpec,
  session: SessionState,
  failure?: { errcode: string; error: string },
): UiaRequiredError {
  return new UiaRequiredError(
    {
      flows: spec.flows.map((stages) => ({ stages: [...stages] })),
      params: {},
      session: session.sessionId,
      ...(session.completed.length > 0 ? { completed: session.completed } : {}),
    },
    failure,
  );
}

async function newSession(ctx: HearthContext, spec: UiaSpec): Promise<SessionState> {
  const now = ctx.clock();
  await deleteExpiredUiaSessions(ctx.db, now);
  const sessionId = newUiaSessionId();
  const userId = spec.userId ?? null;
  await insertUiaSession(ctx.db, {
    sessionId,
    action: spec.action,
    userId,
    createdTs: now,
    expiresTs: now + SESSION_LIFETIME_MS,
  });
  return { sessionId, userId, completed: [], registrationToken: null };
}

async function existingSession(ctx: HearthContext, spec: UiaSpec, sessionId: string): Promise<SessionState> {
  const row = await findUiaSession(ctx.db, sessionId, ctx.clock());
  if (!row) throw unknownSession();
  const otherUser = spec.userId !== undefined && row.userId !== null && row.userId !== spec.userId;
  if (row.action !== spec.action || otherUser) {
    throw forbidden("Requested operation has changed during the user-interactive auth session");
  }
  return {
    sessionId: row.sessionId,
    userId: row.userId,
    completed: row.completed,
    registrationToken: row.registrationToken,
  };
}

type StageFacts = { userId?: string; registrationToken?: string };

/** Runs one stage; a failed attempt is the 401 challenge plus errcode, so the client may retry. */
async function runStage(
  ctx: HearthContext,
  spec: UiaSpec,
  session: SessionState,
  stage: UiaStage,
  auth: JsonObject,
): Promise<StageFacts> {
  switch (stage) {
    case "m.login.dummy":
      return {};
    case "m.login.password": {
      const expected = spec.userId ?? session.userId ?? undefined;
      const named = loginUserOf(auth);
      const userId = named === undefined ? expected : localUserIdFromLogin(named, ctx.serverName);
      const password = requiredString(auth, "password");
      enforce(ctx.rateLimits.login.take(ipKey(spec.ip)));
      enforce(ctx.rateLimits.login.take(accountKey(userId ?? named ?? "")));
      const row = userId === undefined ? undefined : await findUser(ctx.db, userId);
      const ok = await verifyPassword(row?.passwordHash ?? null, password);
      if (!row || !ok || row.deactivated || (expected !== undefined && row.userId !== expected)) {
        throw challenge(spec, session, { errcode: "M_FORBIDDEN", error: "Invalid password" });
      }
      return { userId: row.userId };
    }
    case "m.login.registration_token": {
      const token = requiredString(auth, "token");
      // Guessing tokens is the attack this stage invites.
      enforce(ctx.rateLimits.lookups.take(ipKey(spec.ip)));
      if (!(await isRegistrationTokenValid(ctx, token))) {
        throw challenge(spec, session, { errcode: "M_UNAUTHORIZED", error: "Invalid registration token" });
      }
      return { registrationToken: token };
    }
  }
}

const isPrefix = (prefix: readonly string[], flow: readonly string[]): boolean =>
  prefix.length <= flow.length && prefix.every((s, i) => flow[i] === s);

/**
 * User-interactive authentication for one request. Resolves once the `auth` dict completes a flow (the
 * session is then used up: one completed session authorises exactly one request); otherwise throws the
 * 401 challenge, or an error for a malformed or foreign session.
 */
export async function userInteractiveAuth(
  ctx: HearthContext,
  auth: JsonValue | undefined,
  spec: UiaSpec,
): Promise<UiaResult> {
  if (auth === undefined || auth === null) throw challenge(spec, await newSession(ctx, spec));
  if (!isJsonObject(auth)) throw badJson("'auth' must be an object");

  const sessionId = optionalString(auth, "session");
  // No session: scripts and bots often send a stage straight away; start one for them.
  const session =
    sessionId === undefined ? await newSession(ctx, spec) : await existingSession(ctx, spec, sessionId);

  const type = optionalString(auth, "type");
  if (type !== undefined && !session.completed.includes(type)) {
    const stage = spec.flows.flat().find((s) => s === type);
    if (stage === undefined) {
      throw challenge(spec, session, {
        errcode: "M_UNRECOGNIZED",
        error: `Auth type ${type} is not offered`,
      });
    }
    const next = spec.flows.some(
      (flow) => isPrefix(session.completed, flow) && flow[session.completed.length] === type,
    );
    if (!next)
      throw challenge(spec, session, { errcode: "M_FORBIDDEN", error: `Auth stage ${type} is out of order` });
    const facts = await runStage(ctx, spec, session, stage, auth);
    const completed = await completeUiaStage(ctx.db, session.sessionId, stage, facts);
    if (completed === undefined) throw unknownSession();
    session.completed = completed;
    session.userId = facts.userId ?? session.userId;
    session.registrationToken = facts.registrationToken ?? session.registrationToken;
  }

  const done = spec.flows.some((flow) => flow.every((s) => session.completed.includes(s)));
  if (!done) throw challenge(spec, session);
  if (!(await claimUiaSession(ctx.db, session.sessionId))) throw unknownSession();
  return { userId: session.userId, registrationToken: session.registrationToken };
}
