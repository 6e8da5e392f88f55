/**
 * A small on-disk cache of what readers fetched (config.json, the index, safetensors headers, GGUF
 * metadata), so a second run needs no network. Location: $VRAMFIT_CACHE_DIR, else
 * $XDG_CACHE_HOME/vramfit, else ~/.cache/vramfit. Entries are raw bytes, re-validated by the readers
 * on every load, so a corrupted cache cannot produce a wrong model.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.VRAMFIT_CACHE_DIR) return env.VRAMFIT_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, "vramfit");
  return join(homedir(), ".cache", "vramfit");
}

export class DiskCache {
  constructor(readonly root: string) {}

  /** Keys are path-like ("hub/host/org/name/main/config.json"); segments are sanitized. */
  private path(key: string): string {
    const safe = key
      .split("/")
      .filter((s) => s.length > 0)
      .map((s) => (s === "." || s === ".." ? "_" : s.replace(/[^A-Za-z0-9._@+=-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`)));
    return join(this.root, ...safe);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(this.path(key)));
    } catch {
      return undefined;
    }
  }

  async getJson<T>(key: string): Promise<T | undefined> {
    const b = await this.get(key);
    if (!b) return undefined;
    try {
      return JSON.parse(new TextDecoder().decode(b)) as T;
    } catch {
      return undefined;
    }
  }

  /** Write atomically (temp file + rename) so an interrupted run never leaves half an entry. */
  async put(key: string, data: Uint8Array | string): Promise<void> {
    const p = this.path(key);
    try {
      await mkdir(dirname(p), { recursive: true });
      const tmp = `${p}.${process.pid}.${Date.now()}.tmp`;
      await writeFile(tmp, data);
      await rename(tmp, p);
    } catch {
      // A read-only or full disk only costs the next run a download.
    }
  }

  putJson(key: string, value: unknown): Promise<void> {
    return this.put(key, JSON.stringify(value));
  }
}
