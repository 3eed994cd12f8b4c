import { isIP } from "node:net";
import { request, type Dispatcher } from "undici";
import { FederationUnreachableError } from "../contracts.ts";
import type { FederationTransport, TransportRequest, TransportResponse } from "./transport.ts";

/** Where to connect for a server name, and what to call it in Host and TLS SNI. */
export interface ResolvedServer {
  /** IP address or hostname to connect to. */
  host: string;
  port: number;
  /** The Host header value. */
  hostHeader: string;
  /** Name the TLS certificate must be valid for (an IP literal is checked as such). */
  tlsName: string;
}

export interface ServerResolver {
  resolve(serverName: string): Promise<ResolvedServer>;
}

export interface UndiciTransportOptions {
  resolver: ServerResolver;
  /** The connection pool; it carries TLS and address policy (see agent.ts). */
  dispatcher: Dispatcher;
  /** Responses larger than this are refused (a remote must not exhaust our memory). */
  maxResponseBytes: number;
}

export class ResponseTooLargeError extends Error {
  override name = "ResponseTooLargeError";
}

async function readLimited(body: Dispatcher.ResponseData["body"], limit: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) {
      // Throwing out of the loop destroys the stream (and that connection).
      throw new ResponseTooLargeError(`Response exceeds ${limit} bytes`);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

function bracketed(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

/** Production delivery: discovery, then HTTPS through a pooled undici Agent. */
export function createUndiciTransport(opts: UndiciTransportOptions): FederationTransport {
  return {
    async send(req: TransportRequest): Promise<TransportResponse> {
      let target: ResolvedServer;
      try {
        target = await opts.resolver.resolve(req.destination);
      } catch (err) {
        throw new FederationUnreachableError(req.destination, `Cannot resolve ${req.destination}`, err);
      }
      const signal = AbortSignal.timeout(req.timeoutMs);
      try {
        const res = await request(`https://${bracketed(target.host)}:${target.port}${req.path}`, {
          method: req.method as Dispatcher.HttpMethod,
          headers: { ...req.headers, host: target.hostHeader },
          body: req.body,
          dispatcher: opts.dispatcher,
          signal,
          headersTimeout: req.timeoutMs,
          bodyTimeout: req.timeoutMs,
          // SNI and the certificate check use this name; an IP literal is sent no SNI (RFC 6066) and
          // checked against the address connected to.
          ...(isIP(target.tlsName) === 0 ? ({ servername: target.tlsName } as object) : {}),
        });
        const body = await readLimited(res.body, opts.maxResponseBytes);
        const headers = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          if (Array.isArray(value)) for (const v of value) headers.append(name, v);
          else if (value !== undefined) headers.set(name, value);
        }
        return { status: res.statusCode, headers, body };
      } catch (err) {
        throw new FederationUnreachableError(
          req.destination,
          `Request to ${req.destination} failed: ${(err as Error).message}`,
          err,
        );
      }
    },
    async close() {
      await opts.dispatcher.close();
    },
  };
}
