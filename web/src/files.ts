/**
 * Dropped files → a model description, read in the browser with File.slice: headers only for
 * safetensors and GGUF, the JSON for config.json and the index. Nothing is uploaded. ONNX keeps its
 * weights inside the protobuf, so an .onnx file is read whole — locally, in memory.
 * Several files can be dropped together (config.json + index / safetensors), as a model folder holds them.
 */
import { VramfitError } from "../../src/core/errors.js";
import type { ModelDescription } from "../../src/core/model.js";
import type { ByteSource } from "../../src/readers/byte-source.js";
import { modelFromCheckpoint, type Checkpoint } from "../../src/readers/checkpoint.js";
import { modelFromGguf, readGgufSource } from "../../src/readers/gguf.js";
import { MAX_ONNX_BYTES, readOnnxGraph } from "../../src/readers/onnx.js";
import { modelFromOnnx } from "../../src/readers/onnx-model.js";
import { MAX_INDEX_BYTES, parseSafetensorsIndex } from "../../src/readers/safetensors-index.js";
import { readSafetensorsHeader, type SafetensorsTensor } from "../../src/readers/safetensors.js";
import { onnxModelDescription } from "../../src/vision/family.js";
import type { Value } from "./fields.js";

const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

export interface DroppedModel {
  name: string;
  model: ModelDescription;
  /** What was read, for the note under the picker. */
  read: string;
}

/** A File as the readers' ByteSource: every read is a File.slice of the requested range. */
export function fileByteSource(file: Blob & { name: string }): ByteSource {
  let bytesRead = 0;
  return {
    name: file.name,
    size: file.size,
    get bytesRead() {
      return bytesRead;
    },
    async read(offset, length) {
      const buf = new Uint8Array(await file.slice(offset, Math.min(file.size, offset + length)).arrayBuffer());
      bytesRead += buf.length;
      return buf;
    },
    async close() {},
  };
}

async function readJson(file: File, limit: number): Promise<unknown> {
  if (file.size > limit) throw new VramfitError("invalid_file", `${file.name}: ${file.size} bytes is too large for a JSON file here`);
  try {
    return JSON.parse(await file.text());
  } catch (e) {
    throw new VramfitError("invalid_file", `${file.name}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
}

const kib = (n: number) => `${(n / 1024).toFixed(n < 10240 ? 1 : 0)} KiB`;

/** Reads dropped files (one model) into a description. */
export async function readDroppedFiles(files: File[]): Promise<DroppedModel> {
  if (files.length === 0) throw new VramfitError("invalid_file", "no file was dropped");
  const by = (re: RegExp) => files.filter((f) => re.test(f.name));
  const ggufs = by(/\.gguf$/i);
  const onnxs = by(/\.onnx$/i);
  const indexes = by(/\.safetensors\.index\.json$/i);
  const shards = by(/\.safetensors$/i);
  const configs = files.filter((f) => /\.json$/i.test(f.name) && !/\.safetensors\.index\.json$/i.test(f.name));

  if (ggufs.length > 0) {
    const f = ggufs[0];
    const src = fileByteSource(f);
    const g = await readGgufSource(src);
    const id = f.name.replace(/\.gguf$/i, "");
    const r = modelFromGguf(g, { id, source: { kind: "gguf", ref: f.name } });
    return { name: f.name, model: r.model, read: `GGUF header of ${f.name}: ${kib(src.bytesRead)} of ${kib(f.size)} read` };
  }
  if (onnxs.length > 0) {
    const f = onnxs[0];
    if (f.size > MAX_ONNX_BYTES) throw new VramfitError("invalid_file", `${f.name}: ${f.size} bytes exceeds the 2 GB protobuf limit`);
    const graph = readOnnxGraph(new Uint8Array(await f.arrayBuffer()), { name: f.name });
    const r = modelFromOnnx(graph, { kind: "onnx", ref: f.name }, f.name.replace(/\.onnx$/i, ""));
    return { name: f.name, model: onnxModelDescription(r), read: `ONNX graph of ${f.name} (${graph.nodes.length} nodes), read locally` };
  }

  const c: Checkpoint = { id: "model", source: { kind: "config", ref: "" }, provenance: {} };
  const parts: string[] = [];
  if (configs.length > 0) {
    const f = configs.find((x) => x.name === "config.json") ?? configs[0];
    c.config = await readJson(f, MAX_CONFIG_BYTES);
    c.id = f.name === "config.json" ? modelNameFromConfig(c.config) : f.name.replace(/\.json$/i, "");
    c.source = { kind: "config", ref: f.name };
    parts.push(f.name);
  }
  if (indexes.length > 0) {
    const f = indexes[0];
    if (f.size > MAX_INDEX_BYTES) throw new VramfitError("invalid_file", `${f.name}: index is ${f.size} bytes, over the limit`);
    c.index = parseSafetensorsIndex(new Uint8Array(await f.arrayBuffer()), f.name);
    if (!c.config) c.source = { kind: "safetensors", ref: f.name };
    parts.push(f.name);
  }
  if (shards.length > 0) {
    const tensors: SafetensorsTensor[] = [];
    let read = 0;
    for (const f of shards) {
      const src = fileByteSource(f);
      const h = await readSafetensorsHeader((o, l) => src.read(o, l), f.size, f.name);
      tensors.push(...h.tensors);
      read += src.bytesRead;
    }
    c.tensors = tensors;
    if (!c.config) {
      c.id = shards[0].name.replace(/\.safetensors$/i, "");
      c.source = { kind: "safetensors", ref: shards[0].name };
    }
    parts.push(`${shards.length} safetensors header${shards.length === 1 ? "" : "s"} (${kib(read)} read)`);
  }
  if (parts.length === 0) {
    throw new VramfitError("invalid_file", `${files[0].name}: unrecognized model file`, { suggestion: "drop config.json, *.safetensors, model.safetensors.index.json, *.gguf or *.onnx" });
  }
  const r = modelFromCheckpoint(c);
  const name = configs[0]?.name ?? indexes[0]?.name ?? shards[0]?.name ?? files[0].name;
  return { name: parts.length > 1 ? `${c.id} (${files.length} files)` : name === "config.json" ? `${c.id}/config.json` : name, model: r.model, read: `read in the browser: ${parts.join(", ")}` };
}

/** A readable id for a bare config.json: its _name_or_path, else its architecture. */
function modelNameFromConfig(cfg: unknown): string {
  const o = (cfg ?? {}) as Record<string, unknown>;
  if (typeof o._name_or_path === "string" && o._name_or_path) return o._name_or_path.split("/").pop()!;
  const arch = Array.isArray(o.architectures) && typeof o.architectures[0] === "string" ? o.architectures[0] : undefined;
  return arch ?? (typeof o.model_type === "string" ? o.model_type : "model");
}

/** A training framework's config dropped on the page: the model it names and the options it sets, as page fields. */
export interface DroppedConfig {
  name: string;
  /** A model spec the page resolves: a catalog id, or hf:<org/name> (read from the Hub on one click / automatically). */
  model: string | null;
  /** Page options (field keys and values) the files set, mode train and the framework included. */
  opts: Record<string, Value>;
  /** What was read, in one line, and what the page cannot show. */
  read: string;
  notes: string[];
}

/** Training configs are YAML, or JSON that is not a model's config.json / index (TrainingArguments, DeepSpeed). */
export function isTrainingConfigDrop(files: readonly File[]): boolean {
  if (files.length === 0) return false;
  return files.every((f) => /\.ya?ml$/i.test(f.name) || (/\.json$/i.test(f.name) && f.name !== "config.json" && !/\.safetensors\.index\.json$/i.test(f.name) && /(deepspeed|ds_|zero|trainer|training|args|sft|accelerate|fsdp|train)/i.test(f.name)));
}

/** Reads dropped training configs (the YAML parser, the config readers and the training stacks load only now). */
export async function readDroppedConfig(files: File[]): Promise<DroppedConfig> {
  // The training stacks declare the fields these files set: they load first (./estimator.ts).
  const [{ readConfigFiles, offlineModelSpec }, { configWorkload }, { FIELD_BY_KEY, parseFieldValue }] = await Promise.all([
    import("../../src/frameworks/config-estimate.js"),
    import("../../src/frameworks/config-workload.js"),
    import("./fields.js"),
    import("./engine.js").then((m) => m.ensureFull()),
  ]);
  const texts = await Promise.all(
    files.map(async (f) => {
      if (f.size > MAX_CONFIG_BYTES) throw new VramfitError("invalid_file", `${f.name}: ${f.size} bytes is too large for a training configuration`);
      return { name: f.name, text: await f.text() };
    }),
  );
  const reads = readConfigFiles(texts);
  const cw = configWorkload(reads);
  const notes: string[] = [...cw.unmodelled.map((u) => `not modelled: ${u.key} — ${u.why}`)];
  const opts: Record<string, Value> = {};
  const all: Record<string, unknown> = { ...cw.options, framework: cw.framework };
  for (const [k, v] of Object.entries(all)) {
    const f = FIELD_BY_KEY.get(k);
    const parsed = f && v !== null && v !== undefined ? parseFieldValue(f, String(v)) : undefined;
    if (parsed !== undefined) opts[k] = parsed;
    else if (v !== undefined && k !== "mode") notes.push(`${cw.origin[k]?.key ?? k} = ${String(v)}: not a field of this page (the CLI's --config reads it)`);
  }
  const m = offlineModelSpec(cw);
  let model: string | null = null;
  if (m?.resolved) {
    model = m.resolved;
    if (m.note) notes.unshift(m.note);
  } else if (m && /^[\w.-]+\/[\w.-]+$/.test(m.spec)) {
    model = `hf:${m.spec}`;
  } else if (m) {
    notes.unshift(`${m.spec}: not a model this page can read; pick it in the model box`);
  }
  const formats = cw.files.map((f) => `${f.name} (${f.format})`).join(" + ");
  return { name: files.map((f) => f.name).join(" + "), model, opts, read: `read in the browser: ${formats} → framework ${cw.framework}`, notes };
}
