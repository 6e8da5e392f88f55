/**
 * Hugging Face Hub reader: config.json, model.safetensors.index.json and the header of every shard,
 * fetched with HTTP range requests (never the weights). Repository listing and small files go
 * through @huggingface/hub (modelInfo, downloadFile); shard headers use one range request each (two
 * when a header is larger than the first read), instead of the library's probe + length + header
 * round trips. Honours HF_ENDPOINT (mirrors) and HF_TOKEN; caches every fetched byte on disk so a
 * second run is offline; maps 401/403/404/429 and network failures to one-line errors.
 */
import { downloadFile, InvalidApiResponseFormatError, modelInfo } from "@huggingface/hub";
import { VramfitError } from "../core/errors.js";
import { type Checkpoint, type ConfigToModel, modelFromCheckpoint, type ReadModel } from "./checkpoint.js";
import { DiskCache, defaultCacheDir } from "./disk-cache.js";
import { hubHttpError, hubNetworkError } from "./hub-errors.js";
import type { ProgressFn } from "./progress.js";
import { runLimited } from "./progress.js";
import { assertSafeShardName, parseSafetensorsIndex, type SafetensorsIndex } from "./safetensors-index.js";
import { readSafetensorsHeader, type SafetensorsTensor } from "./safetensors.js";
import { modelFromGguf, readGguf } from "./gguf.js";
import { pickSafetensors } from "./local.js";
import { readBodyRange } from "./byte-source.js";

export const DEFAULT_HUB_ENDPOINT = "https://huggingface.co";
/** First range read per shard: one round trip for typical headers (10-30 KB for a 70B shard); larger headers take a second. */
const HEADER_PREFETCH_BYTES = 32 * 1024;
const MAX_SMALL_FILE_BYTES = 200 * 1024 * 1024;

export interface HubOptions {
  /** Hub or mirror URL; default $HF_ENDPOINT or https://huggingface.co. */
  endpoint?: string;
  /** Access token; default $HF_TOKEN (or $HUGGING_FACE_HUB_TOKEN). */
  token?: string;
  revision?: string;
  /** Cache folder, or false to disable; default $VRAMFIT_CACHE_DIR or ~/.cache/vramfit. */
  cacheDir?: string | false;
  /** Ignore cached entries and fetch again. */
  refresh?: boolean;
  /** Never touch the network ($HF_HUB_OFFLINE=1): cache only. */
  offline?: boolean;
  /** Per-request timeout; default 30 s. */
  timeoutMs?: number;
  /** Parallel header requests; default 8. */
  concurrency?: number;
  fetch?: typeof fetch;
  onProgress?: ProgressFn;
  env?: NodeJS.ProcessEnv;
  /** A family that reads config.json itself (Checkpoint.configToModel). */
  configToModel?: ConfigToModel;
}

interface Settings {
  endpoint: string;
  token: string | undefined;
  revision: string;
  cache: DiskCache | null;
  refresh: boolean;
  offline: boolean;
  timeoutMs: number;
  concurrency: number;
  baseFetch: typeof fetch;
  onProgress?: ProgressFn;
  configToModel?: ConfigToModel;
}

export function hubSettings(opts: HubOptions = {}): Settings {
  const env = opts.env ?? process.env;
  const cacheDir = opts.cacheDir === undefined ? defaultCacheDir(env) : opts.cacheDir;
  return {
    endpoint: (opts.endpoint ?? env.HF_ENDPOINT ?? DEFAULT_HUB_ENDPOINT).replace(/\/+$/, ""),
    token: opts.token ?? env.HF_TOKEN ?? env.HUGGING_FACE_HUB_TOKEN ?? undefined,
    revision: opts.revision ?? "main",
    cache: cacheDir === false ? null : new DiskCache(cacheDir),
    refresh: opts.refresh ?? false,
    offline: opts.offline ?? (env.HF_HUB_OFFLINE === "1" || env.HF_HUB_OFFLINE === "true"),
    timeoutMs: opts.timeoutMs ?? 30_000,
    concurrency: opts.concurrency ?? 8,
    baseFetch: opts.fetch ?? fetch,
    onProgress: opts.onProgress,
    configToModel: opts.configToModel,
  };
}

/** `org/name` as the Hub spells repo ids (letters, digits, - _ .; no "..", no leading dot). */
export function isHubRepoId(s: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}\/[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$/.test(s) && !s.includes("..");
}

interface Snapshot {
  repo: string;
  revision: string;
  sha?: string;
  files: string[];
  shards: string[];
  hasConfig: boolean;
  indexFile?: string;
}

interface CachedHeader {
  size: number | null;
  /** base64 of the 8-byte length + JSON header. */
  header: string;
}

/** Bytes and requests that went over the network in one read (for benchmarks and tests). */
export interface HubTransfer {
  requests: number;
  bytes: number;
  fromCache: boolean;
}

export async function readHubModel(repo: string, opts: HubOptions = {}): Promise<ReadModel & { transfer: HubTransfer }> {
  if (!isHubRepoId(repo)) throw new VramfitError("invalid_option", `"${repo}" is not a Hugging Face model id (org/name)`);
  const s = hubSettings(opts);
  const reader = new HubReader(repo, s);
  return reader.read();
}

class HubReader {
  private readonly keyBase: string;
  readonly transfer: HubTransfer = { requests: 0, bytes: 0, fromCache: true };

  constructor(
    private readonly repo: string,
    private readonly s: Settings,
  ) {
    let host: string;
    try {
      host = new URL(s.endpoint).host;
    } catch {
      throw new VramfitError("invalid_option", `HF_ENDPOINT "${s.endpoint}" is not a URL`);
    }
    this.keyBase = `hub/${host}/${repo}/${s.revision}`;
  }

  async read(): Promise<ReadModel & { transfer: HubTransfer }> {
    const snap = await this.snapshot();
    const c: Checkpoint = {
      id: this.repo,
      hfId: this.repo,
      source: { kind: "hub", ref: this.repo, origin: `${this.s.endpoint}/${this.repo}@${snap.sha ?? this.s.revision}` },
      provenance: {},
      configToModel: this.s.configToModel,
    };
    const where = `${this.s.endpoint}/${this.repo}`;
    if (snap.hasConfig) {
      const text = await this.file("config.json");
      try {
        c.config = JSON.parse(text);
      } catch (e) {
        throw new VramfitError("invalid_file", `${where}: config.json is not valid JSON (${(e as Error).message})`);
      }
      c.provenance!.config = `${where}/blob/${snap.sha ?? this.s.revision}/config.json`;
    }
    let index: SafetensorsIndex | undefined;
    if (snap.indexFile) {
      index = parseSafetensorsIndex(await this.file(snap.indexFile), `${this.repo}/${snap.indexFile}`);
      c.index = index;
      c.provenance!.index = `${where}/blob/${snap.sha ?? this.s.revision}/${snap.indexFile}`;
    }
    const shards = index ? index.shards.map((f) => prefixOf(snap.indexFile!) + f) : snap.shards;
    if (!snap.hasConfig && shards.length === 0) {
      const ggufs = snap.files.filter((f) => f.endsWith(".gguf"));
      if (ggufs.length > 0) {
        throw new VramfitError("unsupported", `${this.repo} holds GGUF files, not a transformers checkpoint`, { suggestion: `pick one: ${ggufs.slice(0, 4).map((f) => `${this.repo}/${f}`).join(", ")}${ggufs.length > 4 ? ", ..." : ""}` });
      }
      throw new VramfitError("invalid_file", `${this.repo} has neither config.json nor safetensors weights`);
    }
    if (shards.length > 0) {
      const before = this.transfer.bytes;
      c.tensors = await this.headers(shards);
      c.provenance!.headers = `${shards.length} safetensors header${shards.length === 1 ? "" : "s"} by HTTP range requests`;
      c.provenance!.shardsRead = shards.length;
      c.provenance!.bytesRead = this.transfer.bytes - before;
    }
    const out = modelFromCheckpoint(c);
    if (!snap.hasConfig) out.model.warnings.push(`${this.repo} has no config.json`);
    if (shards.length === 0) out.model.warnings.push(`${this.repo} has no safetensors files: parameters come from config.json shapes`);
    return { ...out, transfer: this.transfer };
  }

  /** The repository's file list and commit, from the cache or /api/models/{repo}/revision/{rev}. */
  private async snapshot(): Promise<Snapshot> {
    const key = `${this.keyBase}/snapshot.json`;
    const cached = !this.s.refresh ? await this.s.cache?.getJson<Snapshot>(key) : undefined;
    if (cached && Array.isArray(cached.files) && Array.isArray(cached.shards)) return cached;
    this.online("the file list");
    const info = await modelInfo({
      name: this.repo,
      revision: this.s.revision,
      hubUrl: this.s.endpoint,
      fetch: this.fetchFor("the file list"),
      additionalFields: ["filePaths", "sha"],
    }).catch((e) => {
      throw this.wrap(e, "the file list");
    });
    const files = (info.filePaths ?? []).filter((f): f is string => typeof f === "string");
    const indexFile =
      files.find((f) => f === "model.safetensors.index.json") ?? files.find((f) => !f.includes("/") && f.endsWith(".safetensors.index.json"));
    const rootSafetensors = files.filter((f) => !f.includes("/") && f.endsWith(".safetensors"));
    const shards = indexFile ? [] : pickSafetensors(rootSafetensors);
    for (const f of shards) assertSafeShardName(f);
    const snap: Snapshot = {
      repo: this.repo,
      revision: this.s.revision,
      sha: typeof info.sha === "string" ? info.sha : undefined,
      files: files.slice(0, 10_000),
      shards,
      hasConfig: files.includes("config.json"),
      indexFile,
    };
    await this.s.cache?.putJson(key, snap);
    return snap;
  }

  private online(what: string) {
    this.transfer.fromCache = false;
    if (this.s.offline) {
      throw new VramfitError("network", `Hugging Face Hub: ${this.repo} (${what}) is not in the cache and offline mode is on (HF_HUB_OFFLINE)`, { suggestion: "run once with network access, or unset HF_HUB_OFFLINE" });
    }
  }

  /** A small repo file (config, index) as text, cached. */
  private async file(path: string): Promise<string> {
    const key = `${this.keyBase}/files/${path}`;
    const cached = !this.s.refresh ? await this.s.cache?.get(key) : undefined;
    if (cached) return new TextDecoder().decode(cached);
    this.online(path);
    let text: string;
    try {
      const blob = await downloadFile({
        repo: this.repo,
        path,
        revision: this.s.revision,
        hubUrl: this.s.endpoint,
        fetch: this.fetchFor(path),
        xet: false,
      });
      if (!blob) throw new VramfitError("hub_http", `Hugging Face Hub: ${this.repo} has no file ${path}`);
      if (blob.size > MAX_SMALL_FILE_BYTES) throw new VramfitError("invalid_file", `${this.repo}/${path} is ${blob.size} bytes, over the limit`);
      text = await blob.text();
    } catch (e) {
      // Mirrors without Range support answer the library's size probe with a plain 200, which it
      // rejects ("Expected size information"); a plain capped GET works there.
      if (!(e instanceof InvalidApiResponseFormatError)) throw this.wrap(e, path);
      const got = await this.range(this.resolveUrl(path), 0, MAX_SMALL_FILE_BYTES, path);
      text = new TextDecoder().decode(got.bytes);
    }
    await this.s.cache?.put(key, text);
    return text;
  }

  private async headers(shards: string[]): Promise<SafetensorsTensor[]> {
    const total = shards.length;
    const per = await runLimited(
      shards.map((f) => () => this.header(f)),
      this.s.concurrency,
      (done) => this.s.onProgress?.({ phase: "headers", done, total, bytes: this.transfer.bytes, model: this.repo }),
    );
    return per.flat();
  }

  private async header(file: string): Promise<SafetensorsTensor[]> {
    const key = `${this.keyBase}/headers/${file}.json`;
    const name = `${this.repo}/${file}`;
    const cached = !this.s.refresh ? await this.s.cache?.getJson<CachedHeader>(key) : undefined;
    if (cached && typeof cached.header === "string") {
      const raw = Buffer.from(cached.header, "base64");
      const h = await readSafetensorsHeader(async (o, l) => raw.subarray(o, o + l), cached.size ?? undefined, name);
      return h.tensors;
    }
    this.online(file);
    const url = this.resolveUrl(file);
    const first = await this.range(url, 0, HEADER_PREFETCH_BYTES, file);
    let buf = first.bytes;
    const size = first.total;
    const read = async (o: number, l: number) => {
      if (o + l > buf.length && (size === undefined || buf.length < size)) {
        const more = await this.range(url, buf.length, o + l, file);
        const joined = new Uint8Array(buf.length + more.bytes.length);
        joined.set(buf);
        joined.set(more.bytes, buf.length);
        buf = joined;
      }
      return buf.subarray(o, Math.min(buf.length, o + l));
    };
    const h = await readSafetensorsHeader(read, size, name);
    const entry: CachedHeader = { size: size ?? null, header: Buffer.from(buf.subarray(0, h.headerBytes)).toString("base64") };
    await this.s.cache?.putJson(key, entry);
    return h.tensors;
  }

  private resolveUrl(file: string): string {
    return `${this.s.endpoint}/${this.repo}/resolve/${encodeURIComponent(this.s.revision)}/${file.split("/").map(encodeURIComponent).join("/")}`;
  }

  /** Bytes [start, end) of a file by a Range request; reads at most end-start bytes even if the server sends more. */
  private async range(url: string, start: number, end: number, what: string): Promise<{ bytes: Uint8Array; total?: number }> {
    const resp = await this.fetchFor(what)(url, { headers: { Range: `bytes=${start}-${end - 1}` } });
    // An HTTP error is never file content (issue #15): fetchFor lets EntryNotFound 404s through for "file absent" checks.
    if (!resp.ok && resp.status !== 416) {
      await resp.body?.cancel().catch(() => {});
      throw hubHttpError(resp.status, resp.headers, this.s.endpoint, this.repo, what);
    }
    if (resp.status === 416) {
      await resp.body?.cancel();
      const total = Number(resp.headers.get("content-range")?.split("/").pop());
      return { bytes: new Uint8Array(0), total: Number.isSafeInteger(total) ? total : undefined };
    }
    let total: number | undefined;
    let skip = 0;
    if (resp.status === 206) {
      const m = /bytes (\d+)-(\d+)\/(\d+|\*)/.exec(resp.headers.get("content-range") ?? "");
      if (!m || Number(m[1]) !== start) {
        await resp.body?.cancel();
        throw new VramfitError("hub_http", `Hugging Face Hub: bad Content-Range for ${what}: ${resp.headers.get("content-range")}`);
      }
      total = m[3] === "*" ? undefined : Number(m[3]);
    } else {
      // 200: the server ignored Range. Read only up to `end` from the stream, then hang up.
      const len = Number(resp.headers.get("content-length"));
      total = Number.isSafeInteger(len) ? len : undefined;
      skip = start;
    }
    const bytes = await readBodyRange(resp, skip, end - start);
    this.transfer.bytes += bytes.length;
    return { bytes, total };
  }

  /** fetch with timeout, token, request counting and error mapping. */
  private fetchFor(what: string): typeof fetch {
    const s = this.s;
    return (async (input: RequestInfo | URL, init?: RequestInit) => {
      const headers = new Headers(init?.headers);
      if (s.token && !headers.has("authorization")) headers.set("authorization", `Bearer ${s.token}`);
      this.transfer.requests++;
      let resp: Response;
      try {
        resp = await s.baseFetch(input, { ...init, headers, signal: AbortSignal.timeout(s.timeoutMs) });
      } catch (e) {
        throw hubNetworkError(e, s.endpoint, s.timeoutMs);
      }
      if (resp.ok || resp.status === 416) return resp;
      // fileDownloadInfo turns this one into "file absent".
      if (resp.status === 404 && resp.headers.get("x-error-code") === "EntryNotFound" && what !== "the file list") return resp;
      await resp.body?.cancel().catch(() => {});
      throw hubHttpError(resp.status, resp.headers, s.endpoint, this.repo, what === "the file list" ? s.revision : what);
    }) as typeof fetch;
  }

  private wrap(e: unknown, what: string): VramfitError {
    if (e instanceof VramfitError) return e;
    return new VramfitError("network", `Hugging Face Hub: reading ${what} of ${this.repo} failed: ${(e as Error)?.message ?? String(e)}`);
  }
}

function prefixOf(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i + 1);
}


/**
 * One GGUF file of a Hub repository (`org/name/path/file.gguf`), read by range requests; the resulting
 * description is cached so a second run is offline.
 */
export async function readHubGguf(repo: string, file: string, opts: HubOptions = {}): Promise<ReadModel & { transfer: HubTransfer }> {
  if (!isHubRepoId(repo)) throw new VramfitError("invalid_option", `"${repo}" is not a Hugging Face model id (org/name)`);
  assertSafeShardName(file);
  const s = hubSettings(opts);
  const host = new URL(s.endpoint).host;
  const key = `hub/${host}/${repo}/${s.revision}/gguf/${file}.json`;
  const cached = !s.refresh ? await s.cache?.getJson<ReadModel>(key) : undefined;
  if (cached?.model && cached.facts) return { ...cached, transfer: { requests: 0, bytes: 0, fromCache: true } };
  if (s.offline) throw new VramfitError("network", `Hugging Face Hub: ${repo}/${file} is not in the cache and offline mode is on (HF_HUB_OFFLINE)`);
  const url = `${s.endpoint}/${repo}/resolve/${encodeURIComponent(s.revision)}/${file.split("/").map(encodeURIComponent).join("/")}`;
  let requests = 0;
  const counting = (async (input: RequestInfo | URL, init?: RequestInit) => {
    requests++;
    try {
      return await s.baseFetch(input, init);
    } catch (e) {
      throw hubNetworkError(e, s.endpoint, s.timeoutMs);
    }
  }) as typeof fetch;
  const g = await readGguf(url, {
    fetch: counting,
    headers: s.token ? { authorization: `Bearer ${s.token}` } : {},
    onHttpError: (status, headers) => hubHttpError(status, headers, s.endpoint, repo, file),
  });
  const out = modelFromGguf(g, { id: `${repo}/${file}`, source: { kind: "gguf", ref: `${repo}/${file}`, origin: url } });
  out.model.hfId = repo;
  await s.cache?.putJson(key, out);
  return { ...out, transfer: { requests, bytes: g.bytesRead, fromCache: false } };
}
