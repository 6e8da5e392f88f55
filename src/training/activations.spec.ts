/**
 * Saved activations against Korthikanti et al. 2022 ("Reducing Activation Recomputation in Large
 * Transformer Models", arXiv 2205.05198, §4.1): a GPT layer with 16-bit activations, dropout and eager
 * attention saves s·b·h·(34 + 5·a·s/h) bytes. GPT-2 in pure bf16 is exactly that block (the two LayerNorms
 * add their 4-byte mean and rstd per token, which the paper leaves out).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { catalogModel } from "../catalog/models.js";
import { headBackwardBytes, savedActivations, type ActivationContext } from "./activations.js";

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

  it("SDPA with enable_gqa (torch ≥ 2.5, no mask) saves K and V at kv_heads: 2·e·(q_dim − kv_dim) less per token", () => {
    const m = catalogModel("llama-3.1-8b");
    const { heads: a, kvHeads, headDim } = m.transformer!;
    const expanded = savedActivations(m, base({ attention: "sdpa", kvExpanded: true })).perLayerBytes;
    const grouped = savedActivations(m, base({ attention: "sdpa", kvExpanded: false })).perLayerBytes;
    expect(expanded - grouped).toBe(2048 * 2 * 2 * (a - kvHeads) * headDim);
    // flash-attention 2 never expands; eager always does.
    expect(savedActivations(m, base({ attention: "flash" })).perLayerBytes).toBe(grouped);
    const eager = savedActivations(m, base({ attention: "eager", kvExpanded: false })).perLayerBytes;
    expect(eager).toBe(savedActivations(m, base({ attention: "eager", kvExpanded: true })).perLayerBytes);
  });

  it("Gemma's RMSNorm keeps its normalized input in fp32 for the weight gradient, whatever the model dtype", () => {
    const m = catalogModel("gemma-2-2b");
    const h = m.transformer!.hidden;
    const full = savedActivations(m, base({ attention: "sdpa" })).perLayerBytes;
    const frozen = savedActivations(m, base({ attention: "sdpa", fullFineTune: false })).perLayerBytes;
    const norms = m.tensors.filter((g) => g.kind === "norm" && g.name.includes("{L}") && g.shape[0] === h).length;
    expect(norms).toBe(4);
    // Full fine-tuning adds, per norm, the fp32 normalized input (4·h, not 2·h), besides the linear inputs it
    // saves: the attention input (shared by q, k, v), the MLP input (shared by gate, up), down_proj's input.
    const { intermediate: I } = m.transformer!;
    expect(full - frozen).toBe(2048 * (norms * 4 * h + 2 * h + 2 * h + 2 * I));
  });

  it("LoRA: lora_B keeps lora_A's output, rank values per token per adapted linear", () => {
    const m = catalogModel("llama-3.1-8b");
    const adapted = new Set(m.tensors.filter((g) => g.module === "q_proj" || g.module === "v_proj").map((g) => g.name));
    const ctx = base({ attention: "sdpa", fullFineTune: false, adapted, adapterBytes: 4, residual: 2, compute: 2 });
    const without = savedActivations(m, ctx).perLayerBytes;
    const withRank = savedActivations(m, { ...ctx, loraRank: 16 }).perLayerBytes;
    expect(withRank - without).toBe(2048 * 2 * 16 * 4);
  });

  it("a layer's backward working set: gradients made during backward never need less than gradients that exist already", () => {
    const models = ["llama-3.2-1b", "gemma-2-2b", "qwen2.5-1.5b", "gpt2"].map((id) => catalogModel(id));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: models.length - 1 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 16, max: 4096 }),
        fc.constantFrom("fp32", "amp", "bf16"),
        fc.constantFrom("sdpa", "eager", "flash"),
        (i, batch, seq, prec, attention) => {
          const c = base({
            batch,
            seq,
            attention: attention as ActivationContext["attention"],
            compute: prec === "fp32" ? 4 : 2,
            residual: prec === "bf16" ? 2 : 4,
            autocast: prec === "amp",
            kvExpanded: false,
          });
          const act = savedActivations(models[i], c);
          expect(act.layerBackwardTransientFresh).toBeGreaterThanOrEqual(act.layerBackwardTransient);
          expect(act.layerBackwardTransient).toBeGreaterThan(0);
          expect(act.checkpointInputShared).toBeLessThanOrEqual(act.checkpointPerLayer);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("the LM head's backward (COMPARISON.md item 8)", () => {
  it("fp32 at small T: lm_head's weight gradient and its input gradient with the logits' gradient outgrow the loss's 12·T·V", () => {
    const T = 256;
    const V = 32000;
    const h = 1024;
    expect(headBackwardBytes(T, V, h, 4, 12 * T * V, 4 * V * h)).toBe(4 * V * h + 4 * T * h + 4 * T * V);
    // a frozen head (LoRA): the loss's backward
    expect(headBackwardBytes(T, V, h, 2, 12 * T * V, 0)).toBe(12 * T * V);
  });
});
