/** Run the CLI in-process for a test: its exit code, what it printed, and what it wrote to stderr. */
import { runCli } from "../cli/main.js";

export async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const errWrite = process.stderr.write.bind(process.stderr);
  let err = "";
  process.stderr.write = ((s: string) => {
    err += s;
    return true;
  }) as typeof process.stderr.write;
  try {
    const code = await runCli(args, (s) => out.push(s));
    return { code, out: out.join("\n"), err };
  } finally {
    process.stderr.write = errWrite;
  }
}
