/**
 * Local models: a folder (config.json + *.safetensors, with or without model.safetensors.index.json),
 * a single .safetensors file (its header only), an index file, or a config.json alone. GGUF and ONNX
 * files are handed to their readers by resolve.ts.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { VramfitError } from "../core/errors.js";
import type { ModelSource } from "../core/model.js";
import { fileSource } from "./byte-source.js";
import { type Checkpoint, type ConfigToModel, modelFromCheckpoint, type ReadModel } from "./checkpoint.js";
import type { ProgressFn } from "./progress.js";
import { runLimited } from "./progress.js";
import { parseSafetensorsIndex, type SafetensorsIndex } from "./safetensors-index.js";
import { readSafetensorsSource, type SafetensorsTensor } from "./safetensors.js";

export const MAX_CONFIG_BYTES = 10 * 1024 * 1024;

export interface LocalReadOptions {
  onProgress?: ProgressFn;
  /** A family that reads config.json itself (Checkpoint.configToModel). */
  configToModel?: ConfigToModel;
}

export interface LocalHeaders {
  tensors: SafetensorsTensor[];
  bytesRead: number;
  files: number;
}

/** Read the headers of local safetensors files (only the header bytes of each). */
export async function readLocalHeaders(paths: string[], onProgress?: ProgressFn, model?: string): Promise<LocalHeaders> {
  let bytesRead = 0;
  const perFile = await runLimited(
    paths.map((p) => async () => {
      const src = await fileSource(p);
      try {
        const h = await readSafetensorsSource(src);
        return h.tensors;
      } finally {
        bytesRead += src.bytesRead;
        await src.close();
      }
    }),
    16,
    (done) => onProgress?.({ phase: "headers", done, total: paths.length, bytes: bytesRead, model }),
  );
  return { tensors: perFile.flat(), bytesRead, files: paths.length };
}

export async function readJsonFile(path: string, what: string): Promise<unknown> {
  const s = await stat(path).catch(() => null);
  if (!s) throw new VramfitError("not_found", `${path}: no such file`);
  if (s.size > MAX_CONFIG_BYTES) throw new VramfitError("invalid_file", `${path}: ${what} is ${s.size} bytes, over the ${MAX_CONFIG_BYTES}-byte limit`);
  const text = await readFile(path, "utf8");
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new VramfitError("invalid_file", `${path}: ${what} is not valid JSON (${(e as Error).message})`);
  }
}

async function exists(p: string): Promise<boolean> {
  return (await stat(p).catch(() => null))?.isFile() ?? false;
}

/** A folder with config.json and/or safetensors files (and optionally the index). */
export async function readLocalFolder(dir: string, opts: LocalReadOptions = {}): Promise<ReadModel> {
  const entries = await readdir(dir).catch((e) => {
    throw new VramfitError("invalid_file", `cannot read folder ${dir}: ${(e as NodeJS.ErrnoException).code}`);
  });
  const configPath = join(dir, "config.json");
  const hasConfig = entries.includes("config.json");
  const indexName =
    entries.find((e) => e === "model.safetensors.index.json") ?? entries.find((e) => e.endsWith(".safetensors.index.json"));
  const shardFiles = pickSafetensors(entries.filter((e) => e.endsWith(".safetensors")).sort());
  if (!hasConfig && !indexName && shardFiles.length === 0) {
    throw new VramfitError("invalid_file", `${dir}: no config.json, *.safetensors or model.safetensors.index.json here`, { suggestion: "point vramfit at a model folder, a .safetensors/.gguf/.onnx file, or give a Hugging Face id" });
  }
  const id = basename(dir);
  const source: ModelSource = { kind: hasConfig ? "config" : "safetensors", ref: dir };
  const c: Checkpoint = { id, source, provenance: {}, configToModel: opts.configToModel };
  if (hasConfig) {
    c.config = await readJsonFile(configPath, "config.json");
    c.provenance!.config = configPath;
  }
  let files = shardFiles;
  if (indexName) {
    const indexPath = join(dir, indexName);
    c.index = await readIndexFile(indexPath);
    c.provenance!.index = indexPath;
    files = c.index.shards;
  }
  await attachHeaders(c, dir, files, opts);
  return modelFromCheckpoint(c);
}

async function readIndexFile(path: string): Promise<SafetensorsIndex> {
  const s = await stat(path);
  if (s.size > 200 * 1024 * 1024) throw new VramfitError("invalid_file", `${path}: index is ${s.size} bytes, over the limit`);
  return parseSafetensorsIndex(new Uint8Array(await readFile(path)), path);
}

/** Read the shard headers when every shard is present; otherwise fall back to config + index totals. */
async function attachHeaders(c: Checkpoint, dir: string, files: string[], opts: LocalReadOptions) {
  if (files.length === 0) return;
  const paths = files.map((f) => join(dir, f));
  const present = await Promise.all(paths.map(exists));
  const missing = files.filter((_, i) => !present[i]);
  if (missing.length > 0) {
    if (!c.config && !c.index) throw new VramfitError("invalid_file", `${dir}: shard files missing: ${missing.slice(0, 3).join(", ")}`);
    c.provenance!.headers = `not read: ${missing.length} of ${files.length} shard files are not in ${dir}`;
    return;
  }
  if (c.source.kind !== "config") c.source = { ...c.source, kind: "safetensors" };
  const h = await readLocalHeaders(paths, opts.onProgress, c.id);
  c.tensors = h.tensors;
  c.provenance!.headers = `${files.length} safetensors header${files.length === 1 ? "" : "s"} in ${dir}`;
  c.provenance!.shardsRead = files.length;
  c.provenance!.bytesRead = h.bytesRead;
}

/** One .safetensors file (header only), with a config.json beside it when there is one. */
export async function readLocalSafetensors(path: string, opts: LocalReadOptions = {}): Promise<ReadModel> {
  const dir = dirname(path);
  const c: Checkpoint = { id: basename(path).replace(/\.safetensors$/, ""), source: { kind: "safetensors", ref: path }, provenance: {} };
  const cfg = join(dir, "config.json");
  if (await exists(cfg)) {
    c.config = await readJsonFile(cfg, "config.json");
    c.provenance!.config = cfg;
    c.id = basename(dir);
  }
  const h = await readLocalHeaders([path], opts.onProgress, c.id);
  c.tensors = h.tensors;
  c.provenance!.headers = `safetensors header of ${path}`;
  c.provenance!.shardsRead = 1;
  c.provenance!.bytesRead = h.bytesRead;
  return modelFromCheckpoint(c);
}

/** A *.safetensors.index.json: config.json beside it, and the shard headers when the shards are there. */
export async function readLocalIndex(path: string, opts: LocalReadOptions = {}): Promise<ReadModel> {
  const dir = dirname(path);
  const c: Checkpoint = { id: basename(dir), source: { kind: "safetensors", ref: path }, provenance: { index: path } };
  c.index = await readIndexFile(path);
  const cfg = join(dir, "config.json");
  if (await exists(cfg)) {
    c.config = await readJsonFile(cfg, "config.json");
    c.provenance!.config = cfg;
    c.source = { kind: "config", ref: dir };
  }
  await attachHeaders(c, dir, c.index.shards, opts);
  return modelFromCheckpoint(c);
}

/** A config.json on its own (any file name, e.g. llama-config.json). */
export async function readLocalConfig(path: string, opts: LocalReadOptions = {}): Promise<ReadModel> {
  const config = await readJsonFile(path, "config.json");
  const name = basename(path) === "config.json" ? basename(dirname(path)) : basename(path).replace(/\.json$/, "");
  return modelFromCheckpoint({ id: name, source: { kind: "config", ref: path }, config, provenance: { config: path }, configToModel: opts.configToModel });
}

/**
 * Without an index, which .safetensors files make up the model: model.safetensors alone when present;
 * Mistral-style repos also ship consolidated.safetensors (the same weights in another layout), which
 * is skipped when other files exist, so nothing is counted twice.
 */
export function pickSafetensors(files: string[]): string[] {
  if (files.includes("model.safetensors")) return ["model.safetensors"];
  const rest = files.filter((f) => !f.startsWith("consolidated"));
  return rest.length > 0 ? rest : files;
}
