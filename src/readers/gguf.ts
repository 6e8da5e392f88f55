/**
 * GGUF reader (llama.cpp, Ollama, LM Studio files): metadata and tensor table with @huggingface/gguf,
 * turned into a ModelDescription whose tensor groups carry their real ggml type ("q4_k", "q6_k",
 * "fp32"), so weight bytes are exact. Keys as written by llama.cpp's convert_hf_to_gguf.py
 * (gguf-py/gguf/constants.py): {arch}.block_count, .embedding_length, .attention.head_count(_kv), ...
 *
 * Guards around the library: it caps counts and string lengths, but past the end of a file it reads
 * zeros (its buffer grows in 2 MB steps), so a truncated file or a huge tensor count would parse as
 * garbage. Here every byte comes from a ByteSource that refuses reads past the end, the declared
 * counts are checked against the file size before parsing, the parse has a deadline, and every
 * tensor's type, shape and data range is checked after.
 */
import { gguf, type GGUFParseOutput } from "@huggingface/gguf";
import { VramfitError } from "../core/errors.js";
import type { ModelDescription, ModelSource, TensorGroup } from "../core/model.js";
import { countParameters } from "../core/model.js";
import { type ByteSource, fileSource, httpSource, readExact } from "./byte-source.js";
import type { CheckpointFacts, ReadModel } from "./checkpoint.js";
import { dtypeOfGgmlType, storedBytes } from "../core/dtypes.js";
import { ggmlTypeName, ggufFileTypeName } from "../ggml/enums.js";
import { transformerShapeFromGguf } from "../ggml/shape.js";
import { ggmlRowFits } from "../ggml/types.js";
import { namePattern } from "./tensor-groups.js";
import { lookup } from "../core/lookup.js";

export const MAX_GGUF_TENSORS = 1_000_000;
export const MAX_GGUF_KVS = 100_000;
const MIN_TENSOR_INFO_BYTES = 24; // name length u64 + n_dims u32 + type u32 + offset u64 (GGUF v2/v3)
const MIN_KV_BYTES = 13; // key length u64 + value type u32 + one byte of value

export interface GgufTensor {
  name: string;
  /** vramfit dtype: q4_k, q6_k, fp32, fp16, bf16 ... */
  dtype: string;
  /** PyTorch order (outermost first): ggml's ne[] reversed, so a linear weight is [out, in]. */
  shape: number[];
  numel: number;
  byteLength: number;
}

export interface GgufFile {
  name: string;
  version: number;
  size: number;
  metadata: Record<string, unknown>;
  tensors: GgufTensor[];
  /** Bytes of the file read to get all this. */
  bytesRead: number;
}

export interface GgufReadOptions {
  /** Deadline for the whole parse; default 20 s (local files take milliseconds). */
  timeoutMs?: number;
  fetch?: typeof fetch;
  headers?: Record<string, string>;
  onHttpError?: (status: number, headers: Headers) => Error;
}

/** Parse the metadata and tensor table of a GGUF file from any ByteSource. */
export async function readGgufSource(src: ByteSource, opts: GgufReadOptions = {}): Promise<GgufFile> {
  const size = src.size;
  const name = src.name;
  const fail = (msg: string): never => {
    throw new VramfitError("invalid_file", `${name}: not a valid GGUF file: ${msg}`);
  };
  if (size === undefined) fail("its size is unknown (the server sent no Content-Range)");
  const head = await readExact(src, 0, Math.min(24, size!), "the GGUF header");
  if (head.length < 8 || head[0] !== 0x47 || head[1] !== 0x47 || head[2] !== 0x55 || head[3] !== 0x46) fail('it does not start with "GGUF"');
  const dv = new DataView(head.buffer, head.byteOffset, head.length);
  const le = (dv.getUint32(4, true) & 0xffff) !== 0;
  const version = dv.getUint32(4, le);
  if (version < 2 || version > 3) fail(`unsupported version ${version} (vramfit reads GGUF v2 and v3)`);
  if (head.length < 24) fail("the file is truncated inside the header");
  const tensorCount = dv.getBigUint64(8, le);
  const kvCount = dv.getBigUint64(16, le);
  if (tensorCount > BigInt(MAX_GGUF_TENSORS)) fail(`it declares ${tensorCount} tensors (limit ${MAX_GGUF_TENSORS})`);
  if (kvCount > BigInt(MAX_GGUF_KVS)) fail(`it declares ${kvCount} metadata keys (limit ${MAX_GGUF_KVS})`);
  const minBytes = 24 + Number(tensorCount) * MIN_TENSOR_INFO_BYTES + Number(kvCount) * MIN_KV_BYTES;
  if (minBytes > size!) fail(`it declares ${tensorCount} tensors and ${kvCount} keys, which need at least ${minBytes} bytes, but the file has only ${size} (truncated or corrupt)`);

  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  // @huggingface/gguf reads through `fetch` with Range headers; serve those from the ByteSource.
  const rangeFetch = (async (_input: RequestInfo | URL, init?: RequestInit) => {
    if (Date.now() > deadline) throw new VramfitError("invalid_file", `${name}: reading the GGUF metadata took longer than ${(opts.timeoutMs ?? 20_000) / 1000} s`);
    const range = new Headers(init?.headers).get("range") ?? "";
    const m = /^bytes=(\d+)-(\d+)$/.exec(range);
    if (!m) throw new VramfitError("invalid_file", `${name}: unexpected read request`);
    const start = Number(m[1]);
    // The library prefetches the next 2 MB chunk before it needs it, so a read past the end is not
    // an error by itself; it pads with zeros, and the check on tensorInfoByteRange below catches any
    // parse that ran into that padding.
    const bytes = start >= size! ? new Uint8Array(0) : await src.read(start, Math.min(Number(m[2]) + 1, size!) - start);
    return new Response(bytes as unknown as BodyInit, {
      status: 206,
      headers: { "content-range": `bytes ${start}-${start + bytes.length - 1}/${size}` },
    });
  }) as typeof fetch;

  let parsed: GGUFParseOutput;
  try {
    parsed = await gguf("http://gguf.invalid/file.gguf", { fetch: rangeFetch });
  } catch (e) {
    if (e instanceof VramfitError) throw e;
    // Any failure after reading into the zero padding is a truncated file, whatever the library says.
    const ended = src.bytesRead >= size! ? " (the file ends before its metadata does: truncated?)" : "";
    return fail(`${(e as Error).message}${ended}`);
  }
  const [, infoEnd] = parsed.tensorInfoByteRange;
  if (infoEnd > size!) fail(`the file is truncated: its tensor table ends at byte ${infoEnd}, past the end (${size})`);
  const dataStart = Number(parsed.tensorDataOffset);

  const metadata: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(parsed.metadata)) {
    if (k.includes("\uFFFD")) fail("a metadata key is not valid UTF-8");
    metadata[k] = v;
  }
  const tensors: GgufTensor[] = [];
  const ranges: [number, number, string][] = [];
  for (const t of parsed.tensorInfos) {
    if (t.name.includes("\uFFFD")) fail("a tensor name is not valid UTF-8");
    const ggmlType = ggmlTypeName(t.dtype);
    if (!ggmlType) fail(`tensor "${t.name}" has unknown ggml type ${t.dtype}`);
    const dtype = dtypeOfGgmlType(ggmlType!);
    const shape = t.shape.map(Number).reverse();
    let numel = 1;
    for (const d of shape) {
      if (!Number.isSafeInteger(d) || d <= 0) fail(`tensor "${t.name}" has an invalid dimension ${d}`);
      numel *= d;
      if (!Number.isSafeInteger(numel)) fail(`tensor "${t.name}" has a shape whose element count overflows`);
    }
    if (!ggmlRowFits(ggmlType!, shape[shape.length - 1] ?? 1)) fail(`tensor "${t.name}" has rows of ${shape[shape.length - 1]} values, not whole ${ggmlType} blocks`);
    const byteLength = storedBytes(dtype, shape);
    if (byteLength === undefined) fail(`tensor "${t.name}" has unsupported type ${dtype}`);
    const offset = Number(t.offset);
    if (!Number.isSafeInteger(offset) || dataStart + offset + byteLength! > size!) {
      fail(`tensor "${t.name}" (${byteLength} bytes at data offset ${t.offset}) lies past the end of the file (${size} bytes)`);
    }
    tensors.push({ name: t.name, dtype, shape, numel, byteLength: byteLength! });
    ranges.push([offset, offset + byteLength!, t.name]);
  }
  // Tensor data must not overlap: a hostile table could otherwise claim more weights than the file holds.
  ranges.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < ranges.length; i++) {
    if (ranges[i][0] < ranges[i - 1][1]) fail(`tensors "${ranges[i - 1][2]}" and "${ranges[i][2]}" overlap in the data section`);
  }
  return { name, version, size: size!, metadata, tensors, bytesRead: src.bytesRead };
}

/** A local path or an http(s) URL; split files (name-00001-of-00003.gguf) are read shard by shard. */
export async function readGguf(pathOrUrl: string, opts: GgufReadOptions = {}): Promise<GgufFile> {
  const shards = splitShardNames(pathOrUrl);
  const files: GgufFile[] = [];
  for (const p of shards) {
    const src = /^https?:\/\//.test(p) ? await httpSource(p, { fetch: opts.fetch, headers: opts.headers, onHttpError: opts.onHttpError }) : await fileSource(p);
    try {
      files.push(await readGgufSource(src, opts));
    } finally {
      await src.close();
    }
  }
  const first = files[0];
  return {
    ...first,
    name: pathOrUrl,
    size: files.reduce((a, f) => a + f.size, 0),
    tensors: files.flatMap((f) => f.tensors),
    bytesRead: files.reduce((a, f) => a + f.bytesRead, 0),
  };
}

/** llama.cpp's gguf-split names: prefix-00001-of-00004.gguf; any shard given reads them all. */
export function splitShardNames(p: string): string[] {
  const m = /^(.*)-(\d{5})-of-(\d{5})\.gguf$/.exec(p);
  if (!m) return [p];
  const total = Number(m[3]);
  if (total < 1 || total > 1000) throw new VramfitError("invalid_file", `${p}: implausible shard count ${total}`);
  return Array.from({ length: total }, (_, i) => `${m[1]}-${String(i + 1).padStart(5, "0")}-of-${m[3]}.gguf`);
}

/** GGUF tensor base names → the module names transformers/PEFT use, so LoRA and quantization rules apply. */
const GGUF_MODULES: Record<string, string> = {
  token_embd: "embed_tokens",
  output: "lm_head",
  output_norm: "norm",
  attn_q: "q_proj",
  attn_k: "k_proj",
  attn_v: "v_proj",
  attn_qkv: "qkv_proj",
  attn_output: "o_proj",
  attn_norm: "input_layernorm",
  ffn_norm: "post_attention_layernorm",
  ffn_gate: "gate_proj",
  ffn_up: "up_proj",
  ffn_down: "down_proj",
  ffn_gate_exps: "gate_proj",
  ffn_up_exps: "up_proj",
  ffn_down_exps: "down_proj",
  ffn_gate_shexp: "gate_proj",
  ffn_up_shexp: "up_proj",
  ffn_down_shexp: "down_proj",
  ffn_gate_inp: "gate",
  attn_q_a: "q_a_proj",
  attn_q_b: "q_b_proj",
  attn_kv_a_mqa: "kv_a_proj_with_mqa",
  attn_kv_b: "kv_b_proj",
};

function ggufKind(base: string, suffix: string, rank: number): TensorGroup["kind"] {
  if (base === "token_embd" || base === "position_embd" || base === "token_types") return "embedding";
  if (base === "output") return "lm_head";
  if (base.endsWith("norm")) return "norm";
  if (base === "ffn_gate_inp") return "router";
  if (suffix === "bias") return "bias";
  return rank >= 2 ? "linear" : "other";
}

/** GGUF tensors → groups. Merged expert tensors [E, out, in] become E tensors of [out, in] marked expert. */
export function groupGgufTensors(tensors: GgufTensor[]): TensorGroup[] {
  const groups = new Map<string, TensorGroup>();
  for (const t of tensors) {
    const parts = t.name.split(".");
    const suffix = parts[parts.length - 1];
    const base = parts.length >= 2 ? parts[parts.length - 2] : parts[0];
    const merged = base.endsWith("_exps") && t.shape.length === 3;
    const shape = merged ? t.shape.slice(1) : t.shape;
    const n = merged ? t.shape[0] : 1;
    const pattern = merged ? namePattern(t.name).replace(/_exps\./, "_exps.{E}.") : namePattern(t.name);
    const key = `${pattern}|${shape.join("x")}|${t.dtype}`;
    const g = groups.get(key);
    if (g) {
      g.count += n;
      continue;
    }
    const group: TensorGroup = {
      name: pattern,
      module: lookup(GGUF_MODULES, base) ?? base,
      kind: ggufKind(base, suffix, shape.length),
      shape,
      count: n,
      dtype: t.dtype,
    };
    if (base.endsWith("_exps")) group.expert = true;
    groups.set(key, group);
  }
  return [...groups.values()];
}

function num(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "bigint" && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  return undefined;
}

export interface GgufModelOptions {
  id?: string;
  source?: ModelSource;
}

/** The description of a GGUF model: shapes from metadata, tensors (with their ggml types) from the tensor table. */
export function modelFromGguf(file: GgufFile, opts: GgufModelOptions = {}): ReadModel {
  const md = file.metadata;
  const arch = typeof md["general.architecture"] === "string" ? (md["general.architecture"] as string) : undefined;
  if (!arch) throw new VramfitError("invalid_file", `${file.name}: GGUF file without general.architecture`);
  if (file.tensors.length === 0) {
    throw new VramfitError("invalid_file", `${file.name}: this GGUF file has no tensors (a vocabulary-only file?): nothing to estimate`);
  }
  const tensors = groupGgufTensors(file.tensors);
  const { shape, warnings } = transformerShapeFromGguf(md, { tensors: file.tensors, name: file.name });
  const moe = shape.moe;

  const parameters = countParameters(tensors);
  const expertParams = countParameters(tensors.filter((t) => t.expert));
  const activeParameters = moe ? parameters - expertParams + Math.round((expertParams * moe.expertsPerToken) / moe.experts) : parameters;
  const fileType = num(md["general.file_type"]);
  const fileTypeName = fileType !== undefined ? ggufFileTypeName(fileType) : undefined;
  const storedDtype = fileTypeName === "f32" ? "fp32" : fileTypeName === "f16" ? "fp16" : fileTypeName === "bf16" ? "bf16" : undefined;
  const name = typeof md["general.name"] === "string" ? (md["general.name"] as string) : undefined;
  const model: ModelDescription = {
    id: opts.id ?? name ?? file.name,
    family: "transformer",
    architecture: arch,
    parameters,
    activeParameters,
    storedDtype,
    storedQuant: storedDtype ? undefined : (fileTypeName ?? "gguf"),
    transformer: shape,
    tensors,
    source: opts.source ?? { kind: "gguf", ref: file.name },
    warnings,
  };
  const byDtype: Record<string, number> = {};
  for (const t of file.tensors) byDtype[t.dtype] = (byDtype[t.dtype] ?? 0) + t.byteLength;
  const facts: CheckpointFacts = {
    quantization: fileTypeName,
    storedBytesByDtype: byDtype,
    storedBytesTotal: file.tensors.reduce((a, t) => a + t.byteLength, 0),
    tensorCount: file.tensors.length,
    provenance: { headers: `GGUF v${file.version} metadata and tensor table of ${file.name}`, bytesRead: file.bytesRead },
  };
  return { model, facts };
}
