/**
 * How signed requests reach another server: over HTTPS with undici in production, straight into the
 * other homeserver's app in tests. The client signs; a transport only delivers bytes.
 */
export interface TransportRequest {
  /** Server name as in ids; the transport resolves it. */
  destination: string;
  method: string;
  /** Path with query string, as signed. */
  path: string;
  headers: Record<string, string>;
  /** Exactly the bytes the signature covers. */
  body?: Uint8Array;
  timeoutMs: number;
}

export interface TransportResponse {
  status: number;
  headers: Headers;
  body: Uint8Array;
}

export interface FederationTransport {
  /** Any status is a response; throws FederationUnreachableError when the destination cannot be reached. */
  send(req: TransportRequest): Promise<TransportResponse>;
  /** Releases pooled connections. */
  close?(): Promise<void>;
}
