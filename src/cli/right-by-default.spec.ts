/**
 * Issue #15 audit (docs/engines/right-by-default-audit.md): each case failed before its fix.
 */
import { describe, expect, it } from "vitest";
import { estimate, maxBatch, maxSeq } from "../index.js";
import { cli } from "../test-support/cli.js";


describe("the verdict agrees with the engine (#15.3)", () => {
  it("vLLM without one sequence's KV blocks is does_not_fit, with the reason, in JSON and text", async () => {
    const e = estimate("llama-3.1-70b", { runtime: "vllm", gpus: 2, gpu: "h100-sxm", seq: 8192 });
    expect(e.serving!.max_sequences).toBe(0);
    expect(e.gpu!.verdict).toBe("does_not_fit");
    expect(e.gpu!.fits).toBe(false);
    expect(e.gpu!.reason).toMatch(/vLLM will not start/);
    const r = await cli(["estimate", "llama-3.1-70b", "--runtime", "vllm", "--gpus", "2", "--gpu", "h100-sxm", "--seq", "8192"]);
    expect(r.out).toMatch(/✘ does not fit: vLLM will not start/);
    expect(r.out).not.toMatch(/✔ fits/);
    expect(r.out).toMatch(/--max-model-len \d+ \(from 8192\)/);
  });
});

describe("does_not_fit names the gentlest changes (#15.7)", () => {
  it("text and JSON list changes that fit, with what each saves", async () => {
    const r = await cli(["estimate", "llama-3.1-70b", "--gpu", "a100-80gb", "--json"]);
    const j = JSON.parse(r.out);
    expect(j.gpu.verdict).toBe("does_not_fit");
    expect(j.levers.length).toBeGreaterThan(0);
    for (const l of j.levers) {
      expect(["fits", "tight"]).toContain(l.verdict);
      expect(l.saves_bytes).toBeGreaterThan(0);
    }
    const t = await cli(["estimate", "mixtral-8x7b", "--runtime", "ollama", "--quant", "q4_k_m", "--gpu", "rtx-4090"]);
    expect(t.out).toMatch(/changes that make it fit/);
    expect(t.out).toMatch(/--cpu-moe .*saves/);
  });
});

describe("max-batch / max-seq answer the runtime's own question (#15.2)", () => {
  it("vLLM: max-batch is the concurrent sequences the KV blocks hold, not 65536", () => {
    const r = maxBatch("llama-3.1-8b", { runtime: "vllm", gpu: "a100-80gb", seq: 8192 });
    const e = estimate("llama-3.1-8b", { runtime: "vllm", gpu: "a100-80gb", seq: 8192 });
    expect(r.value).toBe(Math.min(e.serving!.max_sequences, e.serving!.max_num_seqs));
    expect(r.value).toBeLessThan(1000);
  });
  it("vLLM: max-seq is the longest --max-model-len vLLM starts with", () => {
    const r = maxSeq("llama-3.1-70b", { runtime: "vllm", gpu: "h100-sxm", gpus: 2 });
    expect(r.value).toBeGreaterThan(0);
    expect(estimate("llama-3.1-70b", { runtime: "vllm", gpu: "h100-sxm", gpus: 2, seq: r.value }).serving!.max_sequences).toBeGreaterThanOrEqual(1);
    expect(estimate("llama-3.1-70b", { runtime: "vllm", gpu: "h100-sxm", gpus: 2, seq: r.value + 1 }).gpu!.verdict).toBe("does_not_fit");
  });
  it("llama.cpp: --batch is parallel slots of --seq tokens (-np batch, -c batch × seq); max-batch counts slots", () => {
    const one = estimate("llama-3.1-8b", { runtime: "llama.cpp", quant: "q4_k_m", gpu: "rtx-4090", seq: 8192 });
    const four = estimate("llama-3.1-8b", { runtime: "llama.cpp", quant: "q4_k_m", gpu: "rtx-4090", seq: 8192, batch: 4 });
    const kv = (e: typeof one) => e.components.find((c) => c.id === "kv_cache")!.bytes;
    expect(kv(four)).toBe(4 * kv(one));
    expect(four.assumptions.join(" ")).toMatch(/-np 4 -c 32768/);
    // with llama.cpp's own --parallel, --seq is its -c (the total)
    expect(kv(estimate("llama-3.1-8b", { runtime: "llama.cpp", quant: "q4_k_m", gpu: "rtx-4090", seq: 8192, parallel: 4 }))).toBe(kv(one));
    expect(() => estimate("llama-3.1-8b", { runtime: "llama.cpp", quant: "q4_k_m", seq: 8192, parallel: 2, batch: 4 })).toThrow(/contradict/);
    const mb = maxBatch("llama-3.1-8b", { runtime: "llama.cpp", quant: "q4_k_m", gpu: "rtx-4090", seq: 8192 });
    expect(mb.value).toBeGreaterThan(1);
    expect(mb.value).toBeLessThan(64);
  });
  it("sweep over batches moves llama.cpp's memory", async () => {
    const r = await cli(["sweep", "llama-3.1-8b", "--runtime", "llama.cpp", "--quant", "q4_k_m", "--batches", "1,4", "--gpu", "rtx-4090", "--json"]);
    const rows = JSON.parse(r.out);
    expect(rows[1].device_bytes).toBeGreaterThan(rows[0].device_bytes);
  });
});

describe("vLLM's own checks (#15.4)", () => {
  it("tensor parallel must divide the attention heads (64 heads over 3 GPUs is refused)", () => {
    expect(() => estimate("llama-3.1-70b", { runtime: "vllm", gpus: 3, gpu: "h100-sxm" })).toThrow(/attention heads \(64\) must be divisible/);
    expect(estimate("llama-3.1-70b", { runtime: "vllm", gpus: 4, gpu: "h100-sxm" }).gpu!.verdict).toBe("fits");
  });
  it("the pooling runner says what vLLM does instead of a KV budget", async () => {
    const r = await cli(["estimate", "snowflake-arctic-embed-m", "--runtime", "vllm", "--gpu", "a100-80gb"]);
    expect(r.out).not.toMatch(/undefined/);
    expect(r.out).toMatch(/pooling runner: no KV cache/);
  });
});

describe("strict options (#15.4)", () => {
  it("the library refuses a misspelled key with a did-you-mean instead of a full fine-tune", () => {
    expect(() => estimate("llama-3.1-8b", { mode: "train", loraRank: 8 } as never)).toThrow(/unknown option 'loraRank'/);
  });
  it("another runtime's or mode's options, and --image on a language model, are errors naming where they apply", () => {
    expect(() => estimate("llama-3.1-8b", { runtime: "vllm", gpu: "a100-80gb", cache_type_k: "q8_0" } as never)).toThrow(/cache_type_k does not apply to vllm.*llama\.cpp/);
    expect(() => estimate("llama-3.1-8b", { batch_size: 8 } as never)).toThrow(/batch_size does not apply to transformers/);
    expect(() => estimate("llama-3.1-8b", { image: 640 } as never)).toThrow(/image does not apply/);
    expect(() => estimate("llama-3.1-8b", { mode: "train", max_model_len: 8192 } as never)).toThrow(/does not apply to training/);
  });
  it("contradictory context options are one line on stderr, exit 1", async () => {
    const r = await cli(["estimate", "llama-3.1-8b", "--gpu", "a100-80gb", "--seq", "4096", "--ctx-size", "8192"]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/--ctx-size 8192 and --seq 4096 are the same setting/);
  });
});

describe("GPU facts that software sees (#15.5)", () => {
  it("a800-80gb is the 79.25 GiB PyTorch reports (bench/accuracy/logs/sglang/yuy4o-gpt-oss-120b-a800-tp2-oom.log), not the 80 GiB label", async () => {
    const { gpuCatalog } = await import("../catalog/gpus.js");
    const g = gpuCatalog().find((x) => x.id === "a800-80gb")!;
    expect(g.usable_bytes).toBe(79.25 * 2 ** 30);
    expect(estimate("llama-3.1-8b", { gpu: "a800-80gb" }).gpu!.memory_bytes).toBe(79.25 * 2 ** 30);
  });
});

describe("GPU capabilities decide defaults; requests they cannot honour are refused (#15.5)", () => {
  it("fp16, not bf16, on T4 and V100; QLoRA on a T4 trains in amp-fp16", () => {
    const v = estimate("llama-3.1-8b", { gpu: "v100-32gb" });
    expect(v.workload.dtype).toBe("fp16");
    expect(v.assumptions.join(" ")).toMatch(/dtype fp16: .*no bf16/);
    const t = estimate("llama-3.1-8b", { mode: "train", qlora: true, gpu: "t4" });
    expect(t.workload.precision).toBe("amp-fp16");
    expect(estimate("llama-3.1-8b", { gpu: "a100-80gb" }).workload.dtype).toBe("bf16");
    expect(estimate("llama-3.1-8b", { gpu: "t4", dtype: "bf16" }).assumptions.join(" ")).toMatch(/bf16 as asked.*emulates/);
  });
  it("FlashAttention 2 on a V100 is refused; vLLM/SGLang on Apple silicon are refused (no CUDA graphs there)", () => {
    expect(() => estimate("llama-3.1-8b", { gpu: "v100-32gb", attention: "flash" })).toThrow(/FlashAttention 2 does not run/);
    expect(() => estimate("llama-3.1-8b", { runtime: "vllm", gpu: "apple-m4-max-128gb" })).toThrow(/no Metal backend/);
    expect(() => estimate("llama-3.1-8b", { runtime: "sglang", gpu: "apple-m4-max-128gb" })).toThrow(/no Metal backend/);
    const m = estimate("llama-3.1-8b", { runtime: "llama.cpp", quant: "q4_k_m", gpu: "apple-m4-max-128gb" });
    expect(m.components.map((c) => c.label).join(" ")).toMatch(/MTL0/);
    expect(m.components.some((c) => /CUDA/.test(c.label))).toBe(false);
  });
  it("llama.cpp totals are labelled as llama.cpp buffers, not torch counters", async () => {
    const r = await cli(["estimate", "llama-3.1-8b", "--runtime", "llama.cpp", "--quant", "q4_k_m", "--gpu", "rtx-4090"]);
    expect(r.out).toMatch(/llama\.cpp model \+ KV \+ compute buffers/);
    expect(r.out).not.toMatch(/max_memory_allocated/);
  });
});

describe("pasted commands speak the engine's current defaults (#21.1)", () => {
  it("ollama run: the flash-attention default shown is the one estimated (auto, on for CUDA), not 0", async () => {
    const { estimateCommand } = await import("../index.js");
    const r = await estimateCommand("ollama run qwen2.5:14b", { gpu: "rtx-4090", env: {} });
    const fa = r.settings.find((s) => /FLASH_ATTENTION/.test(s.text));
    expect(fa?.text).toBe("OLLAMA_FLASH_ATTENTION=1");
    expect(r.estimate.assumptions.join(" ")).toMatch(/flash attention on: Ollama/);
  });
});

describe("SGLang answers in its own terms (#15.2, #15.3)", () => {
  it("max-batch is the requests the token pool holds; a pool that cannot start is does_not_fit; the line names SGLang's pool", async () => {
    const e = estimate("llama-3.1-8b", { runtime: "sglang", gpu: "a100-80gb", seq: 8192 });
    expect(maxBatch("llama-3.1-8b", { runtime: "sglang", gpu: "a100-80gb", seq: 8192 }).value).toBe(Math.min(e.serving!.max_sequences, e.serving!.max_running_requests));
    expect(estimate("llama-3.1-70b", { runtime: "sglang", gpu: "a100-80gb" }).gpu!.reason).toMatch(/SGLang will not start/);
    const r = await cli(["estimate", "llama-3.1-8b", "--runtime", "sglang", "--gpu", "a100-80gb", "--seq", "8192"]);
    expect(r.out).toMatch(/SGLang token pool .* requests of 8192 tokens at once/);
    expect(r.out).not.toMatch(/undefined|vLLM KV budget/);
  });
});
