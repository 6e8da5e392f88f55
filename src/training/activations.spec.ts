/**
 * Saved activations against Korthikanti et al. 2022 ("Reducing Activation Recomputation in Large
 * Transformer Models", arXiv 2205.05198, §4.1): a GPT layer with 16-bit activations, dropout and eager
 * attention saves s·b·h·(34 + 5·a·s/h) bytes. GPT-2 in pure bf16 is exactly that block (the two LayerNorms
 * add their 4-byte mean and rstd per token, which the paper leaves out).
 */
import { describe, expect, it } from "vitest";
import { catalogModel } from "../catalog/models.js";
import { savedActivations, type ActivationContext } from "./activations.js";

const base = (over: Partial<ActivationContext> = {}): ActivationContext => ({
  batch: 2,
  seq: 1024,
  compute: 2,
  residual: 2,
  autocast: false,
  attention: "eager",
  fullFineTune: true,
  adapted: new Set(),
  adapterBytes: 2,
  loraDropout: 0,
  ...over,
});

describe("saved activations per layer", () => {
  it("GPT-2, bf16, eager, dropout 0.1: Korthikanti's 34·sbh + 5·a·s²·b per layer", () => {
    const m = catalogModel("gpt2");
    const { hidden: h, heads: a } = m.transformer!;
    expect(m.transformer!.hiddenDropout).toBeGreaterThan(0);
    expect(m.transformer!.attentionDropout).toBeGreaterThan(0);
    const s = 1024;
    const b = 2;
    const act = savedActivations(m, base());
    const korthikanti = s * b * h * (34 + (5 * a * s) / h);
    const layerNormStats = 2 * 8 * s * b;
    expect(act.perLayerBytes).toBe(korthikanti + layerNormStats);
  });

  it("flash/SDPA attention drops the s² terms and keeps the output and log-sum-exp", () => {
    const m = catalogModel("gpt2");
    const { hidden: h, heads: a } = m.transformer!;
    const s = 1024;
    const T = 2 * s;
    const eager = savedActivations(m, base()).perLayerBytes;
    const sdpa = savedActivations(m, base({ attention: "sdpa" })).perLayerBytes;
    // − probabilities (2 + 1 + 2 B per score) − out-proj input copy (2h) + SDPA output (2h) + fp32 lse (4 per head)
    expect(eager - sdpa).toBe(T * (5 * a * s) - T * 4 * a);
    void h;
  });

  it("Llama (SwiGLU, RMSNorm with fp32 upcast, SDPA expanding GQA): derived per-token count", () => {
    // docs/research/mechanics.md §3.2, counted op by op for pure bf16 full fine-tuning:
    // 2 RMSNorms × (4h fp32 input + 4 rstd + 2h normalized for the weight grad)
    // + norm outputs read by q/k/v and by gate/up (2h each, shared without autocast)
    // + q, k, v after repeat_kv (3 × 2h) + SDPA output 2h + lse 4·a
    // + SwiGLU: gate, act, up (3 × 2I) + down_proj input 2I
    const m = catalogModel("llama-3.1-8b");
    const { hidden: h, heads: a, intermediate: I } = m.transformer!;
    const perToken = 2 * (4 * h + 4 + 2 * h) + 2 * (2 * h) + 3 * 2 * h + 2 * h + 4 * a + 4 * 2 * I;
    const act = savedActivations(m, base({ attention: "sdpa" }));
    expect(act.perLayerBytes).toBe(perToken * 2048);
  });

  it("autocast: each of q, k, v saves its own 16-bit copy of the fp32 norm output", () => {
    const m = catalogModel("llama-3.1-8b");
    const h = m.transformer!.hidden;
    const pure = savedActivations(m, base({ attention: "sdpa", residual: 4, compute: 2, autocast: false }));
    const amp = savedActivations(m, base({ attention: "sdpa", residual: 4, compute: 2, autocast: true }));
    // attention input: 3 casts (3·2h) instead of one shared fp32 tensor (4h); MLP input: 2 casts (2·2h) instead of 4h.
    expect(amp.perLayerBytes - pure.perLayerBytes).toBe(2048 * (6 * h - 4 * h + 4 * h - 4 * h));
  });

  it("LoRA on q,v: frozen linears save no inputs; adapters save a copy under autocast", () => {
    const m = catalogModel("llama-3.1-8b");
    const full = savedActivations(m, base({ attention: "sdpa" })).perLayerBytes;
    const adapted = new Set(m.tensors.filter((g) => g.module === "q_proj" || g.module === "v_proj").map((g) => g.name));
    const lora = savedActivations(m, base({ attention: "sdpa", fullFineTune: false, adapted })).perLayerBytes;
    expect(lora).toBeLessThan(full);
    const { hidden: h, intermediate: I } = m.transformer!;
    // Full FT extra: 2 normalized inputs for the norm weights (2·2h), gate/up input (2h), down input (2I).
    expect(full - lora).toBe(2048 * (2 * 2 * h + 2 * h + 2 * I));
  });

  it("before PyTorch 1.11 softmax also kept its input: + one score tensor per layer (pytorch#65242)", () => {
    const m = catalogModel("gpt2");
    const a = m.transformer!.heads;
    const now = savedActivations(m, base()).perLayerBytes;
    const old = savedActivations(m, base({ softmaxSavesInput: true })).perLayerBytes;
    expect(old - now).toBe(2 * 1024 * (a * 1024 * 2));
  });

  it("checkpointing keeps one layer input per layer", () => {
    const m = catalogModel("llama-3.2-1b");
    const act = savedActivations(m, base({ attention: "sdpa" }));
    expect(act.checkpointPerLayer).toBe(2 * 2048 * m.transformer!.hidden);
  });
});
