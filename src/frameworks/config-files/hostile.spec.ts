import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { VramfitError } from "../../core/errors.js";
import { readTrainingConfig } from "./index.js";
import { MAX_CONFIG_CHARS } from "./parse.js";

/** Calls `fn` and returns the VramfitError it throws; fails if it returns or throws anything else. */
function rejects(fn: () => unknown): VramfitError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(VramfitError);
    const err = e as VramfitError;
    expect(err.code).toBe("invalid_file");
    expect(err.message).not.toContain("\n");
    expect(err.message).not.toMatch(/\bat .*\(.*:\d+:\d+\)/);
    return err;
  }
  throw new Error("expected a VramfitError");
}

describe("malformed and hostile files", () => {
  it("broken YAML and JSON", () => {
    expect(rejects(() => readTrainingConfig("base_model: [unclosed\n", "a.yml")).message).toMatch(/^a\.yml: not valid YAML/);
    expect(rejects(() => readTrainingConfig('{"zero_optimization": {"stage": 3,}', "ds.json")).message).toMatch(/^ds\.json: not valid JSON/);
    rejects(() => readTrainingConfig("key: value\n  bad indent: x\n", "a.yaml"));
  });

  it("duplicate keys", () => {
    rejects(() => readTrainingConfig("base_model: a\nbase_model: b\nmicro_batch_size: 1\n", "a.yml"));
  });

  it("several YAML documents", () => {
    rejects(() => readTrainingConfig("base_model: a\n---\nbase_model: b\n", "a.yml"));
  });

  it("a YAML alias bomb is refused quickly", () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 10; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      lines.push(`${cur}: &${cur} [*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev}]`);
    }
    const t0 = Date.now();
    rejects(() => readTrainingConfig(lines.join("\n"), "bomb.yaml"));
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it("huge input, deep nesting, binary", () => {
    expect(rejects(() => readTrainingConfig(`a: "${"x".repeat(MAX_CONFIG_CHARS)}"`, "big.yaml")).message).toMatch(/too large/);
    rejects(() => readTrainingConfig("[".repeat(5000) + "]".repeat(5000), "deep.json"));
    rejects(() => readTrainingConfig(`a:\n${Array.from({ length: 80 }, (_, i) => `${" ".repeat(2 * (i + 1))}k${i}:`).join("\n")} 1\n`, "deep.yaml"));
    rejects(() => readTrainingConfig("base_model: a\u0000b", "bin.yaml"));
  });

  it("a file with many keys is read (or refused) in well under a second per 100 KB, not quadratically", () => {
    const text = Array.from({ length: 20_000 }, (_, i) => `k${i}: ${i}`).join("\n");
    const t0 = Date.now();
    rejects(() => readTrainingConfig(text, "many.yaml"));
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it("not a mapping, or of no known format", () => {
    rejects(() => readTrainingConfig("- a\n- b\n", "list.yaml"));
    rejects(() => readTrainingConfig("42", "n.json"));
    rejects(() => readTrainingConfig("", "empty.yaml"));
    expect(rejects(() => readTrainingConfig("name: my-app\nversion: 1.0\n", "package.yaml")).message).toMatch(/not a training configuration vramfit knows/);
  });

  it("wrong types on keys that matter", () => {
    expect(rejects(() => readTrainingConfig("base_model: m\nmicro_batch_size: two\n", "a.yml")).message).toBe("a.yml: micro_batch_size must be a whole number ≥ 1, got \"two\"");
    rejects(() => readTrainingConfig("base_model: m\nmicro_batch_size: 0\n", "a.yml"));
    rejects(() => readTrainingConfig("base_model: m\nmicro_batch_size: 1.5\n", "a.yml"));
    rejects(() => readTrainingConfig("base_model: m\nmicro_batch_size: 1\ngradient_checkpointing: sometimes\n", "a.yml"));
    rejects(() => readTrainingConfig('{"zero_optimization": {"stage": 7}, "train_micro_batch_size_per_gpu": 1}', "ds.json"));
    rejects(() => readTrainingConfig("base_model: [1, 2]\nmicro_batch_size: 1\n", "a.yml"));
    rejects(() => readTrainingConfig("model_name_or_path: m\nstage: sft\nfinetuning_type: lora\nlora_dropout: 3\n", "lf.yaml"));
  });

  it("__proto__ keys do nothing and are reported as unknown", () => {
    const r = readTrainingConfig('{"__proto__": {"polluted": true}, "zero_optimization": {"stage": 1}, "train_micro_batch_size_per_gpu": 2}', "ds.json");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(r.settings.zero_stage!.value).toBe(1);
    rejects(() => readTrainingConfig("checkpointer:\n  _component_: x\nbatch_size: 1\n", "t.yaml", ["__proto__.polluted=1"]));
  });

  it("bad overrides", () => {
    const base = "model:\n  _component_: torchtune.models.llama3_2.lora_llama3_2_1b\nbatch_size: 1\ncheckpointer:\n  _component_: x\n";
    rejects(() => readTrainingConfig(base, "t.yaml", ["batch_size"]));
    rejects(() => readTrainingConfig(base, "t.yaml", ["=3"]));
    rejects(() => readTrainingConfig(base, "t.yaml", ["batch_size=[unclosed"]));
    rejects(() => readTrainingConfig(base, "t.yaml", ["batch_size=-2"]));
  });
});

describe("properties: any input either reads or throws one VramfitError", () => {
  const only = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      if (!(e instanceof VramfitError)) throw e;
      if (e.message.includes("\n")) throw new Error(`multi-line message: ${e.message}`);
    }
  };

  it("random strings", () => {
    fc.assert(fc.property(fc.string({ maxLength: 400 }), fc.constantFrom("a.yaml", "b.json", "c.yml"), (s, name) => only(() => readTrainingConfig(s, name))), { numRuns: 500 });
  });

  it("random bytes decoded as text", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => only(() => readTrainingConfig(new TextDecoder().decode(bytes), "x.yaml"))),
      { numRuns: 300 },
    );
  });

  it("random JSON values", () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => only(() => readTrainingConfig(JSON.stringify(v), "x.json"))), { numRuns: 300 });
  });

  const KEYS = [
    "base_model",
    "micro_batch_size",
    "sequence_len",
    "adapter",
    "lora_r",
    "lora_target_modules",
    "gradient_checkpointing",
    "optimizer",
    "bf16",
    "stage",
    "finetuning_type",
    "lora_target",
    "cutoff_len",
    "quantization_bit",
    "per_device_train_batch_size",
    "optim",
    "max_length",
    "packing",
    "zero_optimization",
    "train_micro_batch_size_per_gpu",
    "distributed_type",
    "mixed_precision",
    "fsdp_config",
    "num_processes",
    "model",
    "checkpointer",
    "dataset",
    "loss",
    "dtype",
    "deepspeed",
    "fsdp",
    "lora_query",
    "train",
    "precision",
  ];
  const value = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.constantFrom("auto", "true", "lora", "qlora", "adamw_torch_fused", "FULL_SHARD", "bf16", "none", "cpu", "all"),
    fc.dictionary(fc.constantFrom("stage", "_component_", "device", "packed", "offload_optimizer", "enabled", "micro_batch_size", "fsdp_offload_params"), fc.jsonValue({ maxDepth: 2 })),
  );

  it("random objects made of keys the readers know", () => {
    fc.assert(fc.property(fc.dictionary(fc.constantFrom(...KEYS), value, { maxKeys: 10 }), (obj) => only(() => readTrainingConfig(JSON.stringify(obj), "x.json"))), { numRuns: 1000 });
  });

  it("random overrides on a real torchtune config", () => {
    const base = "model:\n  _component_: torchtune.models.llama3_2.lora_llama3_2_1b\n  lora_rank: 8\nbatch_size: 1\ncheckpointer:\n  _component_: x\n";
    fc.assert(fc.property(fc.array(fc.string({ maxLength: 40 }), { maxLength: 5 }), (ov) => only(() => readTrainingConfig(base, "t.yaml", ov))), { numRuns: 300 });
  });
});
