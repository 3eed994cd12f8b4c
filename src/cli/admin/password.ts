import { UsageError } from "../command.ts";

/** Reads all of stdin (for --password-stdin and piped input); the first line is the password. */
async function firstLineOfStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8").split(/\r?\n/)[0] ?? "";
}

/** Prompts on the terminal with echo off: raw mode, so typed characters are never written back. */
function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  // Raw mode before the prompt: an answer typed as soon as the prompt shows must not be echoed.
  stdin.setRawMode(true);
  stdin.resume();
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let value = "";
    const finish = (err?: Error): void => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.removeListener("data", onData);
      process.stderr.write("\n");
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (data: Buffer): void => {
      for (const ch of data.toString("utf8")) {
        if (ch === "\r" || ch === "\n") return finish();
        if (ch === "\u0003") return finish(new UsageError("cancelled"));
        if (ch === "\u007f" || ch === "\b") value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on("data", onData);
  });
}

/**
 * The password from --password, else from stdin: prompted twice without echo on a terminal, or the
 * first line of piped input (--password-stdin, scripts).
 */
export async function passwordFrom(opts: { password?: string; passwordStdin?: boolean }): Promise<string> {
  let password = opts.password;
  if (password === undefined) {
    if (opts.passwordStdin || !process.stdin.isTTY) {
      password = await firstLineOfStdin();
    } else {
      password = await promptHidden("Password: ");
      if ((await promptHidden("Repeat password: ")) !== password)
        throw new UsageError("passwords do not match");
    }
  }
  if (password === "") throw new UsageError("the password must not be empty");
  return password;
}
