/**
 * "Will my config fit?": real framework configs (config-files/fixtures, with their sources) → the estimate with the
 * framework's profile, the model the file names, and advice written in the file's own keys.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { isVramfitError, VramfitError } from "../core/errors.js";
import { runCli } from "../cli/main.js";
import { fileEdits } from "./config-advice.js";
import { estimateTrainingConfig, type ConfigFile } from "./config-estimate.js";
import { catalogIdForTorchtune } from "./config-workload.js";

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), "config-files", "fixtures");
const file = (name: string): ConfigFile => ({ name, text: fs.readFileSync(path.join(fixtures, name), "utf8") });

describe("config → estimate", () => {
  it("axolotl LoRA on a 12 GB card: the file's settings, the framework, the model by name, advice in axolotl keys", async () => {
    const r = await estimateTrainingConfig([file("axolotl-llama3-lora-1b.yml")], { gpu: "rtx-3060" });
    expect(r.estimate.workload.framework).toBe("axolotl");
    expect(r.model.resolved).toBe("llama-3.2-1b");
    expect(r.model.note).toMatch(/NousResearch\/Llama-3.2-1B read as the catalog's llama-3.2-1b/);
    expect(r.workload.origin.batch).toMatchObject({ value: 2, key: "micro_batch_size" });
    expect(r.estimate.workload).toMatchObject({ batch: 2, seq: 2048, lora_rank: 16, optimizer: "adamw-8bit", checkpointing: true });
    expect(r.estimate.gpu?.verdict).not.toBe("fits");
    const first = r.advice[0];
    expect(first.verdict).toBe("fits");
    expect(first.edits[0].file).toBe("axolotl-llama3-lora-1b.yml");
    const all = r.advice.flatMap((a) => a.edits.flatMap((e) => e.lines));
    expect(all).toContain("chunked_cross_entropy: true");
    // Every change advised is in the file's keys and lowers the per-GPU total.
    for (const a of r.advice) expect(a.device_bytes).toBeLessThan(r.estimate.totals.device_bytes);
  });

  it("torchtune: the model from model._component_, pure bf16 and the recipe's chunked loss; advice in torchtune keys", async () => {
    const r = await estimateTrainingConfig([file("torchtune-llama3_1-8B-lora-single-device.yaml")], { gpu: "rtx-4090" });
    expect(r.model.resolved).toBe("llama-3.1-8b");
    expect(r.estimate.workload).toMatchObject({ framework: "torchtune", precision: "bf16", loss: "chunked", lora_rank: 8 });
    const lines = r.advice.flatMap((a) => a.edits.flatMap((e) => e.lines));
    expect(lines.some((l) => l.startsWith("enable_activation_offloading: True") || l.startsWith("model._component_: torchtune.models.llama3_1.qlora_llama3_1_8b"))).toBe(true);
    expect(r.notes.some((n) => /sets no sequence length/.test(n))).toBe(true);
  });

  it("a training file with its DeepSpeed JSON: the framework from the YAML, ZeRO-3 from the JSON, per GPU", async () => {
    const r = await estimateTrainingConfig([file("llamafactory-qwen3-full-sft.yaml"), file("deepspeed-llamafactory-z3.json")], { gpu: "a100-80gb", gpus: 4, model: "qwen3-4b" });
    expect(r.estimate.workload).toMatchObject({ framework: "llama-factory", zero_stage: 3, gpus: 4, lora_rank: null });
    expect(r.workload.origin.zero_stage).toMatchObject({ file: "deepspeed-llamafactory-z3.json", key: "zero_optimization.stage" });
    expect(r.estimate.uncertainty?.category).toBe("multi_gpu_training");
  });

  it("an accelerate config gives the number of processes and the ZeRO stage to a TRL recipe", async () => {
    const r = await estimateTrainingConfig([file("alignment-handbook-zephyr-sft-full.yaml"), file("accelerate-alignment-handbook-zero3.yaml")], { gpu: "a100-80gb" });
    expect(r.estimate.workload).toMatchObject({ framework: "trl", gpus: 8, zero_stage: 3, batch: 16, seq: 2048 });
    expect(r.unmodelled.map((u) => u.key)).toContain("per_device_eval_batch_size");
  });

  it("refuses with one line: a malformed file, a model it cannot read offline", async () => {
    await expect(estimateTrainingConfig([{ name: "bad.yaml", text: "base_model: [unclosed" }])).rejects.toSatisfy((e: unknown) => isVramfitError(e, "invalid_file") && !(e as Error).message.includes("\n"));
    await expect(estimateTrainingConfig([file("llamafactory-qwen3-lora-sft.yaml")])).rejects.toSatisfy((e: unknown) => isVramfitError(e, "unknown_model"));
    const offline = estimateTrainingConfig([file("llamafactory-qwen3-lora-sft.yaml")], { resolveModel: async () => Promise.reject(new VramfitError("network", "Hugging Face Hub: cannot reach https://huggingface.co")) });
    await expect(offline).rejects.toThrow(/Qwen\/Qwen3-4B-Instruct-2507 \(llamafactory-qwen3-lora-sft.yaml model_name_or_path\) could not be read/);
  });
});

describe("advice in each file's keys", () => {
  it("writes checkpointing the way each framework spells it", async () => {
    const lf = await estimateTrainingConfig([file("llamafactory-qwen3-lora-sft.yaml")], { model: "qwen3-4b" });
    expect(fileEdits({ checkpointing: false }, lf.workload)).toEqual([{ file: "llamafactory-qwen3-lora-sft.yaml", lines: ["disable_gradient_checkpointing: true"] }]);
    const ds = await estimateTrainingConfig([file("alignment-handbook-zephyr-sft-full.yaml"), file("accelerate-alignment-handbook-zero3.yaml")], {});
    expect(fileEdits({ offload: "optimizer" }, ds.workload)).toEqual([{ file: "accelerate-alignment-handbook-zero3.yaml", lines: ["deepspeed_config.offload_optimizer_device: cpu"] }]);
    expect(fileEdits({ liger: true, loss: "fused-linear" }, ds.workload)).toEqual([{ file: "alignment-handbook-zephyr-sft-full.yaml", lines: ["use_liger_kernel: true"] }]);
  });
  it("maps torchtune builders to the catalog", () => {
    expect(catalogIdForTorchtune("torchtune.models.llama3_1.lora_llama3_1_8b")).toBe("llama-3.1-8b");
    expect(catalogIdForTorchtune("torchtune.models.qwen2_5.qwen2_5_0_5b")).toBe("qwen2.5-0.5b");
    expect(catalogIdForTorchtune("torchtune.models.mistral.lora_mistral_7b")).toBe("mistral-7b-v0.1");
    expect(catalogIdForTorchtune("torchtune.models.nope.nope_7b")).toBeUndefined();
  });
});

describe("vramfit estimate --config", () => {
  it("prints the estimate, what the file asks for, and what to change in it", async () => {
    const out: string[] = [];
    const code = await runCli(["estimate", "--config", path.join(fixtures, "axolotl-llama3-lora-1b.yml"), "--gpu", "rtx-3060"], (s) => out.push(s));
    expect(code).toBe(0);
    const text = out.join("\n");
    expect(text).toContain("framework axolotl");
    expect(text).toContain("to make it fit, change in your file:");
    expect(text).toContain("`chunked_cross_entropy: true`");
  });
  it("--json carries the config section; a missing file is one line", async () => {
    const out: string[] = [];
    expect(await runCli(["estimate", "--config", path.join(fixtures, "torchtune-llama3_1-8B-lora-single-device.yaml"), "--gpu", "rtx-4090", "--json"], (s) => out.push(s))).toBe(0);
    const j = JSON.parse(out.join("\n"));
    expect(j.config.framework).toBe("torchtune");
    expect(j.workload.framework).toBe("torchtune");
    expect(await runCli(["estimate", "--config", "/nonexistent/train.yaml"], () => {})).toBe(1);
  });
});
