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
