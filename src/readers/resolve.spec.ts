import type { TransformerModel } from "../core/model.js";
import { mkdtemp, rm, writeFile, copyFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VramfitError } from "../core/errors.js";
import { formatInspect, inspectModel } from "./inspect.js";
import { resolveModel, resolveModelWithFacts } from "./resolve.js";
import { resolveModel as resolveLibraryModel } from "../index.js";
import { fixture } from "./fixtures.test.js";
import { startFakeHub, type FakeHub } from "./hub-server.test.js";
import { LLAMA_32_1B, llama1bGguf, llamaTensorNames, llamaTensorShape, writeSparseGguf, writeSparseSafetensors } from "./synth.test.js";

const L1B = 1235814400; // meta-llama/Llama-3.2-1B, published
let tmp: string;
let hub: FakeHub;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "vramfit-resolve-"));
  const { kvs, tensors } = llama1bGguf();
  await mkdir(join(tmp, "gguf"));
  await writeSparseGguf(join(tmp, "gguf", "llama-1b.Q4_K_M.gguf"), kvs, tensors);
  await mkdir(join(tmp, "hf"));
  await copyFile(fixture("hf", "llama-3.2-1b", "config.json"), join(tmp, "hf", "config.json"));
  await writeSparseSafetensors(
    join(tmp, "hf", "model.safetensors"),
    llamaTensorNames(16, true).map((name) => ({ name, dtype: "BF16", shape: llamaTensorShape(name, LLAMA_32_1B) })),
  );
  hub = await startFakeHub({ "test-org/llama-1b-finetune": { dir: join(tmp, "hf") }, "bartowski/Llama-1B-GGUF": { dir: join(tmp, "gguf") } });
});
afterAll(async () => {
  await hub?.close();
  await rm(tmp, { recursive: true, force: true });
});

const opts = () => ({ endpoint: hub.endpoint, cacheDir: false as const, env: {} });

describe("resolveModel understands every kind of <model>", () => {
  it("a parameter count", async () => {
    const r = await resolveModelWithFacts("7b");
    expect(r.kind).toBe("param-count");
    expect(r.model.parameters).toBe(7e9);
  });
  it("a local folder with config.json and model.safetensors", async () => {
    const r = await resolveModelWithFacts(join(tmp, "hf"));
    expect(r.kind).toBe("local");
    expect(r.model.parameters).toBe(L1B);
    expect(r.model.tensors.every((t) => t.dtype === "bf16")).toBe(true);
  });
  it("a GGUF file by magic bytes, and a folder holding one GGUF", async () => {
    const file = await resolveModel(join(tmp, "gguf", "llama-1b.Q4_K_M.gguf"));
    expect(file.source.kind).toBe("gguf");
    expect(file.parameters).toBe(L1B);
    const folder = await resolveModel(join(tmp, "gguf"));
    expect(folder.tensors).toEqual(file.tensors);
  });
  it("an ONNX file (parameters from initializers: mnist-8 has 5994 weights)", async () => {
    const r = await resolveModelWithFacts(fixture("onnx", "mnist-8.onnx"));
    // The reader describes the weights; the library's resolveModel hands the graph to the vision family.
    expect(r.model.family).toBe("generic");
    expect((await resolveLibraryModel(fixture("onnx", "mnist-8.onnx"))).family).toBe("vision");
    expect(r.model.parameters).toBe(5994);
    // The two int64 Reshape targets are not parameters: tensors sum to the same 5994.
    expect(r.model.tensors.reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1) * t.count, 0)).toBe(5994);
    expect(r.onnx?.nodes.length).toBe(12);
  });
  it("a config.json and an index file", async () => {
    expect((await resolveModel(fixture("hf", "gpt2", "config.json"))).parameters).toBe(124439808);
    expect((await resolveModel(fixture("hf", "mistral-7b-fp32-index-only", "model.safetensors.index.json"))).parameters).toBe(7241732096);
  });
  it("a Hub id and a Hub GGUF file", async () => {
    const m = await resolveModelWithFacts("test-org/llama-1b-finetune", opts());
    expect(m.kind).toBe("hub");
    expect(m.model.parameters).toBe(L1B);
    const g = await resolveModelWithFacts("bartowski/Llama-1B-GGUF/llama-1b.Q4_K_M.gguf", opts());
    expect(g.kind).toBe("hub-gguf");
    expect(g.model.storedQuant).toBe("q4_k_m");
    expect(g.model.parameters).toBe(L1B);
  });
  it("a Hub GGUF is cached: the second read needs no server", async () => {
    const cacheDir = join(tmp, "cache");
    const other = await startFakeHub({ "bartowski/Llama-1B-GGUF": { dir: join(tmp, "gguf") } });
    const o = { endpoint: other.endpoint, cacheDir, env: {} };
    const first = await resolveModel("bartowski/Llama-1B-GGUF/llama-1b.Q4_K_M.gguf", o);
    await other.close();
    const second = await resolveModel("bartowski/Llama-1B-GGUF/llama-1b.Q4_K_M.gguf", o);
    expect(second.tensors).toEqual(first.tensors);
    expect((second as TransformerModel).transformer).toEqual((first as TransformerModel).transformer);
  });
  it("a missing path is a clear error, not a Hub lookup", async () => {
    await expect(resolveModel("./nope/model.gguf")).rejects.toThrow(/no such file/);
  });
  it("an unknown word is an unknown model", async () => {
    const err = await resolveModel("definitely-not-a-model").catch((e) => e);
    expect(err).toBeInstanceOf(VramfitError);
    expect(err.message).toMatch(/unknown model/);
  });
  it("a bad file is a clear error", async () => {
    const p = join(tmp, "weird.bin");
    await writeFile(p, "hello");
    await expect(resolveModel(p)).rejects.toThrow(/unrecognized model file/);
  });
});

describe("inspect", () => {
  it("reports dtypes, module groups and sources for a GGUF", async () => {
    const r = await resolveModelWithFacts(join(tmp, "gguf", "llama-1b.Q4_K_M.gguf"));
    const rep = inspectModel(r.model, r.facts);
    // Hand sums for Llama-3.2-1B: embeddings 128256×2048; attention 16×(2×2048² + 2×512×2048);
    // MLP 16×3×2048×8192; norms (2×16+1)×2048.
    expect(rep.byGroup).toEqual([
      { group: "embeddings", parameters: 128256 * 2048 },
      { group: "attention", parameters: 16 * (2 * 2048 * 2048 + 2 * 512 * 2048) },
      { group: "mlp", parameters: 16 * 3 * 2048 * 8192 },
      { group: "norms", parameters: 33 * 2048 },
    ]);
    expect(rep.byDtype.map((d) => d.dtype).sort()).toEqual(["fp32", "q4_k", "q6_k"]);
    expect(rep.byDtype.reduce((a, d) => a + (d.bytes ?? 0), 0)).toBe(r.facts.storedBytesTotal);
    expect(rep.quantization).toBe("q4_k_m");
    expect(rep.contextLength).toBe(131072);
    expect(rep.facts.find((f) => f.label === "architecture")?.from).toBe("GGUF general.architecture");
    const text = formatInspect(rep).join("\n");
    expect(text).toMatch(/llama, 1\.24B parameters/);
    expect(text).toMatch(/context length +131072 +\[GGUF llama\.context_length\]/);
  });
  it("says the parameters of a safetensors folder come from its headers", async () => {
    const r = await resolveModelWithFacts(join(tmp, "hf"));
    const rep = inspectModel(r.model, r.facts);
    expect(rep.facts.find((f) => f.label === "parameters")?.from).toMatch(/safetensors headers/);
    expect(rep.byDtype).toEqual([{ dtype: "bf16", parameters: L1B, bytes: 2 * L1B }]);
  });
});

describe("catalog ids win over the Hub", () => {
  it("an HF id that is in the catalog resolves offline", async () => {
    const r = await resolveModelWithFacts("meta-llama/Llama-3.2-1B", { endpoint: "http://127.0.0.1:1", cacheDir: false, env: {} });
    expect(r.kind).toBe("catalog");
    expect(r.model.parameters).toBe(L1B);
  });
});
