import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/errors.ts";
import { loadConfig } from "../../src/config/load.ts";
import { issuesOf, tempDir, writeFile } from "./helpers.ts";

const dir = tempDir();

describe("loadConfig without a file", () => {
  it("applies every default", () => {
    const config = loadConfig({ cwd: "/srv/hearth" });
    expect(config).toEqual({
      server_name: "localhost:8008",
      public_baseurl: "http://localhost:8008/",
      data_dir: "/srv/hearth/data",
      listeners: [{ bind: "127.0.0.1", port: 8008, resources: ["client", "federation", "media", "admin"] }],
      database: { schema: "public", pool_max: 10 },
      redis: {},
      registration: { enabled: false, tokens: [] },
      auth: { refreshable_access_token_lifetime_ms: 300_000, login_token_lifetime_ms: 120_000 },
      federation: {
        verify_certificates: true,
        trusted_ca_files: [],
        trusted_key_servers: [],
        allow_private_addresses: false,
        ip_range_allowlist: [],
        ip_range_denylist: [],
      },
      well_known: {},
      media: {
        max_upload_bytes: 50 * 1024 * 1024,
        store_path: "/srv/hearth/data/media",
        max_image_pixels: 32_000_000,
        freeze_legacy_media: true,
        max_pending_uploads: 10,
        pending_upload_expiry_ms: 86_400_000,
        url_preview: {
          enabled: false,
          max_bytes: 10 * 1024 * 1024,
          timeout_ms: 10_000,
          allow_private_addresses: false,
        },
      },
      rate_limits: {
        login: { per_second: 0.17, burst: 3 },
        registration: { per_second: 0.17, burst: 3 },
        messages: { per_second: 5, burst: 20 },
      },
      log: { level: "info", format: "json" },
      room_versions: { default: "12" },
      signing_key_path: "/srv/hearth/data/signing.key",
      http: { max_request_bytes: 1024 * 1024, trusted_proxies: [] },
    });
  });

  it("ignores process.env unless it is passed in", () => {
    process.env.HEARTH_SERVER_NAME = "from-process-env.example";
    try {
      expect(loadConfig({}).server_name).toBe("localhost:8008");
    } finally {
      delete process.env.HEARTH_SERVER_NAME;
    }
  });

  it("merges overrides deeply, replaces arrays, and resets keys given as null", () => {
    const config = loadConfig({
      cwd: dir,
      env: { HEARTH_DATABASE__URL: "postgres://env/db" },
      overrides: {
        server_name: "hs1.test",
        database: { url: null, pool_max: 3 },
        listeners: [{ bind: "127.0.0.1", port: 0, resources: ["client"] }],
        registration: { enabled: true, token: undefined },
      },
    });
    expect(config.server_name).toBe("hs1.test");
    expect(config.database).toEqual({ schema: "public", pool_max: 3 });
    expect(config.listeners).toEqual([{ bind: "127.0.0.1", port: 0, resources: ["client"] }]);
    expect(config.registration).toEqual({ enabled: true, tokens: [] });
  });
});

describe("loadConfig with a YAML file", () => {
  it("reads settings and keeps defaults for the rest", () => {
    const path = writeFile(
      dir,
      "full.yaml",
      [
        "server_name: example.org",
        "public_baseurl: https://matrix.example.org",
        "listeners:",
        "  - bind: '::'",
        "    port: 8448",
        "    tls: { cert: /etc/tls/cert.pem, key: /etc/tls/key.pem }",
        "    resources: [federation]",
        "  - port: 8008",
        "    resources: [client, media]",
        "database: { url: 'postgresql://u:p@db:5432/hearth', schema: hs1 }",
        "redis: { url: 'rediss://cache:6380/0' }",
        "registration:",
        "  enabled: true",
        "  tokens: [abc, d.e~f_-1]",
        "federation:",
        "  ip_range_allowlist: [10.1.0.0/16, 'fd00::1']",
        "well_known: { server: 'matrix.example.org:443' }",
        "log: { level: debug, format: pretty }",
        "room_versions: { default: 11 }",
      ].join("\n"),
    );
    const config = loadConfig({ path });
    expect(config.server_name).toBe("example.org");
    expect(config.public_baseurl).toBe("https://matrix.example.org/");
    expect(config.listeners).toEqual([
      {
        bind: "::",
        port: 8448,
        tls: { cert: "/etc/tls/cert.pem", key: "/etc/tls/key.pem" },
        resources: ["federation"],
      },
      { bind: "127.0.0.1", port: 8008, resources: ["client", "media"] },
    ]);
    expect(config.database).toEqual({ url: "postgresql://u:p@db:5432/hearth", schema: "hs1", pool_max: 10 });
    expect(config.redis.url).toBe("rediss://cache:6380/0");
    expect(config.registration.tokens).toEqual(["abc", "d.e~f_-1"]);
    expect(config.federation.ip_range_allowlist).toEqual(["10.1.0.0/16", "fd00::1/128"]);
    expect(config.well_known.server).toBe("matrix.example.org:443");
    expect(config.log).toEqual({ level: "debug", format: "pretty" });
    expect(config.room_versions.default).toBe("11");
  });

  it("treats an empty file and empty sections as defaults", () => {
    expect(loadConfig({ path: writeFile(dir, "empty.yaml", "# nothing\n"), cwd: dir })).toEqual(
      loadConfig({ cwd: dir }),
    );
    const sections = loadConfig({ path: writeFile(dir, "sections.yaml", "redis:\nwell_known:\n") });
    expect(sections.redis).toEqual({});
  });

  it("finds the file through HEARTH_CONFIG, relative to cwd", () => {
    writeFile(dir, "via-env.yaml", "server_name: via-env.example\n");
    const config = loadConfig({ cwd: dir, env: { HEARTH_CONFIG: "via-env.yaml" } });
    expect(config.server_name).toBe("via-env.example");
  });

  it("derives public_baseurl from the first client listener", () => {
    const config = loadConfig({
      overrides: {
        listeners: [
          { port: 8448, resources: ["federation"] },
          { bind: "192.0.2.7", port: 443, tls: { cert: "c", key: "k" }, resources: ["client"] },
        ],
      },
    });
    expect(config.public_baseurl).toBe("https://192.0.2.7:443/");
  });
});

describe("path resolution", () => {
  it("resolves relative paths against the config file's directory", () => {
    const sub = join(dir, "etc");
    mkdirSync(sub, { recursive: true });
    const path = writeFile(
      sub,
      "paths.yaml",
      [
        "data_dir: ../var",
        "listeners: [{ port: 8448, tls: { cert: tls/cert.pem, key: /abs/key.pem }, resources: [federation] }]",
        "federation: { trusted_ca_files: [ca.pem] }",
      ].join("\n"),
    );
    const config = loadConfig({ path, cwd: "/elsewhere" });
    expect(config.data_dir).toBe(join(dir, "var"));
    expect(config.media.store_path).toBe(join(dir, "var", "media"));
    expect(config.signing_key_path).toBe(join(dir, "var", "signing.key"));
    expect(config.listeners[0]?.tls).toEqual({ cert: join(sub, "tls", "cert.pem"), key: "/abs/key.pem" });
    expect(config.federation.trusted_ca_files).toEqual([join(sub, "ca.pem")]);
  });

  it("resolves against cwd without a file, including explicit store and key paths", () => {
    const config = loadConfig({
      cwd: "/srv/hs",
      overrides: { data_dir: "d", media: { store_path: "m" }, signing_key_path: "keys/k" },
    });
    expect(config.data_dir).toBe("/srv/hs/d");
    expect(config.media.store_path).toBe("/srv/hs/m");
    expect(config.signing_key_path).toBe("/srv/hs/keys/k");
  });
});

describe("errors", () => {
  it("reports an unknown key, a wrong type and a bad URL together, with file lines", () => {
    const path = writeFile(
      dir,
      "three.yaml",
      [
        "server_name: example.org",
        "colour: blue",
        "database:",
        "  pool_max: lots",
        "  url: mysql://db/x",
      ].join("\n"),
    );
    const issues = issuesOf(() => loadConfig({ path }));
    expect(issues).toHaveLength(3);
    expect(issues).toContainEqual(expect.stringMatching(/^colour: unknown key .*three\.yaml:2\)$/));
    expect(issues).toContainEqual(
      expect.stringMatching(/^database\.pool_max: .*expected number.*three\.yaml:4\)$/),
    );
    expect(issues).toContainEqual(expect.stringMatching(/^database\.url: must be a postgres:\/\//));
  });

  it("throws a ConfigError whose message lists every issue", () => {
    const err = (() => {
      try {
        return loadConfig({ overrides: { log: { level: "loud" }, http: { max_request_bytes: -1 } } });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    const { message, issues } = err as ConfigError;
    expect(issues).toHaveLength(2);
    for (const issue of issues) expect(message).toContain(issue);
  });

  it("suggests the intended key for a misspelling, at any depth", () => {
    const issues = issuesOf(() =>
      loadConfig({
        overrides: {
          registration: { enable: true },
          listeners: [{ port: 1, resources: ["client"], bnd: "x" }],
        },
      }),
    );
    expect(issues).toEqual([
      'listeners.0.bnd: unknown key (did you mean "bind"?) (from overrides)',
      'registration.enable: unknown key (did you mean "enabled"?) (from overrides)',
    ]);
  });

  it("says a required listener field is required", () => {
    const issues = issuesOf(() => loadConfig({ overrides: { listeners: [{ bind: "0.0.0.0" }] } }));
    expect(issues).toEqual([
      "listeners.0.port: required (from overrides)",
      "listeners.0.resources: required (from overrides)",
    ]);
  });

  it("reports a YAML syntax error with its line", () => {
    const path = writeFile(dir, "syntax.yaml", "server_name: a\nlisteners: [\nlog: {}\n");
    const issues = issuesOf(() => loadConfig({ path }));
    expect(issues.length).toBeGreaterThan(0);
    expect(issues[0]).toMatch(/^.*syntax\.yaml:\d+:\d+: YAML syntax error: /);
    expect(issuesOf(() => loadConfig({ path: writeFile(dir, "dup.yaml", "log: {}\nlog: {}\n") }))).toEqual([
      expect.stringMatching(/dup\.yaml:2:1: YAML syntax error: .*unique/),
    ]);
  });

  it("reports a missing file, and still checks the environment", () => {
    const missing = join(dir, "nope.yaml");
    const issues = issuesOf(() => loadConfig({ path: missing, env: { HEARTH_LOG__LEVEL: "chatty" } }));
    expect(issues).toEqual([
      `${missing}: file not found`,
      expect.stringMatching(/^log\.level: .*\(from HEARTH_LOG__LEVEL\)$/),
    ]);
  });

  it("rejects a file that is not a mapping", () => {
    const path = writeFile(dir, "list.yaml", "- a\n- b\n");
    expect(issuesOf(() => loadConfig({ path }))).toEqual([
      `${path}: expected a mapping of settings at the top level`,
    ]);
  });

  it("rejects bad server names", () => {
    for (const name of [
      "",
      "exa mple.org",
      "example.org:",
      "example.org:0",
      "example.org:65536",
      "[::1",
      "::1",
      "1.2.3",
      "a..b",
      "-",
    ]) {
      const issues = issuesOf(() => loadConfig({ overrides: { server_name: name } }));
      expect(issues, name).toEqual([expect.stringMatching(/^server_name: not a valid server name/)]);
    }
    expect(issuesOf(() => loadConfig({ overrides: { well_known: { server: "https://x.org" } } }))).toEqual([
      expect.stringMatching(/^well_known\.server: not a valid server name/),
    ]);
  });

  it("validates URLs, CIDRs, tokens, listeners and room versions", () => {
    const issues = issuesOf(() =>
      loadConfig({
        overrides: {
          public_baseurl: "ftp://x/",
          redis: { url: "http://cache" },
          database: { schema: "x; DROP TABLE users" },
          registration: { tokens: ["ok", "has space", "x".repeat(65)] },
          federation: { ip_range_denylist: ["10.0.0.0/33", "banana"] },
          listeners: [
            { port: 8008, resources: [] },
            { port: 8008, resources: ["client", "client"] },
            { bind: "[::]", port: 1, resources: ["metrics"] },
          ],
          room_versions: { default: "9" },
        },
      }),
    );
    expect(issues.map((i) => i.split(":")[0]).sort()).toEqual(
      [
        "database.schema",
        "federation.ip_range_denylist.0",
        "federation.ip_range_denylist.1",
        "listeners.0.resources",
        "listeners.1.port",
        "listeners.1.resources",
        "listeners.2.bind",
        "public_baseurl",
        "redis.url",
        "registration.tokens.1",
        "registration.tokens.2",
        "room_versions.default",
      ].sort(),
    );
  });

  it("rejects two listeners on the same address and port", () => {
    const listeners = [
      { port: 8008, resources: ["client"] },
      { port: 8008, resources: ["federation"] },
    ];
    expect(issuesOf(() => loadConfig({ overrides: { listeners } }))).toEqual([
      "listeners.1.port: same bind address and port as an earlier listener (from overrides)",
    ]);
  });

  it("never echoes a database password in an error", () => {
    const issues = issuesOf(() => loadConfig({ overrides: { database: { url: "mysql://u:hunter2@db/x" } } }));
    expect(issues.join("\n")).not.toContain("hunter2");
  });

  it("keeps a __proto__ key as an unknown key", () => {
    const path = writeFile(dir, "proto.yaml", '__proto__: { polluted: true }\nlog: { "__proto__": 1 }\n');
    const issues = issuesOf(() => loadConfig({ path }));
    expect(issues.map((i) => i.split(":")[0]).sort()).toEqual(["__proto__", "log.__proto__"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
