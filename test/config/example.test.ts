import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { allKeyPaths } from "../../src/config/introspect.ts";
import { loadConfig } from "../../src/config/load.ts";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const examplePath = join(root, "config.example.yaml");
const text = readFileSync(examplePath, "utf8");
const lines = text.split("\n");

interface KeyLine {
  indent: number;
  key: string;
  commented: boolean;
  index: number;
}

/**
 * Lines that set a key, active or commented out. A commented key's "# " stands where its indentation
 * would be once uncommented, so `  # url:` sits at the same level as `  schema:`.
 */
function keyLines(): KeyLine[] {
  const out: KeyLine[] = [];
  lines.forEach((line, index) => {
    const m = /^( *)(# +)?(- )?([a-z_]+):( |$)/.exec(line);
    if (m === null) return;
    const [, lead = "", hash, dash = "", key = ""] = m;
    const indent = lead.length + (hash === undefined ? 0 : hash.length - 2) + dash.length;
    out.push({ indent, key, commented: hash !== undefined, index });
  });
  return out;
}

/** Dotted paths of every key the example writes, from indentation. */
function documentedPaths(): string[] {
  const paths: string[] = [];
  const stack: Array<{ indent: number; key: string }> = [];
  for (const { indent, key } of keyLines()) {
    while (stack.length > 0 && (stack[stack.length - 1]?.indent ?? 0) >= indent) stack.pop();
    stack.push({ indent, key });
    paths.push(stack.map((s) => s.key).join("."));
  }
  return paths;
}

describe("config.example.yaml", () => {
  it("loads, and its values are exactly the defaults", () => {
    expect(loadConfig({ path: examplePath })).toEqual(loadConfig({ cwd: root }));
  });

  it("mentions every schema key, each once, at its place in the hierarchy", () => {
    const documented = documentedPaths();
    expect([...documented].sort()).toEqual(allKeyPaths().sort());
  });

  it("explains each active key with a comment above it or at the end of its line", () => {
    const unexplained = keyLines()
      .filter(({ commented }) => !commented)
      .filter(
        ({ index }) =>
          !(lines[index] ?? "").includes(" # ") && !(lines[index - 1] ?? "").trim().startsWith("#"),
      )
      .map(({ key }) => key);
    expect(unexplained).toEqual([]);
  });

  it("gives a valid sample value for every optional key", () => {
    const uncommented = text.replace(/^( *)# ( *(?:- )?[a-z_]+:( |$))/gm, "$1$2");
    expect(uncommented).not.toMatch(/^ *# *[a-z_]+:/m);
    const config = loadConfig({ cwd: root, overrides: parse(uncommented) as unknown });
    expect(config.database.url).toMatch(/^postgres:\/\//);
    expect(config.listeners[0]?.tls?.cert).toMatch(/\.pem$/);
    expect(config.signing_key_path).toBe("/var/lib/hearth/signing.key");
    expect(config.federation.trusted_key_servers[0]?.server_name).toBe("matrix.org");
  });
});
