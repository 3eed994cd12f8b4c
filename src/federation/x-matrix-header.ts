/**
 * The `Authorization: X-Matrix …` header grammar (spec server-server §Request Authentication, which
 * defers to RFC 9110 §11.4): scheme, one or more spaces, then comma-separated `name=value` pairs with
 * optional whitespace around commas and `=`, case-insensitive names, values quoted (with backslash
 * escapes) or bare. Pure, so it can be tested alone.
 *
 * Liberal where the spec asks for it, or where real servers need it:
 * - bare values may contain `:` (old senders), and in fact anything but whitespace, `,` and `"`;
 * - several credentials may arrive in one header value, because the Fetch API joins repeated
 *   `Authorization` headers with ", " (a new credential starts wherever a token is followed by a space
 *   rather than `=`);
 * - unknown parameters and other schemes are ignored.
 */

export interface XMatrixCredentials {
  origin: string;
  /** Absent from senders older than spec v1.3. */
  destination?: string;
  /** Key id with algorithm, e.g. `ed25519:a_Obwu`. */
  key: string;
  /** Unpadded base64 signature. */
  sig: string;
}

export class XMatrixHeaderError extends Error {
  override name = "XMatrixHeaderError";
}

interface Credential {
  scheme: string;
  params: Map<string, string>;
}

// RFC 9110 tchar.
const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

function isTchar(ch: string | undefined): boolean {
  return ch !== undefined && TCHAR.test(ch);
}

function isOws(ch: string | undefined): boolean {
  return ch === " " || ch === "\t";
}

class HeaderParser {
  pos = 0;
  constructor(private readonly s: string) {}

  private fail(message: string): never {
    throw new XMatrixHeaderError(`Malformed Authorization header: ${message} at offset ${this.pos}`);
  }

  private skipOws(): void {
    while (isOws(this.s[this.pos])) this.pos++;
  }

  private token(): string {
    const start = this.pos;
    while (isTchar(this.s[this.pos])) this.pos++;
    if (this.pos === start) this.fail("expected a token");
    return this.s.slice(start, this.pos);
  }

  /** Whether the text at `pos` is `token BWS "="`, i.e. a parameter rather than a new scheme. */
  private atParam(): boolean {
    let i = this.pos;
    while (isTchar(this.s[i])) i++;
    if (i === this.pos) return false;
    while (isOws(this.s[i])) i++;
    return this.s[i] === "=";
  }

  private quoted(): string {
    this.pos++; // opening quote
    let out = "";
    for (;;) {
      const ch = this.s[this.pos];
      if (ch === undefined) this.fail("unterminated quoted string");
      if (ch === '"') {
        this.pos++;
        return out;
      }
      if (ch === "\\") {
        const next = this.s[this.pos + 1];
        if (next === undefined) this.fail("dangling backslash");
        out += next;
        this.pos += 2;
      } else {
        out += ch;
        this.pos++;
      }
    }
  }

  private bare(): string {
    const start = this.pos;
    for (;;) {
      const ch = this.s[this.pos];
      if (ch === undefined || ch === "," || ch === '"' || isOws(ch)) break;
      this.pos++;
    }
    if (this.pos === start) this.fail("expected a value");
    return this.s.slice(start, this.pos);
  }

  private token68(): void {
    const m = /^[A-Za-z0-9\-._~+/]+=*/.exec(this.s.slice(this.pos));
    if (!m) this.fail("expected parameters or a token68");
    this.pos += m[0].length;
  }

  /** Skips list separators: OWS and empty list elements (RFC 9110 §5.6.1). */
  private skipSeparators(): void {
    for (;;) {
      this.skipOws();
      if (this.s[this.pos] !== ",") return;
      this.pos++;
    }
  }

  parse(): Credential[] {
    const out: Credential[] = [];
    this.skipSeparators();
    while (this.pos < this.s.length) {
      const scheme = this.token();
      const params = new Map<string, string>();
      out.push({ scheme, params });
      if (this.s[this.pos] === " ") {
        this.skipOws();
        // Other schemes (Bearer) carry a token68 instead of parameters; X-Matrix never does.
        if (!this.atParam() && this.pos < this.s.length && this.s[this.pos] !== ",") this.token68();
        // Stopping after a separator means the next credential's scheme follows.
        else if (this.params(params)) continue;
      }
      this.skipOws();
      if (this.pos < this.s.length && this.s[this.pos] !== ",") this.fail("expected ','");
      this.skipSeparators();
    }
    return out;
  }

  /**
   * Parameters until the end or the next credential's scheme; true when it stopped at a scheme after a
   * comma it already consumed.
   */
  private params(params: Map<string, string>): boolean {
    let afterSeparator = false;
    while (this.pos < this.s.length && this.atParam()) {
      afterSeparator = false;
      const name = this.token().toLowerCase();
      this.skipOws();
      this.pos++; // "="
      this.skipOws();
      const value = this.s[this.pos] === '"' ? this.quoted() : this.bare();
      if (params.has(name)) this.fail(`parameter ${name} given twice`);
      params.set(name, value);
      this.skipOws();
      if (this.pos >= this.s.length) return false;
      if (this.s[this.pos] !== ",") this.fail("expected ','");
      this.skipSeparators();
      afterSeparator = true;
    }
    return afterSeparator && this.pos < this.s.length;
  }
}

/**
 * Every X-Matrix credential in an Authorization header value (other schemes are skipped). Throws
 * XMatrixHeaderError when the value does not follow the grammar, lacks X-Matrix credentials, or one
 * lacks `origin`, `key` or `sig`.
 */
export function parseXMatrixAuthorization(header: string): XMatrixCredentials[] {
  const credentials = new HeaderParser(header)
    .parse()
    .filter((c) => c.scheme.toLowerCase() === "x-matrix")
    .map(({ params }) => {
      const origin = params.get("origin");
      const key = params.get("key");
      const sig = params.get("sig");
      if (!origin || !key || !sig) {
        throw new XMatrixHeaderError("X-Matrix credentials need origin, key and sig");
      }
      const destination = params.get("destination");
      return destination === undefined ? { origin, key, sig } : { origin, destination, key, sig };
    });
  if (credentials.length === 0) throw new XMatrixHeaderError("No X-Matrix credentials");
  return credentials;
}

function quote(value: string): string {
  return `"${value.replace(/["\\]/g, (ch) => `\\${ch}`)}"`;
}

/** The header value as the spec asks senders to write it: one space, lower-case names, no spaces. */
export function formatXMatrixAuthorization(c: XMatrixCredentials): string {
  const destination = c.destination === undefined ? "" : `destination=${quote(c.destination)},`;
  return `X-Matrix origin=${quote(c.origin)},${destination}key=${quote(c.key)},sig=${quote(c.sig)}`;
}
