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
    throw new VramfitError(`cannot open ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const stat = await handle.stat();
  if (!stat.isFile()) {
    await handle.close();
    throw new VramfitError(`${path} is not a regular file`);
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
    throw new VramfitError(
      `${src.name}: file is truncated: ${what} needs bytes ${offset}..${offset + length} but the file ends at ${offset + b.length}`,
    );
  }
  return b;
}
