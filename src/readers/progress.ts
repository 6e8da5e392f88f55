/** Progress of long reads (many shards, a slow mirror). Readers call it; the CLI renders it on stderr. */
export interface ReadProgress {
  /** What is being read: "config", "index", "headers", "gguf". */
  phase: string;
  done: number;
  total: number;
  /** Bytes read so far in this phase. */
  bytes?: number;
  /** The model being read, for the message. */
  model?: string;
}

export type ProgressFn = (p: ReadProgress) => void;

/** Run `tasks` with at most `limit` in flight, reporting each completion. */
export async function runLimited<T>(tasks: (() => Promise<T>)[], limit: number, onDone?: (done: number) => void): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      out[i] = await tasks[i]();
      onDone?.(++done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return out;
}

/** One status line for a terminal (the CLI writes it to stderr with "\r" while reading). */
export function progressLine(p: ReadProgress): string {
  const pct = p.total > 0 ? Math.floor((100 * p.done) / p.total) : 0;
  const bytes = p.bytes !== undefined ? `, ${(p.bytes / 1024 / 1024).toFixed(1)} MiB` : "";
  return `${p.model ? `${p.model}: ` : ""}reading ${p.phase} ${p.done}/${p.total} (${pct}%${bytes})`;
}
