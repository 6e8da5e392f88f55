/**
 * A random-access byte source: a local file through one fs handle, or a remote file through HTTP
 * range requests. Readers take one of these so they read only the bytes they need (headers), and so
 * tests can hand them hostile bytes from memory.
 */
import { open, type FileHandle } from "node:fs/promises";
import { VramfitError } from "../core/errors.js";

export interface ByteSource {
  /** Where the bytes come from, for messages. */
  readonly name: string;
  /** Total size in bytes, when known. */
  readonly size: number | undefined;
  /** Bytes [offset, offset + length), or fewer at the end of the file. */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** Bytes read so far (for benchmarks and tests). */
  readonly bytesRead: number;
  close(): Promise<void>;
}

export function memorySource(bytes: Uint8Array, name = "(memory)"): ByteSource {
  let bytesRead = 0;
  return {
    name,
    size: bytes.length,
    get bytesRead() {
      return bytesRead;
    },
    async read(offset, length) {
      const out = bytes.subarray(offset, Math.min(bytes.length, offset + length));
      bytesRead += out.length;
      return out;
    },
    async close() {},
  };
}

export async function fileSource(path: string): Promise<ByteSource> {
  let handle: FileHandle;
  try {
    handle = await open(path, "r");
  } catch (e) {
    throw new VramfitError("not_found", `cannot open ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const stat = await handle.stat();
  if (!stat.isFile()) {
    await handle.close();
    throw new VramfitError("not_found", `${path} is not a regular file`);
  }
  let bytesRead = 0;
  return {
    name: path,
    size: stat.size,
    get bytesRead() {
      return bytesRead;
    },
    async read(offset, length) {
      const len = Math.max(0, Math.min(length, stat.size - offset));
      const buf = new Uint8Array(len);
      let got = 0;
      while (got < len) {
        const { bytesRead: n } = await handle.read(buf, got, len - got, offset + got);
        if (n === 0) break;
        got += n;
      }
      bytesRead += got;
      return buf.subarray(0, got);
    },
    close: () => handle.close(),
  };
}

/** Read exactly `length` bytes or fail with a "truncated" error. */
export async function readExact(src: ByteSource, offset: number, length: number, what: string): Promise<Uint8Array> {
  const b = await src.read(offset, length);
  if (b.length < length) {
    throw new VramfitError("invalid_file", `${src.name}: file is truncated: ${what} needs bytes ${offset}..${offset + length} but the file ends at ${offset + b.length}`);
  }
  return b;
}

export interface HttpSourceOptions {
  fetch?: typeof fetch;
  headers?: Record<string, string>;
  timeoutMs?: number;
  /** Turn an HTTP error status into the error to throw (e.g. the Hub's 401/404 messages). */
  onHttpError?: (status: number, headers: Headers) => Error;
}

/**
 * A remote file through HTTP Range requests. The size comes from the first response's Content-Range.
 * A server that ignores Range is read only as far as asked, then the connection is dropped.
 */
export async function httpSource(url: string, opts: HttpSourceOptions = {}): Promise<ByteSource> {
  const f = opts.fetch ?? fetch;
  let bytesRead = 0;
  let size: number | undefined;
  const get = async (offset: number, length: number): Promise<Uint8Array> => {
    let resp: Response;
    try {
      resp = await f(url, {
        headers: { ...opts.headers, Range: `bytes=${offset}-${offset + length - 1}` },
        signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
      });
    } catch (e) {
      if (e instanceof VramfitError) throw e;
      const err = e as { name?: string; cause?: { code?: string } };
      throw new VramfitError("network", `cannot read ${url}: ${err.name === "TimeoutError" ? "timed out" : (err.cause?.code ?? String(e))}`);
    }
    if (resp.status === 416) {
      await resp.body?.cancel();
      return new Uint8Array(0);
    }
    if (!resp.ok) {
      await resp.body?.cancel();
      throw opts.onHttpError?.(resp.status, resp.headers) ?? new VramfitError("network", `cannot read ${url}: HTTP ${resp.status}`, { details: { status: resp.status } });
    }
    let skip = 0;
    if (resp.status === 206) {
      const total = Number(resp.headers.get("content-range")?.split("/").pop());
      if (Number.isSafeInteger(total)) size = total;
    } else {
      const len = Number(resp.headers.get("content-length"));
      if (Number.isSafeInteger(len)) size = len;
      skip = offset;
    }
    const out = await readBodyRange(resp, skip, length);
    bytesRead += out.length;
    return out;
  };
  // Learn the size with a small first read.
  await get(0, 1);
  return {
    name: url,
    get size() {
      return size;
    },
    get bytesRead() {
      return bytesRead;
    },
    read: (offset, length) => get(offset, Math.max(0, length)),
    async close() {},
  };
}

/**
 * Up to `max` bytes of a response body after skipping `skip` bytes (a server that ignored the Range
 * header sends the whole file), then stops the transfer.
 */
export async function readBodyRange(resp: Response, skip: number, max: number): Promise<Uint8Array> {
  const reader = resp.body?.getReader();
  if (!reader) return new Uint8Array(0);
  // Memory follows the bytes that arrive, not the length asked for (which may come from a hostile header).
  const chunks: Uint8Array[] = [];
  let got = 0;
  let seen = 0;
  try {
    while (got < max) {
      const { value, done } = await reader.read();
      if (done) break;
      let chunk = value;
      if (seen < skip) {
        const drop = Math.min(chunk.length, skip - seen);
        seen += drop;
        chunk = chunk.subarray(drop);
      }
      const take = chunk.subarray(0, Math.min(chunk.length, max - got));
      if (take.length > 0) chunks.push(take);
      got += take.length;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  const out = new Uint8Array(got);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}
