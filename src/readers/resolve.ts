/**
 * `<model>` as the user typed it → a ModelDescription. In order: a catalog id or HF id in the catalog
 * (offline), a parameter count ("7b", "1.5B", "350m"), a local path (folder or file, by extension and
 * magic bytes), an http(s) URL of a GGUF file, a Hub file (`org/name/file.gguf`), a Hub id (`org/name`,
 * optionally `@revision`). Anything else is an unknown catalog id, with suggestions.
 */
import { open, stat } from "node:fs/promises";
import { findCatalogModel } from "../catalog/models.js";
import { VramfitError } from "../core/errors.js";
import type { ModelDescription } from "../core/model.js";
import { parseParameterCount } from "../models/param-count.js";
import { resolveModelName } from "../models/resolve-name.js";
import type { ReadModel } from "./checkpoint.js";
import { modelFromGguf, readGguf } from "./gguf.js";
import { type HubOptions, isHubRepoId, readHubGguf, readHubModel } from "./hub.js";
import { readLocalConfig, readLocalFolder, readLocalIndex, readLocalSafetensors } from "./local.js";
import { readOnnxFile } from "./onnx-model.js";
import type { OnnxGraph } from "./onnx-types.js";
import { readdir } from "node:fs/promises";
import { join } from "node:path";

export interface ResolveOptions extends HubOptions {
  /** Names without I/O (built-in architectures, catalog ids, parameter counts); default: the catalog and parameter counts. */
  resolveName?: (spec: string) => ModelDescription;
  /** Turn an ONNX graph into the description its engine wants (default: the reader's generic description). */
  onnxToModel?: (read: ReadModel & { onnx: OnnxGraph }) => ModelDescription;
}

/** What was resolved, with the facts `inspect` shows and, for ONNX, the graph. */
export interface ResolvedModel extends ReadModel {
  /** How the spec was understood. */
  kind: "catalog" | "param-count" | "local" | "url" | "hub" | "hub-gguf";
  onnx?: OnnxGraph;
}

export async function resolveModel(spec: string, opts: ResolveOptions = {}): Promise<ModelDescription> {
  return (await resolveModelWithFacts(spec, opts)).model;
}

export async function resolveModelWithFacts(spec: string, opts: ResolveOptions = {}): Promise<ResolvedModel> {
  const s = spec.trim();
  if (!s) throw new VramfitError("unknown_model", "no model given", { suggestion: "give a catalog id (llama-3.1-8b), a Hugging Face id, a path, or a parameter count (7b)" });
  // Names first (no I/O): a built-in architecture, a catalog id, a parameter count.
  const byName = nameOrUndefined(s, opts);
  if (byName) {
    const entry = findCatalogModel(s);
    const kind = parseParameterCount(s) != null && !entry ? "param-count" : "catalog";
    const config =
      byName.family !== "transformer" && !entry
        ? `built-in ${byName.family} architecture: ${byName.id}`
        : entry
          ? `built-in catalog: ${entry.id}${byName.source.origin ? ` (from ${byName.source.origin})` : ""}`
          : undefined;
    return { kind, model: byName, facts: { provenance: config ? { config } : {} } };
  }
  const st = await stat(s).catch(() => null);
  if (st) return { kind: "local", ...(await readLocalPath(s, st.isDirectory(), opts)) };
  if (/^https?:\/\//i.test(s)) {
    if (!/\.gguf(\?.*)?$/i.test(s)) throw new VramfitError("unsupported", `${s}: only GGUF files can be read from a URL`, { suggestion: "for a Hub model give its id, e.g. Qwen/Qwen2.5-7B-Instruct" });
    const g = await readGguf(s);
    return { kind: "url", ...modelFromGguf(g, { source: { kind: "gguf", ref: s } }) };
  }
  const hubFile = /^([^/@\s]+\/[^/@\s]+)(?:@([^/\s]+))?\/(.+\.gguf)$/.exec(s);
  if (hubFile && isHubRepoId(hubFile[1])) {
    const r = await readHubGguf(hubFile[1], hubFile[3], { ...opts, revision: hubFile[2] ?? opts.revision });
    return { kind: "hub-gguf", model: r.model, facts: r.facts };
  }
  const hub = /^([^/@\s]+\/[^/@\s]+)(?:@([^/\s]+))?$/.exec(s);
  if (hub && isHubRepoId(hub[1])) {
    const r = await readHubModel(hub[1], { ...opts, revision: hub[2] ?? opts.revision });
    return { kind: "hub", model: r.model, facts: r.facts };
  }
  if (/^[./~]|\.(gguf|onnx|safetensors|json)$/i.test(s)) throw new VramfitError("not_found", `${s}: no such file or folder`);
  // Unknown: the catalog's error lists the closest ids.
  return { kind: "catalog", model: (opts.resolveName ?? resolveModelName)(s), facts: { provenance: {} } };
}

/** Sniff a file: GGUF by magic, safetensors by extension, ONNX by extension, JSON by content. */
async function readLocalPath(p: string, isDir: boolean, opts: ResolveOptions): Promise<ReadModel & { onnx?: OnnxGraph }> {
  if (isDir) {
    const entries = await readdir(p).catch(() => [] as string[]);
    const hasHf = entries.some((e) => e === "config.json" || e.endsWith(".safetensors") || e.endsWith(".safetensors.index.json"));
    if (!hasHf) {
      const gguf = entries.filter((e) => e.endsWith(".gguf")).sort();
      const onnx = entries.filter((e) => e.endsWith(".onnx")).sort();
      if (gguf.length === 1 || (gguf.length > 1 && gguf.every((g) => /-\d{5}-of-\d{5}\.gguf$/.test(g)))) return readLocalPath(join(p, gguf[0]), false, opts);
      if (gguf.length > 1) throw new VramfitError("invalid_option", `${p} holds several GGUF files`, { suggestion: `pick one: ${gguf.slice(0, 4).join(", ")}` });
      if (onnx.length === 1) return readLocalPath(join(p, onnx[0]), false, opts);
    }
    return readLocalFolder(p, { onProgress: opts.onProgress, configToModel: opts.configToModel });
  }
  const magic = await readMagic(p);
  if (magic === "GGUF") return modelFromGguf(await readGguf(p));
  if (/\.onnx$/i.test(p)) {
    const r = await readOnnxFile(p);
    return opts.onnxToModel ? { ...r, model: opts.onnxToModel(r) } : r;
  }
  if (/\.safetensors$/i.test(p)) return readLocalSafetensors(p, { onProgress: opts.onProgress });
  if (/\.index\.json$/i.test(p)) return readLocalIndex(p, { onProgress: opts.onProgress });
  if (/\.json$/i.test(p)) return readLocalConfig(p, { configToModel: opts.configToModel });
  if (/\.gguf$/i.test(p)) throw new VramfitError("invalid_file", `${p}: not a GGUF file (it does not start with "GGUF")`);
  throw new VramfitError("unsupported", `${p}: unrecognized model file`, { suggestion: "vramfit reads config.json, *.safetensors, *.safetensors.index.json, *.gguf and *.onnx" });
}

async function readMagic(p: string): Promise<string> {
  const fh = await open(p, "r");
  try {
    const b = new Uint8Array(4);
    const { bytesRead } = await fh.read(b, 0, 4, 0);
    return new TextDecoder("latin1").decode(b.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}

/** A name the resolver knows, or undefined (unknown names fall through to files and the Hub). */
function nameOrUndefined(s: string, opts: ResolveOptions): ModelDescription | undefined {
  try {
    return (opts.resolveName ?? resolveModelName)(s);
  } catch (e) {
    if (e instanceof VramfitError && e.code === "unknown_model") return undefined;
    throw e;
  }
}
