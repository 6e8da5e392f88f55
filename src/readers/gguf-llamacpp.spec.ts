/**
 * The GGUF reader against llama.cpp itself. bench/llamacpp/specs/*.json are the metadata and tensor
 * tables of 14 real architectures (written for llama.cpp's loader), and bench/accuracy/llamacpp-cpu.jsonl
 * holds the buffer sizes llama.cpp printed when it loaded those files: the CPU_Mapped model buffer
 * (2 decimals of MiB) and the KV cache lines with their full / SWA layer counts. Here each spec's file is
 * rebuilt with this repo's independent GGUF writer (header only, sparse data) and read back.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { TransformerModel } from "../core/model.js";
import { describe, expect, it } from "vitest";
import type { ByteSource } from "./byte-source.js";
import { modelFromGguf, readGgufSource } from "./gguf.js";
import { repoRoot } from "./fixtures.test.js";
import { GGML_BLOCK, ggufBytes, type GgufSynthTensor, type GgufValue } from "./synth.test.js";

const root = repoRoot();
const SPECS = join(root, "bench", "llamacpp", "specs");
const RECORDS = join(root, "bench", "accuracy", "llamacpp-cpu.jsonl");
const TYPE_IDS: Record<string, number> = { F32: 0, F16: 1, Q4_0: 2, Q5_0: 6, Q8_0: 8, Q4_K: 12, Q6_K: 14, BF16: 30 };

interface LlamaRecord {
  spec: string;
  model_buffer_bytes: number;
  kv_caches: { kind: string; layers: number }[];
}

const records: LlamaRecord[] = existsSync(RECORDS)
  ? readFileSync(RECORDS, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l))
  : [];
const firstBySpec = new Map<string, LlamaRecord>();
for (const r of records) if (!firstBySpec.has(r.spec)) firstBySpec.set(r.spec, r);

function toValue(v: unknown): GgufValue {
  if (typeof v === "string") return { str: v };
  if (typeof v === "boolean") return { bool: v };
  if (Array.isArray(v)) return typeof v[0] === "string" ? { strs: v as string[] } : { u32s: v as number[] };
  if (typeof v === "number" && Number.isInteger(v) && v >= 0) return { u32: v };
  if (typeof v === "number" && Number.isInteger(v)) return { i32: v };
  return { f32: v as number };
}

/** A sparse file: the header bytes, then zeros up to `size`. */
function sparseSource(header: Uint8Array, size: number, name: string): ByteSource {
  let bytesRead = 0;
  return {
    name,
    size,
    get bytesRead() {
      return bytesRead;
    },
    async read(offset, length) {
      const len = Math.max(0, Math.min(length, size - offset));
      const out = new Uint8Array(len);
      if (offset < header.length) out.set(header.subarray(offset, Math.min(header.length, offset + len)));
      bytesRead += len;
      return out;
    },
    async close() {},
  };
}

const specs = [...firstBySpec.keys()].filter((s) => existsSync(join(SPECS, `${s}.json`)));

describe.skipIf(specs.length === 0)("GGUF reader vs llama.cpp's own buffer sizes", () => {
  it.each(specs)("%s", async (name) => {
    const spec = JSON.parse(readFileSync(join(SPECS, `${name}.json`), "utf8")) as { metadata: Record<string, unknown>; tensors: [string, number[], string][] };
    const tensors: GgufSynthTensor[] = spec.tensors.map(([n, ne, type]) => {
      const id = TYPE_IDS[type];
      const [be, bb] = GGML_BLOCK[id];
      return { name: n, ne, type: id, bytes: (ne.reduce((a, b) => a * b, 1) / be) * bb };
    });
    const { header, size } = ggufBytes(Object.entries(spec.metadata).map(([k, v]) => [k, toValue(v)]), tensors);
    const file = await readGgufSource(sparseSource(header, size, `${name}.gguf`));
    const { model, facts } = modelFromGguf(file);
    const rec = firstBySpec.get(name)!;

    // Model buffer: llama.cpp maps the tensor data from the first tensor to the end of the last one,
    // tensors padded to the 32-byte alignment; it prints MiB to 2 decimals (±0.005 MiB).
    const padded = file.tensors.reduce((a, t, i) => a + (i === file.tensors.length - 1 ? t.byteLength : Math.ceil(t.byteLength / 32) * 32), 0);
    expect(Math.abs(padded - rec.model_buffer_bytes)).toBeLessThanOrEqual(0.005 * 2 ** 20);
    expect(facts.storedBytesTotal).toBeLessThanOrEqual(padded);

    // Layers: llama.cpp's KV cache lines count full and sliding-window layers separately.
    const t = (model as TransformerModel).transformer;
    const swa = rec.kv_caches.find((c) => c.kind === "SWA")?.layers ?? 0;
    const full = rec.kv_caches.filter((c) => c.kind !== "SWA").reduce((a, c) => a + c.layers, 0);
    expect(t.layerTypes.filter((l) => l === "sliding")).toHaveLength(swa);
    expect(t.layerTypes.filter((l) => l === "full")).toHaveLength(full);
    expect(t.layers).toBe(spec.metadata[`${model.architecture}.block_count`]);
  });
});

describe.skipIf(!existsSync(join(SPECS, "deepseek-v2-lite.json")))("MLA and MoE keys", () => {
  it("DeepSeek-V2-Lite: MLA ranks and 26 MoE layers after 1 dense (config: first_k_dense_replace 1)", async () => {
    const spec = JSON.parse(readFileSync(join(SPECS, "deepseek-v2-lite.json"), "utf8")) as { metadata: Record<string, unknown>; tensors: [string, number[], string][] };
    const tensors: GgufSynthTensor[] = spec.tensors.map(([n, ne, type]) => {
      const id = TYPE_IDS[type];
      const [be, bb] = GGML_BLOCK[id];
      return { name: n, ne, type: id, bytes: (ne.reduce((a, b) => a * b, 1) / be) * bb };
    });
    const { header, size } = ggufBytes(Object.entries(spec.metadata).map(([k, v]) => [k, toValue(v)]), tensors);
    const { model } = modelFromGguf(await readGgufSource(sparseSource(header, size, "dsv2.gguf")));
    // deepseek-ai/DeepSeek-V2-Lite config.json: kv_lora_rank 512, q_lora_rank null, qk_rope_head_dim 64,
    // qk_nope_head_dim 128, v_head_dim 128, n_routed_experts 64, num_experts_per_tok 6, n_shared_experts 2.
    expect((model as TransformerModel).transformer?.mla).toEqual({ kvLoraRank: 512, qLoraRank: null, qkRopeHeadDim: 64, qkNopeHeadDim: 128, vHeadDim: 128 });
    expect((model as TransformerModel).transformer?.moe).toEqual({ experts: 64, expertsPerToken: 6, sharedExperts: 2, expertIntermediate: 1408, moeLayers: 26 });
    // Published: DeepSeek-V2-Lite has 15.7B total parameters (model card).
    expect(model.parameters / 1e9).toBeCloseTo(15.7, 1);
    // Active: all but the routed experts, plus 6 of 64 (26 MoE layers × 64 experts × 3 × 1408 × 2048).
    const routed = 26 * 64 * 3 * 1408 * 2048;
    expect(model.activeParameters).toBe(model.parameters - routed + (routed * 6) / 64);
  });
});
