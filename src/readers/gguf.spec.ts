import type { TransformerModel } from "../core/model.js";
import { copyFile, mkdtemp, open, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VramfitError } from "../core/errors.js";
import { memorySource } from "./byte-source.js";
import { modelFromGguf, readGguf, readGgufSource } from "./gguf.js";
import { fixture } from "./fixtures.test.js";
import { startFakeHub, type FakeHub } from "./hub-server.test.js";
import { ggmlTensor, ggufBytes, llama1bGguf, writeSparseGguf, type GgufValue } from "./synth.test.js";
import { HANG_GUARD_MS } from "../test-support/timing.js";

let tmp: string;
let hub: FakeHub;
const L1B_PARAMS = 1235814400; // meta-llama/Llama-3.2-1B, published

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "vramfit-gguf-"));
  const { kvs, tensors } = llama1bGguf();
  await writeSparseGguf(join(tmp, "llama-1b-q4_k_m.gguf"), kvs, tensors);
  hub = await startFakeHub({ "test/llama-gguf": { dir: tmp } });
});
afterAll(async () => {
  await hub?.close();
  await rm(tmp, { recursive: true, force: true });
});

describe("real vocab-only GGUF files (llama.cpp models/ggml-vocab-*.gguf)", () => {
  // Vocabulary sizes are the tokenizers' published sizes: LLaMA SentencePiece 32000, Phi-3 32064,
  // BERT uncased WordPiece 30522, GPT-2 BPE 50257. KV counts from fixtures/SOURCES.md.
  it.each([
    ["ggml-vocab-llama-spm.gguf", "llama", 32000, 22],
    ["ggml-vocab-phi-3.gguf", "phi3", 32064, 26],
    ["ggml-vocab-bert-bge.gguf", "bert", 30522, 20],
    ["ggml-vocab-gpt-2.gguf", "gpt2", 50257, 16],
  ])("%s", async (file, arch, vocab, kvs) => {
    const g = await readGguf(fixture("gguf", file));
    expect(g.version).toBe(3);
    expect(g.tensors).toEqual([]);
    expect(g.metadata["general.architecture"]).toBe(arch);
    expect((g.metadata["tokenizer.ggml.tokens"] as string[]).length).toBe(vocab);
    expect(Object.keys(g.metadata).filter((k) => !["version", "tensor_count", "kv_count"].includes(k))).toHaveLength(kvs);
    expect(() => modelFromGguf(g)).toThrow(/no tensors/);
  });
});

describe("a GGUF with tensors (Llama-3.2-1B shapes, Q4_K_M-style types, sparse data)", () => {
  it("gives exact parameters, shapes and per-tensor ggml types", async () => {
    const g = await readGguf(join(tmp, "llama-1b-q4_k_m.gguf"));
    const { model, facts } = modelFromGguf(g);
    expect(model.parameters).toBe(L1B_PARAMS);
    expect(model.architecture).toBe("llama");
    expect(model.storedQuant).toBe("q4_k_m");
    expect((model as TransformerModel).transformer).toMatchObject({ layers: 16, hidden: 2048, heads: 32, kvHeads: 8, headDim: 64, vocab: 128256, intermediate: 8192, mlp: "gated", norm: "rms", tiedEmbeddings: true, maxPositions: 131072 });
    // Bytes: the writer's sizes from ggml-common.h blocks (q4_K 144 B / 256, q6_K 210 B / 256, f32 4 B).
    const expected = llama1bGguf().tensors.reduce((a, t) => a + t.bytes, 0);
    expect(facts.storedBytesTotal).toBe(expected);
    expect(facts.storedBytesTotal).toBe(836628480);
    const q = model.tensors.find((t) => t.module === "q_proj")!;
    expect(q).toMatchObject({ name: "blk.{L}.attn_q.weight", shape: [2048, 2048], count: 16, dtype: "q4_k", kind: "linear" });
    expect(model.tensors.find((t) => t.module === "down_proj")).toMatchObject({ shape: [2048, 8192], dtype: "q6_k" });
    expect(model.tensors.find((t) => t.module === "embed_tokens")).toMatchObject({ kind: "embedding", shape: [128256, 2048], dtype: "q6_k" });
    expect(model.tensors.filter((t) => t.kind === "norm").every((t) => t.dtype === "fp32")).toBe(true);
    // Only metadata was read: the tokens array (~1.3 MB) and the table, not the 836 MB of data.
    expect(g.bytesRead).toBeLessThan(4 * 1024 * 1024);
  });

  it("reads the same file over HTTP range requests", async () => {
    const url = `${hub.endpoint}/test/llama-gguf/resolve/main/llama-1b-q4_k_m.gguf`;
    const remote = modelFromGguf(await readGguf(url));
    const local = modelFromGguf(await readGguf(join(tmp, "llama-1b-q4_k_m.gguf")));
    expect(remote.model.tensors).toEqual(local.model.tensors);
    expect(remote.model.parameters).toBe(L1B_PARAMS);
  });

  it("MoE: merged expert tensors become per-expert groups; active parameters use top-k", async () => {
    const h = 64, I = 128, E = 4;
    const kvs: [string, GgufValue][] = [
      ["general.architecture", { str: "qwen2moe" }],
      ["qwen2moe.block_count", { u32: 2 }],
      ["qwen2moe.embedding_length", { u32: h }],
      ["qwen2moe.attention.head_count", { u32: 4 }],
      ["qwen2moe.expert_count", { u32: E }],
      ["qwen2moe.expert_used_count", { u32: 2 }],
      ["qwen2moe.expert_feed_forward_length", { u32: I }],
      ["qwen2moe.context_length", { u32: 4096 }],
    ];
    const tensors = [ggmlTensor("token_embd.weight", [h, 256], 0), ggmlTensor("output.weight", [h, 256], 0)];
    for (let l = 0; l < 2; l++) {
      tensors.push(
        ggmlTensor(`blk.${l}.ffn_gate_inp.weight`, [h, E], 0),
        ggmlTensor(`blk.${l}.ffn_gate_exps.weight`, [h, I, E], 0),
        ggmlTensor(`blk.${l}.ffn_up_exps.weight`, [h, I, E], 0),
        ggmlTensor(`blk.${l}.ffn_down_exps.weight`, [I, h, E], 0),
      );
    }
    await writeSparseGguf(join(tmp, "moe.gguf"), kvs, tensors);
    const { model } = modelFromGguf(await readGguf(join(tmp, "moe.gguf")));
    const expertParams = 2 * 3 * E * h * I;
    const dense = 2 * 256 * h + 2 * h * E;
    expect(model.parameters).toBe(dense + expertParams);
    expect(model.activeParameters).toBe(dense + expertParams / 2);
    expect(model.tensors.find((t) => t.name === "blk.{L}.ffn_gate_exps.{E}.weight")).toMatchObject({ count: 2 * E, shape: [I, h], expert: true, module: "gate_proj" });
    expect((model as TransformerModel).transformer?.moe).toMatchObject({ experts: 4, expertsPerToken: 2, moeLayers: 2 });
    expect((model as TransformerModel).transformer?.tiedEmbeddings).toBe(false);
  });

  it("split files (gguf-split -00001-of-00002) are read together", async () => {
    const { kvs, tensors } = llama1bGguf(1000);
    await writeSparseGguf(join(tmp, "split-00001-of-00002.gguf"), kvs, tensors.slice(0, 80));
    await writeSparseGguf(join(tmp, "split-00002-of-00002.gguf"), [["general.architecture", { str: "llama" }]], tensors.slice(80));
    const g = await readGguf(join(tmp, "split-00002-of-00002.gguf"));
    expect(g.tensors).toHaveLength(tensors.length);
    expect((modelFromGguf(g).model as TransformerModel).transformer.vocab).toBe(1000);
  });
});

describe("hostile GGUF files fail fast with a VramfitError", () => {
  const base = () => ggufBytes(llama1bGguf(100).kvs, llama1bGguf(100).tensors.slice(0, 6));
  const rejects = async (bytes: Uint8Array, size: number | undefined, msg: RegExp) => {
    const src = memorySource(bytes, "hostile.gguf");
    const s = size === undefined ? src : { ...src, size, read: src.read, bytesRead: 0, name: src.name, close: src.close };
    const t0 = performance.now();
    const err = await readGgufSource(s).catch((e) => e);
    expect(err).toBeInstanceOf(VramfitError);
    expect(err.message).toMatch(msg);
    expect(performance.now() - t0).toBeLessThan(HANG_GUARD_MS);
  };
  const full = () => {
    const { header, size } = base();
    const b = new Uint8Array(size);
    b.set(header);
    return b;
  };

  it("accepts the untouched file", async () => {
    const g = await readGgufSource(memorySource(full(), "ok.gguf"));
    expect(g.tensors).toHaveLength(6);
  });
  it("wrong magic", () => rejects(new TextEncoder().encode("GGML0000000000000000000000"), undefined, /does not start with "GGUF"/));
  it("truncated inside the metadata", () => rejects(full().subarray(0, 300), undefined, /truncated/));
  it("truncated inside the tensor table", () => {
    const { header } = base();
    return rejects(header.subarray(0, header.length - 40), undefined, /truncated|past the end/);
  });
  it("tensor data past the end of the file", () => rejects(base().header, undefined, /past the end of the file/));
  it("gigantic tensor count", () => {
    const b = full();
    new DataView(b.buffer).setBigUint64(8, 999_999n, true);
    return rejects(b, undefined, /declares 999999 tensors .* need at least/);
  });
  it("tensor count beyond the limit", () => {
    const b = full();
    new DataView(b.buffer).setBigUint64(8, 2n ** 62n, true);
    return rejects(b, undefined, /limit/);
  });
  it("gigantic string length", () => {
    const b = full();
    new DataView(b.buffer).setBigUint64(24, 2n ** 40n, true); // length of the first key
    return rejects(b, undefined, /not a valid GGUF|truncated/);
  });
  it("non-UTF-8 tensor name", () => {
    const { kvs, tensors } = llama1bGguf(10);
    const { header, size } = ggufBytes(kvs, tensors.slice(0, 2), { rawNames: [new Uint8Array([0x74, 0xff, 0xfe, 0x2e]), new TextEncoder().encode("b")] });
    const b = new Uint8Array(size);
    b.set(header);
    return rejects(b, undefined, /not valid UTF-8/);
  });
  it("unknown ggml type and zero dimension", async () => {
    const mk = (t: { name: string; ne: number[]; type: number; bytes: number }) => {
      const { header, size } = ggufBytes([["general.architecture", { str: "llama" }]], [t]);
      const b = new Uint8Array(size + 64);
      b.set(header);
      return b;
    };
    await rejects(mk({ name: "a", ne: [4], type: 99, bytes: 16 }), undefined, /unknown ggml type 99/);
    await rejects(mk({ name: "a", ne: [4, 0], type: 0, bytes: 0 }), undefined, /invalid dimension/);
  });
  it("not a GGUF file on disk", async () => {
    const p = join(tmp, "not.gguf");
    await writeFile(p, "hello");
    await expect(readGguf(p)).rejects.toThrow(VramfitError);
  });
  it("vocab file cut in half", async () => {
    const p = join(tmp, "half.gguf");
    await copyFile(fixture("gguf", "ggml-vocab-llama-spm.gguf"), p);
    const fh = await open(p, "r+");
    await fh.truncate(300_000);
    await fh.close();
    const err = await readGguf(p).catch((e) => e);
    expect(err).toBeInstanceOf(VramfitError);
    expect(err.message).toMatch(/truncated/);
  });
});
