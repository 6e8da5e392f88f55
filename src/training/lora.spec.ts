/**
 * LoRA trainable parameter counts against what PEFT's print_trainable_parameters printed for the same
 * configuration (independent ground truth: PEFT's own docs and notebooks at a pinned commit).
 */
import { describe, expect, it } from "vitest";
import { catalogModel } from "../catalog/models.js";
import { VramfitError } from "../core/errors.js";
import { loraAdapterBytes, loraPlan, targetMatches } from "./lora.js";

const PEFT = "https://github.com/huggingface/peft/blob/5d602fdbff04c33c1c4de55cda9d4ae1d7cb7e40";

describe("LoRA trainable parameters = PEFT print_trainable_parameters", () => {
  it("Qwen2.5-3B-Instruct, r=16, default targets: 3,686,400 (PEFT README)", () => {
    // `${PEFT}/README.md`: "# prints: trainable params: 3,686,400 || all params: 3,089,625,088 || trainable%: 0.1193"
    const m = catalogModel("qwen2.5-3b");
    const plan = loraPlan(m, 16, null);
    expect(plan.targets).toEqual(["q_proj", "v_proj"]);
    expect(plan.trainableParams).toBe(3_686_400);
    expect(m.parameters + plan.trainableParams).toBe(3_089_625_088);
  });

  it("Llama-3.2-1B, r=8, q_proj: 524,288 (PEFT quicktour)", () => {
    // `${PEFT}/docs/source/quicktour.md`: "output: trainable params: 524,288 || all params: 1,236,338,688"
    const m = catalogModel("llama-3.2-1b");
    const plan = loraPlan(m, 8, "q_proj");
    expect(plan.trainableParams).toBe(524_288);
    expect(m.parameters + plan.trainableParams).toBe(1_236_338_688);
  });

  it("Llama-2-7B, r=8, q_proj,v_proj: 4,194,304 (all params 6,742,609,920)", () => {
    // The classic PEFT print for LLaMA/Llama-2 7B (docs/research/mechanics.md §7).
    const m = catalogModel("llama-2-7b");
    const plan = loraPlan(m, 8, "q_proj,v_proj");
    expect(plan.trainableParams).toBe(4_194_304);
    expect(m.parameters + plan.trainableParams).toBe(6_742_609_920);
  });

  it("all-linear targets the 7 block linears of Llama and not lm_head", () => {
    const m = catalogModel("llama-2-7b");
    const plan = loraPlan(m, 16, "all-linear");
    const modules = new Set(plan.adapters.map((a) => a.group.module));
    expect([...modules].sort()).toEqual(["down_proj", "gate_proj", "k_proj", "o_proj", "q_proj", "up_proj", "v_proj"]);
    // Hand count: 32 layers × r × [q,k,v,o: 4·(4096+4096) + gate,up: 2·(4096+11008) + down: (11008+4096)]
    expect(plan.trainableParams).toBe(32 * 16 * (4 * 8192 + 3 * (4096 + 11008)));
  });

  it("GQA: k_proj and v_proj adapters use the smaller kv width (Llama-3.1-8B, r=8, q,v: 3,407,872)", () => {
    const m = catalogModel("llama-3.1-8b");
    // 32 × 8 × [(4096+4096) + (4096+1024)]
    expect(loraPlan(m, 8, "q_proj,v_proj").trainableParams).toBe(32 * 8 * (8192 + 5120));
  });

  it("matches PEFT's suffix rule", () => {
    expect(targetMatches("model.layers.{L}.self_attn.q_proj", "q_proj")).toBe(true);
    expect(targetMatches("model.layers.{L}.self_attn.q_proj", "self_attn.q_proj")).toBe(true);
    expect(targetMatches("model.layers.{L}.self_attn.q_proj", "proj")).toBe(false);
  });

  it("targets that match nothing give one clear error with the model's linear names", () => {
    const m = catalogModel("llama-3.2-1b");
    expect(() => loraPlan(m, 8, "query,value")).toThrow(VramfitError);
    try {
      loraPlan(m, 8, "query,value");
    } catch (e) {
      expect((e as VramfitError).suggestion).toContain("q_proj");
    }
  });
});

describe("LoRA adapter dtype", () => {
  it("PEFT's get_peft_model(autocast_adapter_dtype=True) keeps adapters in fp32 unless told otherwise", () => {
    expect(loraAdapterBytes({})).toBe(4);
    expect(loraAdapterBytes({ lora_adapter_dtype: "fp32" })).toBe(4);
    expect(loraAdapterBytes({ lora_adapter_dtype: "bf16" })).toBe(2);
    expect(loraAdapterBytes({ lora_adapter_dtype: "fp16" })).toBe(2);
  });
});
