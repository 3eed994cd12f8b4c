import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.ts";
import { issuesOf, tempDir, writeFile } from "./helpers.ts";

const dir = tempDir();

describe("HEARTH_* environment overrides", () => {
  it("sets top-level and nested keys, reading booleans and numbers", () => {
    const config = loadConfig({
      env: {
        HEARTH_SERVER_NAME: "env.example",
        HEARTH_DATABASE__URL: "postgres://hearth@db/hearth",
        HEARTH_DATABASE__POOL_MAX: "25",
        HEARTH_LOG__LEVEL: "debug",
        HEARTH_REGISTRATION__ENABLED: "TRUE",
        HEARTH_FEDERATION__VERIFY_CERTIFICATES: "false",
        HEARTH_MEDIA__MAX_UPLOAD_BYTES: "1000",
        HEARTH_RATE_LIMITS__LOGIN__PER_SECOND: "0.5",
        HEARTH_ROOM_VERSIONS__DEFAULT: "10",
      },
    });
    expect(config.server_name).toBe("env.example");
    expect(config.database).toEqual({ url: "postgres://hearth@db/hearth", schema: "public", pool_max: 25 });
    expect(config.log.level).toBe("debug");
    expect(config.registration.enabled).toBe(true);
    expect(config.federation.verify_certificates).toBe(false);
    expect(config.media.max_upload_bytes).toBe(1000);
    expect(config.rate_limits.login).toEqual({ per_second: 0.5, burst: 3 });
    expect(config.room_versions.default).toBe("10");
  });

  it("reads arrays and objects as JSON, children refining parents", () => {
    const config = loadConfig({
      env: {
        HEARTH_LISTENERS: JSON.stringify([{ bind: "0.0.0.0", port: 9000, resources: ["client", "metrics"] }]),
        HEARTH_REGISTRATION__TOKENS: '["one","two"]',
        HEARTH_FEDERATION__IP_RANGE_DENYLIST: '["192.0.2.0/24"]',
        HEARTH_WELL_KNOWN: '{"server":"a.example:443","client_base_url":"https://a.example"}',
        HEARTH_WELL_KNOWN__SERVER: "b.example:8448",
      },
    });
    expect(config.listeners).toEqual([{ bind: "0.0.0.0", port: 9000, resources: ["client", "metrics"] }]);
    expect(config.public_baseurl).toBe("http://localhost:9000/");
    expect(config.registration.tokens).toEqual(["one", "two"]);
    expect(config.federation.ip_range_denylist).toEqual(["192.0.2.0/24"]);
    expect(config.well_known).toEqual({ server: "b.example:8448", client_base_url: "https://a.example/" });
  });

  it("overrides the file, and an empty value resets a key to its default", () => {
    const path = writeFile(
      dir,
      "base.yaml",
      "server_name: file.example\nlog: { level: warn, format: pretty }\nredis: { url: 'redis://r' }\n",
    );
    const config = loadConfig({
      path,
      env: { HEARTH_LOG__LEVEL: "error", HEARTH_REDIS__URL: "", HEARTH_LOG__FORMAT: "" },
    });
    expect(config.server_name).toBe("file.example");
    expect(config.log).toEqual({ level: "error", format: "json" });
    expect(config.redis).toEqual({});
  });

  it("loses to overrides", () => {
    const config = loadConfig({
      env: { HEARTH_LOG__LEVEL: "error" },
      overrides: { log: { level: "trace" } },
    });
    expect(config.log.level).toBe("trace");
  });

  it("ignores variables outside the HEARTH_ prefix, such as DATABASE_URL", () => {
    const config = loadConfig({
      env: { DATABASE_URL: "postgres://x/y", REDIS_URL: "redis://z", PATH: "/bin" },
    });
    expect(config.database.url).toBeUndefined();
    expect(config.redis.url).toBeUndefined();
  });

  it("reports every unknown variable and unreadable value at once", () => {
    const issues = issuesOf(() =>
      loadConfig({
        env: {
          HEARTH_CONFIG: "",
          HEARTH_SERVERNAME: "x",
          HEARTH_DATABASE__HOST: "db",
          HEARTH_LISTENERS__0__PORT: "1",
          HEARTH_REGISTRATION__ENABLED: "yes",
          HEARTH_HTTP__MAX_REQUEST_BYTES: "1MB",
          HEARTH_LISTENERS: "[{port: 1}]",
          HEARTH_LOG__LEVEL: "loud",
        },
      }),
    );
    expect(issues).toEqual([
      "HEARTH_LISTENERS: expected JSON (an array) for listeners",
      "HEARTH_SERVERNAME: unknown setting (no config key servername)",
      "HEARTH_DATABASE__HOST: unknown setting (no config key database.host)",
      "HEARTH_HTTP__MAX_REQUEST_BYTES: expected a number for http.max_request_bytes",
      "HEARTH_REGISTRATION__ENABLED: expected true or false for registration.enabled",
      "HEARTH_LISTENERS__0__PORT: unknown setting (no config key listeners.0.port)",
      expect.stringMatching(/^log\.level: Invalid option.* \(from HEARTH_LOG__LEVEL\)$/),
    ]);
  });

  it("names the variable when a JSON value fails validation", () => {
    const issues = issuesOf(() =>
      loadConfig({ env: { HEARTH_LISTENERS: '[{"port":"80","resources":["client"]}]' } }),
    );
    expect(issues).toEqual([expect.stringMatching(/^listeners\.0\.port: .*\(from HEARTH_LISTENERS\)$/)]);
  });
});
