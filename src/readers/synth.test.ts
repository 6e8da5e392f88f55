/**
 * Support for the reader specs and benchmarks (not a test: the build skips *.test.ts, vitest only
 * collects *.spec.ts). Writes safetensors files with real headers and sparse (unwritten) data, so a
 * 100-GB checkpoint costs a few KB of disk, and synthesizes hostile byte strings.
 */
import { open } from "node:fs/promises";

export interface SynthTensor {
  name: string;
  dtype: string; // safetensors name: BF16, F32 ...
  shape: number[];
}

const BYTES: Record<string, number> = { BF16: 2, F16: 2, F32: 4, I8: 1, U8: 1, F8_E4M3: 1, I32: 4, I64: 8 };

export function safetensorsHeaderBytes(tensors: SynthTensor[], metadata?: Record<string, string>): { header: Uint8Array; dataBytes: number } {
  const obj: Record<string, unknown> = {};
  if (metadata) obj.__metadata__ = metadata;
  let off = 0;
  for (const t of tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1) * BYTES[t.dtype];
    obj[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + n] };
    off += n;
  }
  const json = new TextEncoder().encode(JSON.stringify(obj));
  const header = new Uint8Array(8 + json.length);
  new DataView(header.buffer).setBigUint64(0, BigInt(json.length), true);
  header.set(json, 8);
  return { header, dataBytes: off };
}

/** Write a safetensors file whose data region is a hole: real size on `stat`, no disk blocks. */
export async function writeSparseSafetensors(path: string, tensors: SynthTensor[], metadata = { format: "pt" }): Promise<number> {
  const { header, dataBytes } = safetensorsHeaderBytes(tensors, metadata);
  const fh = await open(path, "w");
  try {
    await fh.write(header, 0, header.length, 0);
    await fh.truncate(header.length + dataBytes);
  } finally {
    await fh.close();
  }
  return header.length + dataBytes;
}

/** Safetensors bytes in memory (header + zero data). */
export function makeSafetensors(header: unknown, dataBytes: number, rawHeader?: string): Uint8Array {
  const json = new TextEncoder().encode(rawHeader ?? JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

/**
 * Shapes of Llama-family tensors by name, written by hand from transformers' modeling_llama.py
 * (nn.Linear weights are [out_features, in_features]); independent of models/hf-config.ts.
 */
export function llamaTensorShape(name: string, c: { hidden: number; heads: number; kvHeads: number; headDim: number; intermediate: number; vocab: number }): number[] {
  const { hidden: h, heads: H, kvHeads: kv, headDim: d, intermediate: I, vocab: V } = c;
  if (/embed_tokens\.weight$|lm_head\.weight$/.test(name)) return [V, h];
  if (/q_proj\.weight$/.test(name)) return [H * d, h];
  if (/[kv]_proj\.weight$/.test(name)) return [kv * d, h];
  if (/o_proj\.weight$/.test(name)) return [h, H * d];
  if (/(gate|up)_proj\.weight$/.test(name)) return [I, h];
  if (/down_proj\.weight$/.test(name)) return [h, I];
  if (/norm\.weight$/.test(name)) return [h];
  throw new Error(`no shape rule for ${name}`);
}

/** meta-llama/Llama-3.2-3B shapes (fixtures/hf/llama-3.2-3b/config.json). */
export const LLAMA_32_3B = { hidden: 3072, heads: 24, kvHeads: 8, headDim: 128, intermediate: 8192, vocab: 128256 };
/** meta-llama/Llama-3.2-1B shapes (fixtures/hf/llama-3.2-1b/config.json). */
export const LLAMA_32_1B = { hidden: 2048, heads: 32, kvHeads: 8, headDim: 64, intermediate: 8192, vocab: 128256 };

/** Tensor names of a Llama checkpoint with `layers` layers (tied embeddings: no lm_head). */
export function llamaTensorNames(layers: number, tied: boolean): string[] {
  const names = ["model.embed_tokens.weight", "model.norm.weight"];
  if (!tied) names.push("lm_head.weight");
  for (let l = 0; l < layers; l++) {
    for (const m of ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj", "input_layernorm", "post_attention_layernorm"]) {
      names.push(`model.layers.${l}.${m}.weight`);
    }
  }
  return names;
}

// ---- GGUF v3 writer (format: ggml/docs/gguf.md), independent of @huggingface/gguf. ----

export type GgufValue = { u32: number } | { i32: number } | { f32: number } | { bool: boolean } | { str: string } | { u64: bigint } | { strs: string[] } | { u32s: number[] };

export interface GgufSynthTensor {
  name: string;
  /** ggml order: ne0 (innermost, the input dimension of a linear) first. */
  ne: number[];
  /** ggml type id (ggml.h): 0 F32, 1 F16, 12 Q4_K, 14 Q6_K ... */
  type: number;
  /** Bytes of the tensor data (computed by the caller from the block size). */
  bytes: number;
}

class Bytes {
  parts: Uint8Array[] = [];
  length = 0;
  push(b: Uint8Array) {
    this.parts.push(b);
    this.length += b.length;
  }
  u32(v: number) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v, true);
    this.push(b);
  }
  u64(v: bigint | number) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(v), true);
    this.push(b);
  }
  str(s: string | Uint8Array) {
    const b = typeof s === "string" ? new TextEncoder().encode(s) : s;
    this.u64(b.length);
    this.push(b);
  }
  concat(): Uint8Array {
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const p of this.parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}

function writeValue(w: Bytes, v: GgufValue) {
  if ("u32" in v) (w.u32(4), w.u32(v.u32));
  else if ("i32" in v) {
    w.u32(5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, v.i32, true);
    w.push(b);
  } else if ("f32" in v) {
    w.u32(6);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v.f32, true);
    w.push(b);
  } else if ("bool" in v) (w.u32(7), w.push(new Uint8Array([v.bool ? 1 : 0])));
  else if ("str" in v) (w.u32(8), w.str(v.str));
  else if ("u64" in v) (w.u32(10), w.u64(v.u64));
  else if ("strs" in v) {
    w.u32(9);
    w.u32(8);
    w.u64(v.strs.length);
    for (const s of v.strs) w.str(s);
  } else {
    w.u32(9);
    w.u32(4);
    w.u64(v.u32s.length);
    for (const x of v.u32s) w.u32(x);
  }
}

/** GGUF header bytes and the total file size (data region included, 32-byte aligned). */
export function ggufBytes(kvs: [string, GgufValue][], tensors: GgufSynthTensor[], opts: { rawNames?: Uint8Array[] } = {}): { header: Uint8Array; size: number } {
  const w = new Bytes();
  w.push(new TextEncoder().encode("GGUF"));
  w.u32(3);
  w.u64(tensors.length);
  w.u64(kvs.length);
  for (const [k, v] of kvs) {
    w.str(k);
    writeValue(w, v);
  }
  let off = 0;
  tensors.forEach((t, i) => {
    w.str(opts.rawNames?.[i] ?? t.name);
    w.u32(t.ne.length);
    for (const d of t.ne) w.u64(d);
    w.u32(t.type);
    w.u64(off);
    off += Math.ceil(t.bytes / 32) * 32;
  });
  const dataStart = Math.ceil(w.length / 32) * 32;
  w.push(new Uint8Array(dataStart - w.length));
  return { header: w.concat(), size: dataStart + off };
}

export async function writeSparseGguf(path: string, kvs: [string, GgufValue][], tensors: GgufSynthTensor[]): Promise<number> {
  const { header, size } = ggufBytes(kvs, tensors);
  const fh = await open(path, "w");
  try {
    await fh.write(header, 0, header.length, 0);
    await fh.truncate(size);
  } finally {
    await fh.close();
  }
  return size;
}

/** ggml block sizes from ggml-common.h: [elements per block, bytes per block]. */
export const GGML_BLOCK: Record<number, [number, number]> = { 0: [1, 4], 1: [1, 2], 2: [32, 18], 6: [32, 22], 8: [32, 34], 12: [256, 144], 14: [256, 210], 30: [1, 2] };
export const ggmlTensor = (name: string, ne: number[], type: number): GgufSynthTensor => {
  const n = ne.reduce((a, b) => a * b, 1);
  const [be, bb] = GGML_BLOCK[type];
  return { name, ne, type, bytes: (n / be) * bb };
};

/**
 * A Llama-3.2-1B-shaped GGUF as llama.cpp's converter names it (gguf-py constants: token_embd,
 * blk.N.attn_q ...), Q4_K linears, Q6_K embeddings, F32 norms. Tied embeddings: no output.weight.
 */
export function llama1bGguf(vocabTokens = 128256): { kvs: [string, GgufValue][]; tensors: GgufSynthTensor[] } {
  const h = 2048, I = 8192, kvDim = 512;
  const kvs: [string, GgufValue][] = [
    ["general.architecture", { str: "llama" }],
    ["general.name", { str: "Llama 3.2 1B (synthetic)" }],
    ["general.file_type", { u32: 15 }],
    ["llama.block_count", { u32: 16 }],
    ["llama.context_length", { u32: 131072 }],
    ["llama.embedding_length", { u32: h }],
    ["llama.feed_forward_length", { u32: I }],
    ["llama.attention.head_count", { u32: 32 }],
    ["llama.attention.head_count_kv", { u32: 8 }],
    ["llama.rope.dimension_count", { u32: 64 }],
    ["tokenizer.ggml.model", { str: "gpt2" }],
    ["tokenizer.ggml.tokens", { strs: Array.from({ length: vocabTokens }, (_, i) => `t${i}`) }],
  ];
  const tensors: GgufSynthTensor[] = [ggmlTensor("token_embd.weight", [h, vocabTokens], 14), ggmlTensor("output_norm.weight", [h], 0)];
  for (let l = 0; l < 16; l++) {
    const b = `blk.${l}`;
    tensors.push(
      ggmlTensor(`${b}.attn_norm.weight`, [h], 0),
      ggmlTensor(`${b}.attn_q.weight`, [h, h], 12),
      ggmlTensor(`${b}.attn_k.weight`, [h, kvDim], 12),
      ggmlTensor(`${b}.attn_v.weight`, [h, kvDim], 14),
      ggmlTensor(`${b}.attn_output.weight`, [h, h], 12),
      ggmlTensor(`${b}.ffn_norm.weight`, [h], 0),
      ggmlTensor(`${b}.ffn_gate.weight`, [h, I], 12),
      ggmlTensor(`${b}.ffn_up.weight`, [h, I], 12),
      ggmlTensor(`${b}.ffn_down.weight`, [I, h], 14),
    );
  }
  return { kvs, tensors };
}
