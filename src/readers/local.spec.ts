import { copyFile, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VramfitError } from "../core/errors.js";
import { readLocalConfig, readLocalFolder, readLocalIndex, readLocalSafetensors } from "./local.js";
import { fixture } from "./fixtures.test.js";
import { llamaTensorShape, writeSparseSafetensors } from "./synth.test.js";

// meta-llama/Llama-3.2-3B: hidden 3072, 24 q-heads / 8 kv-heads, head_dim 128, intermediate 8192,
// vocab 128256 (fixtures/hf/llama-3.2-3b/config.json). Its index records total_size 6425499648 bytes
// of bf16 = 3,212,749,824 parameters: the independent ground truth here.
const LLAMA_32_3B = { hidden: 3072, heads: 24, kvHeads: 8, headDim: 128, intermediate: 8192, vocab: 128256 };
const TOTAL_SIZE = 6425499648;

let dir: string;
let progress: number[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "vramfit-local-"));
  await copyFile(fixture("hf", "llama-3.2-3b", "config.json"), join(dir, "config.json"));
  await copyFile(fixture("hf", "llama-3.2-3b", "model.safetensors.index.json"), join(dir, "model.safetensors.index.json"));
  const index = JSON.parse(await readFile(join(dir, "model.safetensors.index.json"), "utf8"));
  // The mirror's re-shard: one file per tensor (254 shards). Real headers, sparse data.
  for (const [name, file] of Object.entries(index.weight_map as Record<string, string>)) {
    await writeSparseSafetensors(join(dir, file), [{ name, dtype: "BF16", shape: llamaTensorShape(name, LLAMA_32_3B) }]);
  }
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("readLocalFolder", () => {
  it("reads every shard header of a 254-shard folder and matches the index total_size", async () => {
    progress = [];
    const { model, facts } = await readLocalFolder(dir, { onProgress: (p) => progress.push(p.done) });
    expect(facts.tensorCount).toBe(254);
    expect(facts.storedBytesTotal).toBe(TOTAL_SIZE);
    expect(facts.storedBytesByDtype).toEqual({ bf16: TOTAL_SIZE });
    expect(model.parameters).toBe(TOTAL_SIZE / 2);
    expect(model.architecture).toBe("llama");
    expect(model.tensors.every((t) => t.dtype === "bf16")).toBe(true);
    // 28 layers × 9 tensors per layer collapse into 9 groups of 28, plus embeddings and the final norm.
    const q = model.tensors.find((t) => t.name === "model.layers.{L}.self_attn.q_proj.weight")!;
    expect(q).toMatchObject({ count: 28, shape: [3072, 3072], kind: "linear", module: "q_proj" });
    expect(model.tensors.find((t) => t.module === "embed_tokens")?.kind).toBe("embedding");
    expect(model.warnings.filter((w) => w.includes("safetensors headers hold"))).toEqual([]);
    // Headers only: a few hundred bytes per shard, not the 6.4 GB of (sparse) data.
    expect(facts.provenance.bytesRead).toBeLessThan(254 * 300);
    expect(progress.at(-1)).toBe(254);
  });

  it("without the shards, counts from config.json and checks the index total", async () => {
    const { model, facts } = await readLocalFolder(fixture("hf", "llama-3.2-3b"));
    expect(model.parameters).toBe(TOTAL_SIZE / 2);
    expect(facts.provenance.headers).toMatch(/not read: 254 of 254/);
    expect(facts.storedBytesTotal).toBe(TOTAL_SIZE);
    expect(model.warnings.some((w) => w.includes("total_size"))).toBe(false);
  });

  it("warns when headers and config disagree", async () => {
    const d = await mkdtemp(join(tmpdir(), "vramfit-local-"));
    try {
      await copyFile(fixture("hf", "llama-3.2-1b", "config.json"), join(d, "config.json"));
      await writeSparseSafetensors(join(d, "model.safetensors"), [{ name: "model.embed_tokens.weight", dtype: "BF16", shape: [128256, 2048] }]);
      const { model } = await readLocalFolder(d);
      expect(model.parameters).toBe(128256 * 2048);
      expect(model.warnings.join("\n")).toMatch(/config.json implies 1,235,814,400 parameters/);
    } finally {
      await rm(d, { recursive: true, force: true });
    }
  });

  it("an empty folder is a clear error", async () => {
    const d = await mkdtemp(join(tmpdir(), "vramfit-local-"));
    await expect(readLocalFolder(d)).rejects.toThrow(VramfitError);
    await rm(d, { recursive: true, force: true });
  });
});

describe("single files", () => {
  it("a lone .safetensors file: header only, architecture unknown", async () => {
    const { model, facts } = await readLocalSafetensors(fixture("safetensors", "llama-3.2-3b.layers.0.input_layernorm.weight.safetensors"));
    expect(model.parameters).toBe(3072);
    expect(model.family).toBe("generic");
    expect(model.tensors).toEqual([
      { name: "model.layers.{L}.input_layernorm.weight", module: "input_layernorm", kind: "norm", shape: [3072], count: 1, dtype: "bf16" },
    ]);
    expect(facts.provenance.bytesRead).toBe(8 + 128);
  });

  it("an index file with config.json beside it", async () => {
    const { model, facts } = await readLocalIndex(join(dir, "model.safetensors.index.json"));
    expect(model.parameters).toBe(TOTAL_SIZE / 2);
    expect(facts.provenance.shardsRead).toBe(254);
  });

  it("an index without config.json uses total_parameters", async () => {
    // mistral-7b-fp32-index-only: total_parameters 7241732096 (fixtures/SOURCES.md).
    const { model } = await readLocalIndex(fixture("hf", "mistral-7b-fp32-index-only", "model.safetensors.index.json"));
    expect(model.parameters).toBe(7241732096);
    expect(model.storedDtype).toBe("fp32");
    expect(model.warnings[0]).toMatch(/no config.json/);
  });

  it("a config.json alone (GPT-2: 124,439,808 parameters, the published count with tied lm_head)", async () => {
    const { model, facts } = await readLocalConfig(fixture("hf", "gpt2", "config.json"));
    expect(model.parameters).toBe(124439808);
    expect(facts.provenance.config).toMatch(/gpt2\/config.json$/);
  });
});

describe("MoE and duplicate files", () => {
  it("a tiny Mixtral checkpoint: experts grouped, active = dense + top-2 of 4 experts", async () => {
    const d = await mkdtemp(join(tmpdir(), "vramfit-moe-"));
    try {
      const h = 64, I = 128, V = 100, L = 2, E = 4, kvDim = 32;
      const { writeFile } = await import("node:fs/promises");
      await writeFile(
        join(d, "config.json"),
        JSON.stringify({ model_type: "mixtral", hidden_size: h, intermediate_size: I, num_hidden_layers: L, num_attention_heads: 4, num_key_value_heads: 2, vocab_size: V, num_local_experts: E, num_experts_per_tok: 2, tie_word_embeddings: false, torch_dtype: "bfloat16", max_position_embeddings: 4096 }),
      );
      // Names and shapes as transformers' modeling_mixtral.py saves them.
      const t: { name: string; dtype: string; shape: number[] }[] = [
        { name: "model.embed_tokens.weight", dtype: "BF16", shape: [V, h] },
        { name: "model.norm.weight", dtype: "BF16", shape: [h] },
        { name: "lm_head.weight", dtype: "BF16", shape: [V, h] },
      ];
      for (let l = 0; l < L; l++) {
        const p = `model.layers.${l}`;
        t.push(
          { name: `${p}.self_attn.q_proj.weight`, dtype: "BF16", shape: [h, h] },
          { name: `${p}.self_attn.k_proj.weight`, dtype: "BF16", shape: [kvDim, h] },
          { name: `${p}.self_attn.v_proj.weight`, dtype: "BF16", shape: [kvDim, h] },
          { name: `${p}.self_attn.o_proj.weight`, dtype: "BF16", shape: [h, h] },
          { name: `${p}.block_sparse_moe.gate.weight`, dtype: "BF16", shape: [E, h] },
          { name: `${p}.input_layernorm.weight`, dtype: "BF16", shape: [h] },
          { name: `${p}.post_attention_layernorm.weight`, dtype: "BF16", shape: [h] },
        );
        for (let e = 0; e < E; e++) {
          t.push(
            { name: `${p}.block_sparse_moe.experts.${e}.w1.weight`, dtype: "BF16", shape: [I, h] },
            { name: `${p}.block_sparse_moe.experts.${e}.w2.weight`, dtype: "BF16", shape: [h, I] },
            { name: `${p}.block_sparse_moe.experts.${e}.w3.weight`, dtype: "BF16", shape: [I, h] },
          );
        }
      }
      await writeSparseSafetensors(join(d, "model.safetensors"), t);
      // A Mistral-style duplicate in another layout must not be counted.
      await writeSparseSafetensors(join(d, "consolidated.safetensors"), t);
      const { model, facts } = await readLocalFolder(d);
      const experts = L * E * 3 * I * h;
      const dense = 2 * V * h + h + L * (2 * h * h + 2 * kvDim * h + E * h + 2 * h);
      expect(facts.tensorCount).toBe(t.length);
      expect(model.parameters).toBe(dense + experts);
      expect(model.activeParameters).toBe(dense + experts / 2);
      expect(model.tensors.find((g) => g.name === "model.layers.{L}.block_sparse_moe.experts.{E}.w1.weight")).toMatchObject({ count: L * E, expert: true, module: "w1" });
      expect(model.tensors.find((g) => g.module === "gate")?.kind).toBe("router");
      expect(model.warnings.filter((w) => w.includes("headers hold"))).toEqual([]);
    } finally {
      await rm(d, { recursive: true, force: true });
    }
  });
});
