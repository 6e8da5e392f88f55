/**
 * Issue #18 audit (docs/architectures.md): end-to-end checks of the families the issue names in the runtimes it names,
 * each written against a miss the audit found.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { estimate, resolveModel } from "../index.js";
import { encoderDecoderTrainingExtra, encoderFromConfig } from "./encoder-decoder.js";
import { isVramfitError } from "./errors.js";
import { transformersStateBytes } from "./state-cache.js";
import type { TransformerModel } from "./model.js";

const FIX = path.join(__dirname, "../../tests/fixtures/encdec");
const fixtureConfig = (name: string) => JSON.parse(readFileSync(path.join(FIX, `${name}.json`), "utf8")) as Record<string, unknown>;
const measured = readFileSync(path.join(FIX, "saved-cpu.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l) as { model: string; B: number; Se: number; Sd: number; dtype: string; train: boolean; saved: { encoder: number; decoder: number; head: number } });

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isVramfitError(e)) return `${e.code}: ${e.message}`;
    throw e;
  }
  return "no error";
}

describe("encoder-decoder training saves the encoder stack and cross-attention (transformers)", () => {
  it("the encoder's saved activations match what autograd saves on CPU (fp32, no dropout): T5 and BART within 3 %, Whisper within 8 %", async () => {
    const rows = measured.filter((r) => !r.train && r.dtype === "fp32");
    expect(rows.length).toBe(3);
    for (const r of rows) {
      const m = (await resolveModel(r.model === "bart" ? path.join(FIX, "bart.json") : r.model)) as TransformerModel;
      const shape = m.transformer;
      expect(shape.encoder).toBeTruthy();
      const Se = r.Se || shape.encoder!.fixedLength!;
      const noCross = { ...shape, layers: 0 };
      const x = encoderDecoderTrainingExtra(noCross, { batch: r.B, encoderSeq: Se, decoderSeq: r.Sd, bytesPerValue: 4, checkpointing: false });
      const encoderOnly = x.bytes - r.B * Se * shape.encoder!.hidden * 4; // the output is the last layer's, counted in the encoder phase
      expect(Math.abs(encoderOnly / r.saved.encoder - 1), `${r.model}: ${encoderOnly} vs ${r.saved.encoder}`).toBeLessThan(r.model.startsWith("whisper") ? 0.08 : 0.03);
    }
  });

  it("T5-small training: the encoder's input length moves the activations (it had no effect before)", () => {
    const at = (encoder_seq: number) => estimate("t5-small", { mode: "train", batch: 2, seq: 64, encoder_seq, precision: "fp32", optimizer: "sgd" } as never);
    const short = at(64);
    const long = at(512);
    const act = (e: ReturnType<typeof at>) => e.components.find((c) => c.id === "activations")!.bytes;
    expect(act(long)).toBeGreaterThan(act(short));
    // 6 encoder layers × 2·448 more tokens × 8192 values × 4 B + the cross K/V and the encoder output of those tokens
    const d = 6 * 2 * 448 * 8192 * 4 + 6 * 2 * 448 * 1024 * 4 + 2 * 448 * 512 * 4;
    expect(long.phases![0].allocated_bytes - short.phases![0].allocated_bytes).toBe(d);
  });

  it("the whole T5-small step is at least what autograd saves in the encoder and decoder (measured, eval mode)", () => {
    const r = measured.find((x) => x.model === "t5-small" && !x.train && x.dtype === "fp32")!;
    const e = estimate("t5-small", { mode: "train", batch: r.B, seq: r.Sd, encoder_seq: r.Se, precision: "fp32", optimizer: "sgd" } as never);
    const w = e.components.find((c) => c.id === "weights")!.bytes + e.components.find((c) => c.id === "cublas_workspace")!.bytes;
    expect(e.phases![0].allocated_bytes - w).toBeGreaterThan(r.saved.encoder + r.saved.decoder);
  });
});

describe("attention-free models have no context limit", () => {
  it("Mamba-2.8B (no position key, no positions) runs 16k tokens in transformers and vLLM; the state does not grow", () => {
    const at = (seq: number, runtime = "transformers") => estimate("mamba-2.8b", { seq, runtime, gpu: "a100-80gb" } as never);
    expect(refusal(() => at(16384))).toBe("no error");
    expect(refusal(() => at(16384, "vllm"))).toBe("no error");
    const state = (e: ReturnType<typeof at>) => e.components.find((c) => c.id === "state_cache" || /recurrent/i.test(c.label))!.bytes;
    expect(state(at(16384))).toBe(state(at(1024)));
  });
});

describe("vision-language training with --images is refused (not answered for text alone)", () => {
  it("Qwen2-VL LoRA: --images 4 is one unsupported error; without images the text step is estimated", () => {
    const o = { mode: "train", batch: 1, seq: 2048, lora_rank: 16, lora_targets: "all-linear" };
    expect(refusal(() => estimate("qwen2-vl-7b", { ...o, images: 4 } as never))).toMatch(/^unsupported: training with --images/);
    expect(refusal(() => estimate("qwen2-vl-7b", o as never))).toBe("no error");
  });
});

describe("llama.cpp / Ollama run what llama.cpp loads, and refuse the rest in one line", () => {
  it("Whisper (whisper.cpp) and BART (no llama.cpp architecture) are refused; T5 runs", async () => {
    expect(refusal(() => estimate("whisper-small", { runtime: "llama.cpp", quant: "q4_k_m" } as never))).toMatch(/^unsupported: .*whisper\.cpp/);
    const bart = await resolveModel(path.join(FIX, "bart.json"));
    expect(refusal(() => estimate(bart, { runtime: "ollama", quant: "q4_k_m" } as never))).toMatch(/^unsupported: .*only encoder-decoder architecture is T5/);
    expect(refusal(() => estimate("t5-base", { runtime: "llama.cpp", quant: "q4_k_m", seq: 512 } as never))).toBe("no error");
    expect(encoderFromConfig("bart", fixtureConfig("bart"))!.norm).toBe("layer");
  });

  it("--images / --audio-seconds are refused (the mmproj tower is not modelled); without them the text model runs", () => {
    expect(refusal(() => estimate("qwen2-vl-7b", { runtime: "llama.cpp", quant: "q4_k_m", images: 2, seq: 4096 } as never))).toMatch(/^unsupported: llama\.cpp: --images/);
    expect(refusal(() => estimate("qwen2-vl-7b", { runtime: "llama.cpp", quant: "q4_k_m", seq: 4096 } as never))).toBe("no error");
  });

  it("RWKV-4 (transformers' rwkv type) has no llama.cpp loader", async () => {
    const rwkv = await resolveModel(path.join(__dirname, "../models/arch/reference/defaults/rwkv.json"));
    expect(refusal(() => estimate(rwkv, { runtime: "llama.cpp", quant: "q4_k_m", seq: 1024 } as never))).toMatch(/^unsupported: llama\.cpp has no RWKV-4/);
  });

  it("q8_0 quantizes Mamba, LFM2 and T5: conv kernels, Mamba's A and T5's relative bias stay unquantized, as llama-quant.cpp leaves them", () => {
    for (const id of ["mamba-2.8b", "lfm2-1.2b", "t5-base"]) {
      expect(refusal(() => estimate(id, { runtime: "llama.cpp", quant: "q8_0", seq: 512 } as never)), id).toBe("no error");
    }
  });
});

describe("transformers' state caches, byte for byte against transformers 5.18.0's own (CPU, bf16)", () => {
  const DIR = path.join(__dirname, "../../tests/fixtures/state-cache");
  const bytes = JSON.parse(readFileSync(path.join(DIR, "measured.json"), "utf8")) as Record<string, number>;
  it.each(Object.keys(bytes))("%s: conv K columns in the model dtype + fp32 recurrent state (RWKV-4: 2 shifts + 3 fp32 vectors)", async (t) => {
    const m = (await resolveModel(path.join(DIR, `${t}.json`))) as TransformerModel;
    expect(transformersStateBytes(m.transformer, { batch: 2, dtype: "bf16" }).bytes).toBe(bytes[t]);
  });
});

describe("encoder-decoder inference is described as it runs", () => {
  it("the decoder starts from one token: no 'prefill processes all N tokens' line, the peak names the decoding step", () => {
    const e = estimate("t5-base", { gpu: "a100-80gb", seq: 512 });
    expect(e.assumptions.join(" ")).not.toMatch(/prefill processes all/);
    expect(e.assumptions.join(" ")).toMatch(/the decoder generates 512 tokens one per step/);
    expect(e.components.find((c) => c.id === "activations")!.label).toMatch(/decoding step|encoder forward/);
    expect(e.peak.phase).not.toMatch(/^prefill/);
    // a decoder-only model keeps its prefill wording
    expect(estimate("llama-3.2-1b", { seq: 512 }).assumptions.join(" ")).toMatch(/prefill processes all 512 tokens/);
  });
});
