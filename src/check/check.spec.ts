import fs from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isVramfitError } from "../core/errors.js";
import { GiB, MiB } from "../core/units.js";
import { REPO_ROOT } from "../test-support/paths.js";
import { checkLog, ggufTypeOf, logToCases, parseLog } from "./index.js";

const LOGS = path.join(REPO_ROOT, "bench/accuracy/logs");
const read = (rel: string) => fs.readFileSync(path.join(LOGS, rel), "utf8");
const allLogs = fs.readdirSync(LOGS).filter((d) => fs.statSync(path.join(LOGS, d)).isDirectory()).flatMap((d) => fs.readdirSync(path.join(LOGS, d)).map((f) => `${d}/${f}`));

/** The model each saved log ran, as the accuracy cases from the same sources name it (bench/accuracy/incoming/*.jsonl). */
const MODEL: Record<string, string> = {
  "sglang/yuy4o-qwq-32b-a800-tp1.log": "qwen2.5-32b",
  "sglang/yuy4o-gpt-oss-20b-a800-tp1.log": "gpt-oss-20b",
  "sglang/yuy4o-gpt-oss-120b-a800-tp2-oom.log": "gpt-oss-120b",
  "vllm/yuy4o-qwen2_5-coder-32b-v0-0.9.2.log": "qwen2.5-32b",
  "vllm/yuy4o-qwq-32b-v0-and-v1.log": "qwen2.5-32b",
  "vllm/yuy4o-deepcoder-14b-v0-0.9.0.1.log": "qwen2.5-14b",
  "vllm/yuy4o-gpt-oss-20b-v1.log": "gpt-oss-20b",
  "llamacpp/yuy4o-llama-server-b7342-qwen3-coder-30b-q8_0-a100-40g.log": "qwen3-30b-a3b",
};

describe("vramfit check on every saved log (bench/accuracy/logs)", () => {
  it.each(allLogs.filter((f) => f.endsWith(".log")))("%s", async (rel) => {
    const text = read(rel);
    const p = parseLog(text);
    expect(p.engine, rel).toBe(rel.startsWith("llamacpp/") ? "llama.cpp" : rel.split("/")[0]);
    expect(p.measured.length, rel).toBeGreaterThan(0);
    for (const m of p.measured) {
      expect(Number.isSafeInteger(m.bytes) && m.bytes >= 0, `${rel} ${m.component}`).toBe(true);
      expect(text.includes(m.quote.slice(0, 40)), `${rel}: quote of line ${m.line}`).toBe(true);
    }
    const r = await checkLog(text, MODEL[rel] ? { model: MODEL[rel] } : {});
    expect(r.rows.length).toBe(p.measured.length + (r.rows.some((x) => x.device === "all devices") ? 1 : 0));
  });
});

describe("check: printed beside the estimate", () => {
  it("SGLang QwQ-32B: weights and the token pool within 1 %", async () => {
    const r = await checkLog(read("sglang/yuy4o-qwq-32b-a800-tp1.log"), { model: "qwen2.5-32b" });
    expect(r.settings).toMatchObject({ mem_fraction_static: 0.98, context_length: 4096, max_running_requests: 4 });
    for (const c of ["weights", "kv_cache"]) expect(Math.abs(r.rows.find((x) => x.component === c)!.diff!), c).toBeLessThan(0.01);
  });

  it("llama.cpp Qwen3-Coder-30B: every buffer byte for byte; without a model the KV cache from print_info", async () => {
    const text = read("llamacpp/yuy4o-llama-server-b7342-qwen3-coder-30b-q8_0-a100-40g.log");
    const r = await checkLog(text, { model: "qwen3-30b-a3b" });
    expect(r.settings).toMatchObject({ seq: 65536, parallel: 4, kv_unified: true, flash_attn: true, cache_type_k: "f16" });
    for (const c of ["weights", "kv_cache", "compute_buffer"]) expect(Math.abs(r.rows.find((x) => x.component === c && x.device === "CUDA0")!.diff!), c).toBeLessThan(0.001);
    const bare = await checkLog(text);
    expect(bare.rows.find((x) => x.component === "kv_cache")!.diff).toBe(0);
    expect(bare.notes.join(" ")).toMatch(/print_info/);
  });

  it("vLLM V0: settings from the config line (V0 profiles max(max_model_len, 2048) tokens over 256 sequences)", async () => {
    const r = await checkLog(read("vllm/yuy4o-qwen2_5-coder-32b-v0-0.9.2.log"), { model: "qwen2.5-32b" });
    expect(r.settings).toMatchObject({ max_model_len: 2048, gpu_memory_utilization: 0.8, max_num_batched_tokens: 2048, max_num_seqs: 256 });
    for (const c of ["weights", "non_torch", "activations"]) expect(Math.abs(r.rows.find((x) => x.component === c)!.diff!), c).toBeLessThan(0.05);
  });

  it("reads the last of two startups in one log", () => {
    const p = parseLog(read("vllm/yuy4o-qwq-32b-v0-and-v1.log"));
    expect(p.runs).toBe(2);
    expect(p.version).toMatch(/V1/);
    expect(p.measured.find((m) => m.component === "activations")).toBeUndefined();
  });

  it("llama_memory_breakdown_print: per-device model/context/compute, the underflowed column dropped", () => {
    const p = parseLog(read("llamacpp/ai-playground-minimax-m2.1-4x3090-memory-breakdown-excerpt.log"));
    const w = p.measured.filter((m) => m.component === "weights");
    expect(w.map((m) => m.device)).toEqual(["CUDA0", "CUDA1", "CUDA2", "CUDA3"]);
    expect(w[0].bytes).toBe(12096 * MiB);
    expect(p.measured.find((m) => m.component === "kv_cache" && m.device === "CUDA3")!.bytes).toBe(6566 * MiB);
    expect(p.measured.find((m) => m.component === "weights_host")!.bytes).toBe(72257 * MiB);
    expect(p.gpu?.totalBytes).toBe(24124 * MiB);
  });

  it("Ollama's offload line is its own prediction, marked as such", () => {
    const p = parseLog(read("ollama/pr12000-offload-estimate-line.log"));
    expect(p.measured.every((m) => m.predicted)).toBe(true);
    expect(p.settings).toMatchObject({ seq: 8192, parallel: 1, n_gpu_layers: 48 });
  });

  it("reads torch.cuda.memory_summary() and nvidia-smi tables (layout as PyTorch and nvidia-smi print them; values made up)", () => {
    const summary = [
      "|===========================================================================|",
      "|                  PyTorch CUDA memory summary, device ID 0                 |",
      "|        Metric         | Cur Usage  | Peak Usage | Tot Alloc  | Tot Freed  |",
      "|---------------------------------------------------------------------------|",
      "| Allocated memory      |  15320 MiB |  16224 MiB |  52361 MiB |  37041 MiB |",
      "| GPU reserved memory   |  16384 MiB |  17408 MiB |  17408 MiB |   1024 MiB |",
    ].join("\n");
    const t = parseLog(summary);
    expect(t.measured.find((m) => m.component === "allocated")!.bytes).toBe(16224 * MiB);
    expect(t.measured.find((m) => m.component === "reserved")!.bytes).toBe(17408 * MiB);
    const smi = [
      "|   0  NVIDIA A100-SXM4-80GB          On  |   00000000:07:00.0 Off |                    0 |",
      "| N/A   33C    P0             61W /  400W |   41234MiB /  81920MiB |      0%      Default |",
      "|   1  NVIDIA A100-SXM4-80GB          On  |   00000000:0A:00.0 Off |                    0 |",
      "| N/A   31C    P0             60W /  400W |   40100MiB /  81920MiB |      0%      Default |",
    ].join("\n");
    const s = parseLog(smi);
    expect(s.measured.map((m) => [m.device, m.bytes])).toEqual([["GPU0", 41234 * MiB], ["GPU1", 40100 * MiB]]);
    expect(s.gpu).toMatchObject({ count: 2, totalBytes: 81920 * MiB });
  });

  it("names llama.cpp file types as vramfit's GGUF types", () => {
    expect(ggufTypeOf("Q8_0")).toBe("q8_0");
    expect(ggufTypeOf("Q4_K - Medium")).toBe("q4_k_m");
    expect(ggufTypeOf("MOSTLY_Q4_K_M")).toBe("q4_k_m");
  });
});

describe("logs as accuracy cases (logToCases)", () => {
  it("turns printed GPU components into component cases with the quoted line", () => {
    const cases = logToCases(read("sglang/yuy4o-qwq-32b-a800-tp1.log"), { idPrefix: "t-qwq", source: "yuy4o-llm", source_url: "https://github.com/yuy4o/llm", model: "qwen2.5-32b", gpu: "a800-80gb" });
    expect(cases.map((c) => c.id)).toEqual(["t-qwq-weights", "t-qwq-kv-cache", "t-qwq-cuda-graphs"]);
    const kv = cases[1] as { measured: { bytes: number; component: string }; quote: string; workload: Record<string, unknown>; category: string };
    expect(kv.category).toBe("sglang");
    expect(kv.measured.component).toBe("kv_cache");
    expect(kv.measured.bytes).toBe(Math.round(16.14 * GiB));
    expect(kv.quote).toMatch(/KV Cache is allocated/);
    expect(kv.workload).toMatchObject({ runtime: "sglang", mem_fraction_static: 0.98, context_length: 4096 });
  });
});

describe("hostile logs", () => {
  it("never throws anything but a VramfitError, and stays fast (property)", () => {
    const samples = allLogs.map(read);
    fc.assert(
      fc.property(fc.string({ maxLength: 2000 }), fc.integer({ min: 0, max: samples.length - 1 }), fc.integer({ min: 0, max: 20000 }), (junk, k, cut) => {
        const base = samples[k];
        const text = base.slice(0, cut) + junk + base.slice(cut, cut + 3000);
        const t0 = Date.now();
        try {
          parseLog(text);
        } catch (e) {
          if (!isVramfitError(e)) throw e;
        }
        return Date.now() - t0 < 2000;
      }),
      { numRuns: 60 },
    );
  });

  it("drops implausible numbers and refuses binary input", () => {
    const p = parseLog("load_tensors:        CUDA0 model buffer size = 99999999999999999999.00 MiB\nload_tensors:   CPU_Mapped model buffer size =   315.30 MiB");
    expect(p.measured.map((m) => m.component)).toEqual(["weights_host"]);
    expect(() => parseLog("abc\u0000def")).toThrow(/NUL/);
    const long = "x".repeat(200_000) + " Model loading took 1.5 GiB";
    expect(parseLog(long).measured).toEqual([]);
  });

  it("a text with no memory lines is one clear error", async () => {
    try {
      await checkLog("hello\nworld\n");
      expect.unreachable();
    } catch (e) {
      expect(isVramfitError(e, "invalid_file")).toBe(true);
    }
  });
});
