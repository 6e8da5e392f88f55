import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readTrainingConfig } from "./index.js";
import type { TrainingConfigRead } from "./types.js";

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "fixtures");
const read = (f: string, overrides: string[] = []) => readTrainingConfig(readFileSync(join(FIXTURES, f), "utf8"), f, overrides);
const values = (r: TrainingConfigRead) => Object.fromEntries(Object.entries(r.settings).map(([k, v]) => [k, v!.value]));
const fixtureFiles = readdirSync(FIXTURES).filter((f) => f !== "SOURCES.md");

describe("fixtures", () => {
  it("every fixture has its source in SOURCES.md", () => {
    const sources = readFileSync(join(FIXTURES, "SOURCES.md"), "utf8");
    for (const f of fixtureFiles) expect(sources, f).toContain(`| ${f} |`);
  });

  it.each(fixtureFiles)("%s: detected as its own framework's format, every key recognised", (f) => {
    const r = read(f);
    const expected = f.startsWith("axolotl")
      ? "axolotl"
      : f.startsWith("llamafactory")
        ? "llama-factory"
        : f.startsWith("torchtune")
          ? "torchtune"
          : f.startsWith("deepspeed")
            ? "deepspeed"
            : f.startsWith("accelerate")
              ? "accelerate"
              : "hf-training-args";
    expect(r.format).toBe(expected);
    expect(r.unknown).toEqual([]);
  });
});

describe("axolotl", () => {
  it("qlora-1b (examples/llama-3/qlora-1b.yml)", () => {
    const r = read("axolotl-llama3-qlora-1b.yml");
    expect(r.framework).toBe("axolotl");
    expect(r.model).toBe("NousResearch/Llama-3.2-1B");
    expect(values(r)).toMatchObject({
      finetuning: "qlora",
      load_in_4bit: true,
      micro_batch_size: 2,
      grad_accum: 4,
      seq_len: 2048,
      packing: true,
      pad_to_seq_len: true,
      lora_rank: 32,
      lora_alpha: 16,
      lora_dropout: 0.05,
      lora_targets: "gate_proj,down_proj,up_proj,q_proj,v_proj,k_proj,o_proj",
      optimizer: "adamw-8bit",
      precision: "bf16",
      checkpointing: true,
      attention: "flash",
    });
    expect(r.settings.micro_batch_size!.key).toBe("micro_batch_size");
    expect(r.settings.pad_to_seq_len!.key).toBe("sample_packing");
    expect(r.ignored).toContain("learning_rate");
    expect(r.ignored).toContain("wandb_project");
  });

  it("full fine-tune with paged 8-bit AdamW (fft-8b.yaml)", () => {
    expect(values(read("axolotl-llama3-fft-8b.yaml"))).toMatchObject({ finetuning: "full", optimizer: "paged-adamw-8bit", seq_len: 8192, micro_batch_size: 1, grad_accum: 8 });
  });

  it("Liger plugin + FSDP (fft-8b-liger-fsdp.yaml)", () => {
    const v = values(read("axolotl-llama3-fft-8b-liger-fsdp.yaml"));
    expect(v).toMatchObject({ liger: true, loss: "fused-linear", fsdp_sharding: "full_shard", offload_params: "cpu", optimizer: "adamw", optimizer_impl: "fused" });
  });

  it("FSDP QLoRA 70B with lora_target_linear", () => {
    const r = read("axolotl-llama3-qlora-fsdp-70b.yaml");
    expect(values(r)).toMatchObject({ finetuning: "qlora", lora_targets: "all-linear", lora_rank: 8, seq_len: 512, packing: false });
    expect(r.settings.lora_targets!.key).toBe("lora_target_linear");
  });

  it("DeepSpeed path and partial unfreezing are named as not modelled", () => {
    const r = read("axolotl-bigstral-ds-zero3.yaml");
    expect(r.unmodelled.map((u) => u.key)).toEqual(expect.arrayContaining(["deepspeed", "unfrozen_parameters"]));
  });

  it("older gradient_checkpointing: unsloth → checkpointing with offload", () => {
    const r = readTrainingConfig("base_model: x/y\nmicro_batch_size: 2\nsequence_len: 1024\ngradient_checkpointing: unsloth\n", "a.yml");
    expect(values(r)).toMatchObject({ checkpointing: true, checkpoint_offload: true });
  });

  it("chunked_cross_entropy and the CCE plugin", () => {
    expect(values(readTrainingConfig("base_model: m\nmicro_batch_size: 1\nchunked_cross_entropy: true\nchunked_cross_entropy_num_chunks: 16\n", "a.yml"))).toMatchObject({
      loss: "chunked",
      loss_chunks: 16,
    });
    const cce = readTrainingConfig("base_model: m\nmicro_batch_size: 1\nplugins:\n  - axolotl.integrations.cut_cross_entropy.CutCrossEntropyPlugin\n", "a.yml");
    expect(cce.settings.loss).toEqual({ value: "fused-linear", key: "plugins" });
  });
});

describe("LLaMA-Factory", () => {
  it("qwen3 LoRA SFT (examples/train_lora/qwen3_lora_sft.yaml)", () => {
    const r = read("llamafactory-qwen3-lora-sft.yaml");
    expect(r.framework).toBe("llama-factory");
    expect(r.model).toBe("Qwen/Qwen3-4B-Instruct-2507");
    expect(values(r)).toMatchObject({ finetuning: "lora", lora_rank: 8, lora_targets: "all-linear", seq_len: 2048, micro_batch_size: 1, grad_accum: 8, precision: "amp-bf16" });
    expect(r.settings.lora_targets!.key).toBe("lora_target");
    expect(r.notes.join("\n")).toMatch(/gradient checkpointing by default/);
  });

  it("on-the-fly QLoRA (quantization_bit: 4) is qlora", () => {
    expect(values(read("llamafactory-qwen3-qlora-otfq.yaml"))).toMatchObject({ finetuning: "qlora", load_in_4bit: true });
  });

  it("a DeepSpeed file path is named, not read", () => {
    const r = read("llamafactory-qwen3-lora-sft-ds3.yaml");
    expect(r.unmodelled).toContainEqual(expect.objectContaining({ key: "deepspeed", value: "examples/deepspeed/ds_z3_config.json" }));
  });

  it("pure_bf16 and disable_gradient_checkpointing", () => {
    const r = readTrainingConfig("model_name_or_path: m\nstage: sft\nfinetuning_type: full\nbf16: true\npure_bf16: true\ndisable_gradient_checkpointing: true\n", "lf.yaml");
    expect(values(r)).toMatchObject({ precision: "bf16", checkpointing: false, finetuning: "full" });
  });
});

describe("torchtune", () => {
  it("Llama 3.1 8B LoRA single device (recipes/configs/llama3_1/8B_lora_single_device.yaml)", () => {
    const r = read("torchtune-llama3_1-8B-lora-single-device.yaml");
    expect(r.framework).toBe("torchtune");
    expect(r.model).toBe("/tmp/Meta-Llama-3.1-8B-Instruct/");
    expect(r.modelComponent).toBe("torchtune.models.llama3_1.lora_llama3_1_8b");
    expect(values(r)).toMatchObject({
      finetuning: "lora",
      lora_rank: 8,
      lora_alpha: 16,
      lora_targets: "q_proj,v_proj,o_proj,gate_proj,up_proj,down_proj",
      micro_batch_size: 2,
      grad_accum: 8,
      precision: "bf16",
      loss: "chunked",
      loss_chunks: 8,
      checkpointing: true,
      checkpoint_offload: false,
      optimizer: "adamw",
      optimizer_impl: "fused",
      packing: false,
      compile: false,
    });
    expect(r.settings.lora_targets!.key).toBe("model.lora_attn_modules+model.apply_lora_to_mlp+model.apply_lora_to_output");
  });

  it("QLoRA builder", () => {
    expect(values(read("torchtune-llama3_1-8B-qlora-single-device.yaml"))).toMatchObject({ finetuning: "qlora", load_in_4bit: true });
  });

  it("full single device: PagedAdamW8bit and optimizer_in_bwd", () => {
    expect(values(read("torchtune-llama3_1-8B-full-single-device.yaml"))).toMatchObject({ finetuning: "full", optimizer: "paged-adamw-8bit", optimizer_in_backward: true });
  });

  it("key=value overrides as on the tune CLI", () => {
    const r = read("torchtune-llama3_1-8B-lora-single-device.yaml", [
      "batch_size=8",
      "model.lora_rank=16",
      "model.apply_lora_to_mlp=False",
      "tokenizer.max_seq_len=4096",
      "dataset.packed=True",
      "compile=True",
      "loss._component_=torchtune.modules.loss.LinearCrossEntropyLoss",
      "~enable_activation_offloading",
    ]);
    expect(values(r)).toMatchObject({ micro_batch_size: 8, lora_rank: 16, lora_targets: "q_proj,v_proj,o_proj", seq_len: 4096, packing: true, compile: true, loss: "chunked-lm-head" });
    expect(r.settings.checkpoint_offload).toBeUndefined();
  });
});

describe("TRL / TrainingArguments", () => {
  it("alignment-handbook zephyr QLoRA recipe (TRL)", () => {
    const r = read("alignment-handbook-zephyr-sft-qlora.yaml");
    expect(r.framework).toBe("trl");
    expect(r.model).toBe("mistralai/Mistral-7B-v0.1");
    expect(values(r)).toMatchObject({ finetuning: "qlora", load_in_4bit: true, lora_rank: 16, dtype: "bf16", attention: "flash", precision: "bf16", checkpointing: true, micro_batch_size: 4, grad_accum: 2, seq_len: 2048 });
    expect(r.settings.precision!.key).toBe("bf16+torch_dtype");
  });

  it("SmolLM3 recipe: packing, Liger, 64k sequences", () => {
    expect(values(read("alignment-handbook-smollm3-sft.yaml"))).toMatchObject({ packing: true, liger: true, loss: "fused-linear", seq_len: 65536 });
  });

  it("a TrainingArguments JSON dump (plain transformers)", () => {
    const json = JSON.stringify({
      output_dir: "out",
      per_device_train_batch_size: 4,
      gradient_accumulation_steps: 8,
      optim: "paged_adamw_8bit",
      bf16: true,
      fp16: false,
      gradient_checkpointing: true,
      torch_compile: false,
      deepspeed: { zero_optimization: { stage: 2, offload_optimizer: { device: "cpu" } }, bf16: { enabled: "auto" } },
      _n_gpu: 1,
      learning_rate: 2e-4,
    });
    const r = readTrainingConfig(json, "training_args.json");
    expect(r.framework).toBe("transformers");
    expect(values(r)).toMatchObject({ micro_batch_size: 4, grad_accum: 8, optimizer: "paged-adamw-8bit", precision: "amp-bf16", checkpointing: true, compile: false, zero_stage: 2, offload_optimizer: "cpu" });
    expect(r.settings.zero_stage!.key).toBe("deepspeed.zero_optimization.stage");
  });

  it("TRL: BFD packing implies padding-free; loss_type chunked_nll", () => {
    const r = readTrainingConfig("model_name_or_path: Qwen/Qwen3-0.6B\npacking: true\nmax_length: 4096\nloss_type: chunked_nll\n", "sft.yaml");
    expect(values(r)).toMatchObject({ packing: true, padding_free: true, seq_len: 4096, loss: "chunked-lm-head" });
  });

  it("trainer_state.json gives the per-device batch", () => {
    const r = readTrainingConfig(JSON.stringify({ global_step: 10, log_history: [{ loss: 1 }], train_batch_size: 8, best_metric: null }), "trainer_state.json");
    expect(values(r)).toEqual({ micro_batch_size: 8 });
  });
});

describe("DeepSpeed", () => {
  it("LLaMA-Factory ds_z3_config.json", () => {
    const r = read("deepspeed-llamafactory-z3.json");
    expect(r.framework).toBe("deepspeed");
    expect(values(r)).toMatchObject({ zero_stage: 3, overlap_comm: false, sub_group_size: 1e9, max_live_parameters: 1e9 });
    expect(r.notes.join("\n")).toMatch(/reduce_bucket_size is "auto"/);
  });

  it("accelerate's ZeRO-3 offload template", () => {
    expect(values(read("deepspeed-accelerate-zero3-offload.json"))).toMatchObject({ zero_stage: 3, offload_optimizer: "cpu", offload_params: "cpu", precision: "amp-fp16", optimizer: "adamw" });
  });

  it("ZeRO-2 offload (LLaMA-Factory ds_z2_offload_config.json)", () => {
    expect(values(read("deepspeed-llamafactory-z2-offload.json"))).toMatchObject({ zero_stage: 2, offload_optimizer: "cpu", reduce_bucket_size: 5e8 });
  });
});

describe("accelerate", () => {
  it("FSDP template", () => {
    const r = read("accelerate-template-fsdp.yaml");
    expect(r.framework).toBe("fsdp");
    expect(values(r)).toMatchObject({ fsdp_sharding: "full_shard", offload_params: "none", precision: "amp-bf16", num_processes: 2, checkpointing: false });
    expect(r.settings.fsdp_sharding!.key).toBe("fsdp_config.fsdp_sharding_strategy");
  });

  it("FSDP2 reshard_after_forward and CPU offload (LLaMA-Factory)", () => {
    expect(values(read("accelerate-llamafactory-fsdp2.yaml"))).toMatchObject({ fsdp_version: 2, fsdp_sharding: "full_shard" });
    expect(values(read("accelerate-llamafactory-fsdp-offload.yaml"))).toMatchObject({ offload_params: "cpu" });
  });

  it("DeepSpeed plugin settings (TRL zero3.yaml)", () => {
    const r = read("accelerate-trl-zero3.yaml");
    expect(r.framework).toBe("deepspeed");
    expect(values(r)).toMatchObject({ zero_stage: 3, offload_optimizer: "none", offload_params: "none", num_processes: 8, precision: "amp-bf16" });
  });

  it("a deepspeed_config_file is named as a file to read too", () => {
    expect(read("accelerate-template-deepspeed.yaml").unmodelled.map((u) => u.key)).toContain("deepspeed_config.deepspeed_config_file");
  });
});

describe("LitGPT", () => {
  it("config_hub-style LoRA YAML: per-part flags become module names", () => {
    const text = [
      "checkpoint_dir: checkpoints/meta-llama/Meta-Llama-3.1-8B",
      "precision: bf16-true",
      "quantize:",
      "devices: 1",
      "num_nodes: 1",
      "lora_r: 32",
      "lora_alpha: 16",
      "lora_dropout: 0.05",
      "lora_query: true",
      "lora_key: false",
      "lora_value: true",
      "lora_projection: false",
      "lora_mlp: true",
      "lora_head: false",
      "train:",
      "  global_batch_size: 8",
      "  micro_batch_size: 1",
      "  max_seq_length: 512",
      "optimizer:",
      "  class_path: torch.optim.AdamW",
      "  init_args:",
      "    lr: 0.0002",
    ].join("\n");
    const r = readTrainingConfig(text, "lora.yaml");
    expect(r.format).toBe("litgpt");
    expect(values(r)).toMatchObject({ precision: "bf16", lora_rank: 32, lora_targets: "q_proj,v_proj,gate_proj,up_proj,down_proj", micro_batch_size: 1, grad_accum: 8, seq_len: 512, optimizer: "adamw", finetuning: "lora" });
  });

  it("bnb.nf4-dq quantization", () => {
    const r = readTrainingConfig("checkpoint_dir: c\nprecision: bf16-true\nquantize: bnb.nf4-dq\nlora_r: 8\nlora_query: true\n", "qlora.yaml");
    expect(values(r)).toMatchObject({ load_in_4bit: true, quant_type: "nf4", double_quant: true, finetuning: "qlora", optimizer: "paged-adamw" });
  });
});
