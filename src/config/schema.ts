import { isIP } from "node:net";
import { join } from "node:path";
import { z } from "zod";
import { CREATABLE_ROOM_VERSIONS, DEFAULT_ROOM_VERSION } from "../core/room-versions.ts";
import {
  REGISTRATION_TOKEN,
  hasUrlScheme,
  isValidHost,
  isValidServerName,
  normaliseCidr,
} from "./validators.ts";

/*
 * The configuration as users write it (snake_case YAML keys). Every object is strict so a misspelt key
 * is an error rather than a silently ignored setting. Nested sections use `.prefault({})` (not
 * `.default`) so an absent section is parsed and receives its fields' defaults.
 */

const MiB = 1024 * 1024;

const serverName = z
  .string()
  .refine(isValidServerName, "not a valid server name: expected host[:port] (DNS name, IPv4 or [IPv6])");

// Trailing slash normalised so consumers can append paths without checking.
const httpUrl = z
  .string()
  .refine((v) => hasUrlScheme(v, ["http:", "https:"]), "must be an http:// or https:// URL")
  .transform((v) => (v.endsWith("/") ? v : `${v}/`));

const path = z.string().min(1, "must not be empty");

const registrationToken = z
  .string()
  .regex(REGISTRATION_TOKEN, "must be 1-64 characters from [A-Za-z0-9._~-]");

const cidr = z.string().transform((value, ctx) => {
  const normalised = normaliseCidr(value);
  if (normalised !== undefined) return normalised;
  ctx.issues.push({ code: "custom", input: value, message: "not an IP range (expected e.g. 10.0.0.0/8)" });
  return z.NEVER;
});

export const LISTENER_RESOURCES = ["client", "federation", "media", "admin", "metrics"] as const;
export type ListenerResource = (typeof LISTENER_RESOURCES)[number];

const listener = z.strictObject({
  // Node's listen() wants IPv6 without brackets, so "[::]" is rejected rather than passed through.
  bind: z
    .string()
    .refine(
      (v) => isIP(v) !== 0 || (!v.startsWith("[") && isValidHost(v)),
      "must be an IP address (IPv6 without brackets) or a hostname",
    )
    .default("127.0.0.1"),
  // 0 asks the OS for a free port (tests run several homeservers in one process).
  port: z.number().int().min(0).max(65535),
  tls: z.strictObject({ cert: path, key: path }).optional(),
  resources: z
    .array(z.enum(LISTENER_RESOURCES))
    .min(1, "must list at least one resource")
    .refine((r) => new Set(r).size === r.length, "lists a resource more than once"),
});
export type ListenerConfig = z.output<typeof listener>;

const DEFAULT_LISTENER: ListenerConfig = {
  bind: "127.0.0.1",
  port: 8008,
  resources: ["client", "federation", "media", "admin"],
};

const listeners = z
  .array(listener)
  .default(() => [structuredClone(DEFAULT_LISTENER)])
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((l, i) => {
      const key = `${l.bind}|${l.port}`;
      if (l.port !== 0 && seen.has(key)) {
        ctx.addIssue({
          code: "custom",
          path: [i, "port"],
          message: "same bind address and port as an earlier listener",
        });
      }
      seen.add(key);
    });
  });

const rateLimit = (perSecond: number, burst: number) =>
  z
    .strictObject({
      per_second: z.number().positive().default(perSecond),
      burst: z.number().int().min(1).default(burst),
    })
    .prefault({});

const configObject = z.strictObject({
  server_name: serverName.default("localhost:8008"),
  // Absent: derived from the first client listener (see withDerivedDefaults).
  public_baseurl: httpUrl.optional(),
  data_dir: path.default("./data"),
  listeners,
  database: z
    .strictObject({
      // Absent: Hearth runs an embedded PostgreSQL under data_dir.
      url: z
        .string()
        .refine(
          (v) => hasUrlScheme(v, ["postgres:", "postgresql:"], false),
          "must be a postgres:// or postgresql:// URL",
        )
        .optional(),
      // Interpolated into `SET search_path`, so only plain identifiers are accepted.
      schema: z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, "must be a plain SQL identifier")
        .default("public"),
      pool_max: z.number().int().min(1).default(10),
    })
    .prefault({}),
  redis: z
    .strictObject({
      // Absent: an in-process queue driver; only one process may then serve this database.
      url: z
        .string()
        .refine((v) => hasUrlScheme(v, ["redis:", "rediss:"]), "must be a redis:// or rediss:// URL")
        .optional(),
    })
    .prefault({}),
  registration: z
    .strictObject({
      enabled: z.boolean().default(false),
      token: registrationToken.optional(),
      tokens: z.array(registrationToken).default(() => []),
      shared_secret: z.string().min(1, "must not be empty").optional(),
    })
    .prefault({}),
  auth: z
    .strictObject({
      // Only clients that send refresh_token: true get expiring tokens; others keep non-expiring ones.
      refreshable_access_token_lifetime_ms: z
        .number()
        .int()
        .positive()
        .default(5 * 60_000),
      // Absent: refresh tokens last until used or logged out.
      refresh_token_lifetime_ms: z.number().int().positive().optional(),
      login_token_lifetime_ms: z.number().int().positive().default(120_000),
    })
    .prefault({}),
  federation: z
    .strictObject({
      verify_certificates: z.boolean().default(true),
      trusted_ca_files: z.array(path).default(() => []),
      allow_private_addresses: z.boolean().default(false),
      ip_range_allowlist: z.array(cidr).default(() => []),
      ip_range_denylist: z.array(cidr).default(() => []),
      trusted_key_servers: z
        .array(
          z.strictObject({
            server_name: serverName,
            // Pinned keys: a notary's answers are then trusted without asking it for its own keys.
            verify_keys: z
              .record(
                z.string().regex(/^ed25519:[A-Za-z0-9_]+$/, "must be ed25519:<version>"),
                z.string().min(1),
              )
              .optional(),
          }),
        )
        .default(() => []),
    })
    .prefault({}),
  well_known: z
    .strictObject({
      client_base_url: httpUrl.optional(),
      server: serverName.optional(),
    })
    .prefault({}),
  media: z
    .strictObject({
      max_upload_bytes: z
        .number()
        .int()
        .positive()
        .default(50 * MiB),
      store_path: path.optional(),
      // Images with more pixels than this are stored but never decoded (decompression bombs).
      max_image_pixels: z.number().int().positive().default(32_000_000),
      // Absent: looked up on PATH at start; without ffmpeg, videos get no thumbnail.
      ffmpeg_path: path.optional(),
      // Legacy unauthenticated /_matrix/media/v3/download|thumbnail serve only media created before
      // the freeze (spec v1.11); the freeze time is the first start unless legacy_freeze_at says.
      freeze_legacy_media: z.boolean().default(true),
      legacy_freeze_at: z.iso.datetime({ offset: true }).optional(),
      max_pending_uploads: z.number().int().positive().default(10),
      pending_upload_expiry_ms: z.number().int().positive().default(86_400_000),
      url_preview: z
        .strictObject({
          enabled: z.boolean().default(false),
          max_bytes: z
            .number()
            .int()
            .positive()
            .default(10 * MiB),
          timeout_ms: z.number().int().positive().default(10_000),
          // Tests preview pages served on 127.0.0.1; production keeps private addresses unreachable.
          allow_private_addresses: z.boolean().default(false),
        })
        .prefault({}),
    })
    .prefault({}),
  rate_limits: z
    .strictObject({
      login: rateLimit(0.17, 3),
      registration: rateLimit(0.17, 3),
      messages: rateLimit(5, 20),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
      format: z.enum(["json", "pretty"]).default("json"),
    })
    .prefault({}),
  room_versions: z
    .strictObject({
      // YAML reads `default: 12` as a number; accept it as the version string it obviously means.
      default: z
        .preprocess(
          (v) => (typeof v === "number" ? String(v) : v),
          z
            .string()
            .refine(
              (v) => CREATABLE_ROOM_VERSIONS.includes(v),
              `must be one of ${CREATABLE_ROOM_VERSIONS.map((v) => `"${v}"`).join(", ")}`,
            ),
        )
        .default(DEFAULT_ROOM_VERSION),
    })
    .prefault({}),
  signing_key_path: path.optional(),
  http: z
    .strictObject({
      max_request_bytes: z.number().int().positive().default(MiB),
      // Reverse proxies whose X-Forwarded-For is believed; others could forge it to dodge rate limits.
      trusted_proxies: z.array(cidr).default(() => []),
    })
    .prefault({}),
});

type ParsedObject = z.output<typeof configObject>;

function publicBaseurlFor(list: readonly ListenerConfig[]): string {
  const l = list.find((x) => x.resources.includes("client"));
  if (l === undefined) return "http://localhost:8008/";
  // A wildcard or loopback bind is reached as "localhost"; a specific address is reached as itself.
  const local = ["0.0.0.0", "::", "::1", "localhost"].includes(l.bind) || l.bind.startsWith("127.");
  const host = local ? "localhost" : isIP(l.bind) === 6 ? `[${l.bind}]` : l.bind;
  return `${l.tls ? "https" : "http"}://${host}:${l.port}/`;
}

/** Fills the defaults that depend on other fields, so consumers never handle "unset" for them. */
function withDerivedDefaults(c: ParsedObject) {
  return {
    ...c,
    public_baseurl: c.public_baseurl ?? publicBaseurlFor(c.listeners),
    media: { ...c.media, store_path: c.media.store_path ?? join(c.data_dir, "media") },
    signing_key_path: c.signing_key_path ?? join(c.data_dir, "signing.key"),
  };
}

export const hearthConfigSchema = configObject.transform(withDerivedDefaults);

/** The configuration after parsing: defaults applied, derived paths filled in. */
export type HearthConfig = z.output<typeof hearthConfigSchema>;
/** What a user may write (YAML, env, overrides): every field optional where a default exists. */
export type HearthConfigInput = z.input<typeof hearthConfigSchema>;
