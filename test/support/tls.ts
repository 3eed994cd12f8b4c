import { createServer, type AddressInfo } from "node:net";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { generate } from "selfsigned";

export interface TestCertificate {
  certFile: string;
  keyFile: string;
  cert: string;
}

/** A self-signed certificate for 127.0.0.1/localhost (and optional names), written into `dir`. */
export async function writeSelfSignedCertificate(
  dir: string,
  names: string[] = [],
): Promise<TestCertificate> {
  const pems = await generate([{ name: "commonName", value: names[0] ?? "localhost" }], {
    algorithm: "sha256",
    keySize: 2048,
    extensions: [
      {
        name: "subjectAltName",
        altNames: [
          { type: 2, value: "localhost" },
          { type: 7, ip: "127.0.0.1" },
          ...names.map((value) => ({ type: 2 as const, value })),
        ],
      },
    ],
  });
  const certFile = path.join(dir, "tls.crt");
  const keyFile = path.join(dir, "tls.key");
  await writeFile(certFile, pems.cert);
  await writeFile(keyFile, pems.private, { mode: 0o600 });
  return { certFile, keyFile, cert: pems.cert };
}

/** A TCP port free on 127.0.0.1 right now (for server names with an explicit port). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
