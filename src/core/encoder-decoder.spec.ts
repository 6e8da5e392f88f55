import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { crossKvCacheComponent, encoderDecoderTrainingActivations, encoderForwardPeak, encoderFromConfig, encoderLength } from "./encoder-decoder.js";
import { modelFromShape, readCatalogConfig, shapeFromConfig } from "../test-support/hybrid-models.js";
import { transformersInference } from "../runtimes/transformers/inference.js";

const whisper = () => shapeFromConfig(readCatalogConfig("whisper-small.json"));
const t5 = () => shapeFromConfig(readCatalogConfig("t5-base.json"));
const t5xxl = () => shapeFromConfig(readCatalogConfig("t5-v1.1-xxl.json"));
const w = (o: Record<string, unknown>) => ({ mode: "infer", runtime: "transformers", batch: 1, seq: 448, dtype: "fp16", quant: null, kv_dtype: "fp16", attention: "sdpa", gpus: 1, double_quant: true, logits: "last", ...o }) as any;

describe("encoders of encoder-decoder models from their configs (transformers 5.18.0 config classes)", () => {
  it("Whisper small: 12 layers × 768, 80 mels, fixed 1500 positions from 3000 frames", () => {
    expect(encoderFromConfig("whisper", readCatalogConfig("whisper-small.json"))).toMatchObject({ layers: 12, hidden: 768, heads: 12, melBins: 80, inputFrames: 3000, fixedLength: 1500, input: "audio" });
  });
  it("T5 v1.0 plain ReLU MLP; v1.1 gated-gelu (wi_0, wi_1)", () => {
    expect(encoderFromConfig("t5", readCatalogConfig("t5-base.json"))!.mlp).toBe("plain");
    expect(encoderFromConfig("t5", readCatalogConfig("t5-v1.1-xxl.json"))).toMatchObject({ mlp: "gated", layers: 24, hidden: 4096, heads: 64, headDim: 64, intermediate: 10240 });
  });
  it("non-encoder-decoders have none; a hostile count is one invalid_file error", () => {
    expect(encoderFromConfig("llama", {})).toBeNull();
    expect(() => encoderFromConfig("t5", { num_layers: -1 })).toThrow(/whole number/);
  });
});

describe("cross-attention K/V and the encoder's length", () => {
  it("Whisper small, one request in fp16: 12 decoder layers × 2 × 768 × 1500 × 2 B = 55,296,000 B, whatever the decoder length", () => {
    expect(crossKvCacheComponent(whisper(), { batch: 1, encoderSeq: 1500, kvDtype: "fp16" }).bytes).toBe(12 * 2 * 768 * 1500 * 2);
    expect(encoderLength(whisper().encoder!, { seq: 10 })).toBe(1500);
  });
  it("grows linearly with the encoder input and the batch, never with the decoder's tokens", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 512 }), fc.integer({ min: 1, max: 64 }), (s, b) => {
        const one = crossKvCacheComponent(t5(), { batch: 1, encoderSeq: 1, kvDtype: "bf16" }).bytes;
        expect(crossKvCacheComponent(t5(), { batch: b, encoderSeq: s, kvDtype: "bf16" }).bytes).toBe(one * s * b);
      }),
    );
  });
  it("an input longer than a learned-position encoder is refused", () => {
    const bart = encoderFromConfig("bart", { d_model: 1024, encoder_layers: 12, encoder_attention_heads: 16, encoder_ffn_dim: 4096, max_position_embeddings: 1024 })!;
    expect(() => encoderLength(bart, { seq: 2048 })).toThrow(/1024 positions/);
  });
  it("T5's relative position bias [heads, s, s] is part of the encoder's attention peak", () => {
    const base = encoderForwardPeak(t5(), { batch: 1, encoderSeq: 512, bytesPerValue: 2, attention: "sdpa" });
    const withBias = encoderForwardPeak(t5(), { batch: 1, encoderSeq: 512, bytesPerValue: 2, attention: "sdpa", relativeBias: true });
    expect(withBias.bytes).toBeGreaterThanOrEqual(base.bytes);
  });
  it("Whisper's conv stem sees 3000 frames", () => {
    expect(encoderForwardPeak(whisper(), { batch: 8, encoderSeq: 1500, bytesPerValue: 2, attention: "sdpa" }).formula).toMatch(/3000 frames/);
  });
});

describe("transformers generate() for encoder-decoders", () => {
  it("Whisper small: decoder self K/V over its tokens, cross K/V over 1500 positions, the encoder output", () => {
    const model = modelFromShape("whisper-small", whisper(), "whisper", 241_734_912);
    const e = transformersInference(model, w({ batch: 4, seq: 448 }));
    const ids = e.components.map((c) => c.id);
    expect(ids).toEqual(expect.arrayContaining(["kv_cache", "cross_kv_cache", "encoder_output", "activations"]));
    expect(e.components.find((c) => c.id === "kv_cache")!.bytes).toBe(12 * 2 * 768 * 448 * 4 * 2);
    expect(e.components.find((c) => c.id === "encoder_output")!.bytes).toBe(4 * 1500 * 768 * 2);
  });
  it("T5: --encoder-seq sizes the encoder, --seq the decoder", () => {
    const model = modelFromShape("t5-v1.1-xxl", t5xxl(), "t5", 11_135_332_352);
    const a = transformersInference(model, w({ seq: 128, encoder_seq: 256, dtype: "bf16", kv_dtype: "bf16" }));
    const b = transformersInference(model, w({ seq: 128, encoder_seq: 512, dtype: "bf16", kv_dtype: "bf16" }));
    const cross = (x: typeof a) => x.components.find((c) => c.id === "cross_kv_cache")!.bytes;
    expect(cross(b)).toBe(2 * cross(a));
    expect(a.components.find((c) => c.id === "kv_cache")!.bytes).toBe(b.components.find((c) => c.id === "kv_cache")!.bytes);
  });
});

describe("training an encoder-decoder: the encoder's saved activations and the decoder's cross-attention", () => {
  it("checkpointing keeps less, and both grow with the encoder input", () => {
    const s = t5xxl();
    const o = { batch: 4, decoderSeq: 128, bytesPerValue: 2, attention: "sdpa" as const, relativeBias: true };
    const full = encoderDecoderTrainingActivations(s, { ...o, encoderSeq: 512, checkpointing: false }).bytes;
    const ckpt = encoderDecoderTrainingActivations(s, { ...o, encoderSeq: 512, checkpointing: true }).bytes;
    expect(ckpt).toBeLessThan(full);
    expect(encoderDecoderTrainingActivations(s, { ...o, encoderSeq: 1024, checkpointing: false }).bytes).toBeGreaterThan(full);
  });
});
