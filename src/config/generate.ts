import { ConfigError } from "./errors.ts";
import { REGISTRATION_TOKEN, isValidServerName } from "./validators.ts";

export interface GenerateConfigOptions {
  /** Defaults to "localhost:8008". */
  serverName?: string;
  /**
   * Written as registration.shared_secret when given. Generation stays deterministic: callers that want
   * a random secret create it themselves.
   */
  registrationSharedSecret?: string;
  /** Written as registration.token when given. */
  registrationToken?: string;
}

// JSON strings are valid YAML double-quoted scalars, and quoting every value avoids YAML's implicit
// typing (a server name like "1.2" or a secret like "no" must stay a string).
const q = (value: string) => JSON.stringify(value);

function isLocal(serverName: string): boolean {
  const host = serverName.replace(/:[0-9]+$/, "");
  return host === "localhost" || host === "[::1]" || host.startsWith("127.");
}

/**
 * A short, commented starter config: the settings an operator must decide on, with everything else
 * left to defaults (config.example.yaml documents them all). Pure: same options, same text.
 */
export function generateConfigYaml(opts: GenerateConfigOptions = {}): string {
  const serverName = opts.serverName ?? "localhost:8008";
  const problems: string[] = [];
  if (!isValidServerName(serverName)) problems.push("server_name: not a valid server name (host[:port])");
  if (opts.registrationToken !== undefined && !REGISTRATION_TOKEN.test(opts.registrationToken)) {
    problems.push("registration.token: must be 1-64 characters from [A-Za-z0-9._~-]");
  }
  if (opts.registrationSharedSecret === "") problems.push("registration.shared_secret: must not be empty");
  if (problems.length > 0) throw new ConfigError(problems);

  // A public name is normally served through a TLS reverse proxy on the standard port.
  const baseurl = isLocal(serverName)
    ? `# public_baseurl: "http://localhost:8008/" # defaults to the first client listener`
    : `public_baseurl: ${q(`https://${serverName.replace(/:[0-9]+$/, "")}/`)}`;

  const registration = [
    "registration:",
    " # Allow sign-ups through the client API. With a token configured, signing up needs it;",
    " # without one, anyone who can reach the server can create an account.",
    "  enabled: false",
    opts.registrationToken === undefined
      ? ' # token: "choose-a-token" # share with the people you invite'
      : `  token: ${q(opts.registrationToken)} # share with the people you invite`,
    opts.registrationSharedSecret === undefined
      ? ' # shared_secret: "long-random-string" # enables admin registration (synadm, register_new_matrix_user)'
      : `  shared_secret: ${q(opts.registrationSharedSecret)} # admin registration (synadm); keep private`,
  ];

  return [
    "# Hearth configuration. Every setting is documented, with its default, in config.example.yaml.",
    "# Any key can also be set from the environment: HEARTH_<KEY>, with __ between levels",
    "# (e.g. HEARTH_DATABASE__URL, HEARTH_LOG__LEVEL). Relative paths are relative to this file.",
    "",
    "# The name in your user ids (@alice:<server_name>). It cannot be changed once users exist.",
    `server_name: ${q(serverName)}`,
    "",
    "# Where clients reach the client API (also advertised by /.well-known/matrix/client).",
    baseurl,
    "",
    "# Embedded PostgreSQL data, media and the signing key live here unless configured elsewhere.",
    'data_dir: "./data"',
    "",
    "listeners:",
    " # Plain HTTP on loopback: put a TLS reverse proxy in front, or add `tls: {cert, key}` here.",
    '  - bind: "127.0.0.1"',
    "    port: 8008",
    "    resources: [client, federation, media, admin]",
    "",
    "database:",
    " # Leave url unset to run an embedded PostgreSQL under data_dir.",
    ' # url: "postgres://hearth:password@localhost:5432/hearth"',
    "",
    "redis:",
    " # Needed only when several Hearth processes share one database.",
    ' # url: "redis://localhost:6379"',
    "",
    ...registration,
    "",
    "log:",
    "  level: info # trace, debug, info, warn, error, fatal or silent",
    "  format: json # json for log collectors, pretty for a terminal",
    "",
  ].join("\n");
}
