import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/errors.ts";
import { generateConfigYaml } from "../../src/config/generate.ts";
import { loadConfig } from "../../src/config/load.ts";
import { tempDir, writeFile } from "./helpers.ts";

const dir = tempDir();

function load(yaml: string) {
  return loadConfig({ path: writeFile(dir, "generated.yaml", yaml) });
}

describe("generateConfigYaml", () => {
  it("produces a config that loads to the defaults when given nothing", () => {
    const yaml = generateConfigYaml();
    expect(yaml).toMatch(/^# /);
    expect(load(yaml)).toEqual(loadConfig({ cwd: dir }));
  });

  it("uses the server name, and a public https base URL for a public name", () => {
    const config = load(generateConfigYaml({ serverName: "example.org" }));
    expect(config.server_name).toBe("example.org");
    expect(config.public_baseurl).toBe("https://example.org/");
    expect(config.registration).toEqual({ enabled: false, tokens: [] });
  });

  it("writes secrets only when given, quoting them so YAML keeps them strings", () => {
    const yaml = generateConfigYaml({
      serverName: "[2001:db8::1]:8448",
      registrationSharedSecret: "no",
      registrationToken: "1.5",
    });
    const config = load(yaml);
    expect(config.server_name).toBe("[2001:db8::1]:8448");
    expect(config.registration.shared_secret).toBe("no");
    expect(config.registration.token).toBe("1.5");
  });

  it("is deterministic", () => {
    expect(generateConfigYaml({ serverName: "a.example" })).toBe(
      generateConfigYaml({ serverName: "a.example" }),
    );
  });

  it("refuses values that would not load", () => {
    expect(() => generateConfigYaml({ serverName: "not a name" })).toThrow(ConfigError);
    expect(() => generateConfigYaml({ registrationToken: "has space" })).toThrow(ConfigError);
  });
});
