import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isVramfitError } from "../core/errors.js";
import { estimateCommand } from "./estimate.js";
import { parseEngineCommand } from "./index.js";
import { ollamaModel } from "./ollama-library.js";
import { commandWorkload, engineSetting, spellFlag } from "./workload.js";

const wl = (c: string, env: Record<string, string> = {}) => commandWorkload(parseEngineCommand(c, env));
const comp = (e: { components: { id: string; bytes: number }[] }, id: string) => e.components.find((c) => c.id === id)?.bytes ?? 0;

describe("engine command → vramfit workload", () => {
  it("vLLM: the issue's command", () => {
    const w = wl("vllm serve Qwen/Qwen2.5-7B-Instruct --max-model-len 32768 -tp 2 --gpu-memory-utilization 0.85");
    expect(w.runtime).toBe("vllm");
    expect(w.model).toBe("Qwen/Qwen2.5-7B-Instruct");
    expect(w.options).toMatchObject({ max_model_len: 32768, seq: 32768, gpus: 2, gpu_memory_utilization: 0.85 });
    expect(w.from.gpus.spelled).toBe("-tp");
    expect(w.gpusTotal).toBe(2);
  });

  it("llama.cpp: the issue's command, every memory flag read", () => {
    const w = wl(`llama-server -m model.gguf -c 16384 -np 4 -ngl 99 -fa on -ctk q8_0 -ctv q8_0 -ot "exps=CPU"`);
    expect(w.options).toMatchObject({ runtime: "llama.cpp", seq: 16384, parallel: 4, n_gpu_layers: 99, flash_attn: true, cache_type_k: "q8_0", cache_type_v: "q8_0", override_tensor: "exps=CPU" });
    expect(w.notModelled).toEqual([]);
    expect(w.unknown).toEqual([]);
  });

  it("llama-server without -np gets 4 unified slots; no -c means the model's context", () => {
    const w = wl("llama-server -m model.gguf");
    expect(w.options).toMatchObject({ parallel: 4, kv_unified: true });
    expect(w.seqFromModel).toBe(true);
    expect(wl("llama-cli -m m.gguf -c 0").seqFromModel).toBe(true);
  });

  it("Ollama: the tag maps to a catalog shape in Q4_K_M, OLLAMA_* to llama.cpp's options", () => {
    const w = wl("ollama run qwen2.5:14b", { OLLAMA_NUM_PARALLEL: "2", OLLAMA_CONTEXT_LENGTH: "8192", OLLAMA_KV_CACHE_TYPE: "q8_0", OLLAMA_FLASH_ATTENTION: "true" });
    expect(w.model).toBe("qwen2.5-14b");
    expect(w.options).toMatchObject({ runtime: "ollama", quant: "q4_k_m", seq: 8192, parallel: 2, cache_type_k: "q8_0", cache_type_v: "q8_0", flash_attn: true });
    // Go's ParseBool: a value that does not parse reads as true; "0" is false
    expect(wl("ollama run llama3.2", { OLLAMA_FLASH_ATTENTION: "0" }).options.flash_attn).toBe(false);
    expect(wl("ollama run llama3.2", { OLLAMA_FLASH_ATTENTION: "yes please" }).options.flash_attn).toBe(true);
    // A Modelfile's num_ctx wins over OLLAMA_CONTEXT_LENGTH
    expect(wl("FROM qwen2.5:7b\nPARAMETER num_ctx 4096", { OLLAMA_CONTEXT_LENGTH: "8192" }).options.seq).toBe(4096);
  });

  it("SGLang: --mem-frac and --tp prefixes, context length, memory fraction", () => {
    const w = wl("python -m sglang.launch_server --model-path Qwen/Qwen2.5-7B-Instruct --tp 2 --mem-frac 0.8 --context-length 8192 --chunked-prefill-size 4096 --kv-cache-dtype fp8_e5m2");
    expect(w.options).toMatchObject({ runtime: "sglang", gpus: 2, mem_fraction_static: 0.8, context_length: 8192, chunked_prefill_size: 4096, kv_dtype: "fp8" });
    expect(w.notModelled).toEqual([]);
  });

  it("names memory flags it does not model and unknown flags; ignores the rest silently", () => {
    const w = wl("vllm serve m --enable-lora --cpu-offload-gb 4 --port 8000 --frobnicate 1");
    expect(w.notModelled.join(" ")).toMatch(/--enable-lora/);
    expect(w.notModelled.join(" ")).toMatch(/--cpu-offload-gb 4/);
    expect(w.unknown).toEqual(["--frobnicate"]);
    expect(w.notModelled.join(" ")).not.toMatch(/--port/);
  });

  it("refuses what it cannot size with one clear error", () => {
    for (const [c, code] of [
      ["vllm serve m --kv-cache-dtype nvfp4", "unsupported"],
      ["llama-server -hf unsloth/Qwen3-8B-GGUF:Q4_K_M", "unsupported"],
      ["ollama run some-unknown-model:7b", "unknown_model"],
      ["ollama run hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M", "unsupported"],
      ["ollama serve", "invalid_option"],
    ] as const) {
      try {
        wl(c);
        expect.unreachable(c);
      } catch (e) {
        expect(isVramfitError(e, code), `${c}: ${(e as Error).message}`).toBe(true);
      }
    }
  });

  it("any argv either maps or fails with a VramfitError (property)", () => {
    const words = fc.constantFrom("vllm", "serve", "m", "-tp", "2", "--max-model-len", "8k", "auto", "-1", "--gpu-memory-utilization", "0.5", "--kv-cache-dtype", "fp8", "--dtype", "half", "-q", "awq", "--enforce-eager", "-O0", "--quantization", "x");
    fc.assert(
      fc.property(fc.array(words, { maxLength: 12 }), (rest) => {
        try {
          commandWorkload(parseEngineCommand(["vllm", "serve", "m", ...rest]));
        } catch (e) {
          if (!isVramfitError(e)) throw e;
        }
      }),
    );
  });
});

describe("answers in the user's own flags", () => {
  it("writes each setting the way the command spelled it", () => {
    const cmd = parseEngineCommand("llama-server -m m.gguf --ctx-size 8192 -ngl 20");
    expect(engineSetting(cmd, "seq", 4096)!.text).toBe("--ctx-size 4096");
    expect(engineSetting(cmd, "n_gpu_layers", 30)!.text).toBe("-ngl 30");
    expect(engineSetting(cmd, "parallel", 2)!.text).toBe("-np 2");
    expect(engineSetting(cmd, "flash_attn", true)!.text).toBe("-fa on");
    const s = parseEngineCommand("python -m sglang.launch_server --model-path m --mem-frac 0.8");
    expect(engineSetting(s, "mem_fraction_static", 0.75)!.text).toBe("--mem-frac 0.75");
    expect(engineSetting(s, "kv_dtype", "fp8")!.text).toBe("--kv-cache-dtype fp8_e4m3");
    const o = parseEngineCommand("ollama run llama3.2", { OLLAMA_CONTEXT_LENGTH: "8192" });
    expect(engineSetting(o, "seq", 4096)!.text).toBe("OLLAMA_CONTEXT_LENGTH=4096");
    expect(engineSetting(parseEngineCommand("ollama run llama3.2"), "seq", 4096)!.text).toBe("PARAMETER num_ctx 4096");
    expect(spellFlag(parseEngineCommand("vllm serve m -tp 2"), "tensor_parallel_size", 4)).toBe("-tp 4");
  });
});

describe("Ollama tags", () => {
  it("reads sizes and quantization suffixes", () => {
    expect(ollamaModel("llama3.2")).toMatchObject({ catalogId: "llama-3.2-3b", quant: "q4_k_m" });
    expect(ollamaModel("qwen2.5:14b-instruct-q8_0")).toMatchObject({ catalogId: "qwen2.5-14b", quant: "q8_0" });
    expect(ollamaModel("llama3.1:8b-instruct-fp16")).toMatchObject({ catalogId: "llama-3.1-8b", quant: "f16" });
    expect(ollamaModel("qwen3:30b-a3b-q4_K_M")).toMatchObject({ catalogId: "qwen3-30b-a3b", quant: "q4_k_m" });
    expect(() => ollamaModel("gemma3")).toThrow(/size '4b'/);
  });
});

describe("estimateCommand", () => {
  it("estimates a pasted vLLM command on the GPU given, per GPU of the tensor-parallel group", async () => {
    const r = await estimateCommand("vllm serve llama-3.1-8b --max-model-len 16384 -tp 2 --gpu-memory-utilization 0.85", { gpu: "rtx-4090" });
    expect(r.estimate.workload.gpus).toBe(2);
    const s = (r.estimate as unknown as { serving: Record<string, number> }).serving;
    expect(s.gpu_memory_utilization).toBe(0.85);
    expect(s.max_model_len).toBe(16384);
    expect(r.settings.filter((x) => x.given).map((x) => x.text).sort()).toEqual(["--gpu-memory-utilization 0.85", "--max-model-len 16384", "-tp 2"]);
  });

  it("Ollama with its environment: KV in q8_0 is half of f16", async () => {
    const a = await estimateCommand("ollama run qwen2.5:7b", { gpu: "rtx-4090", env: { OLLAMA_CONTEXT_LENGTH: "8192", OLLAMA_FLASH_ATTENTION: "1" } });
    const b = await estimateCommand("ollama run qwen2.5:7b", { gpu: "rtx-4090", env: { OLLAMA_CONTEXT_LENGTH: "8192", OLLAMA_FLASH_ATTENTION: "1", OLLAMA_KV_CACHE_TYPE: "q8_0" } });
    expect(comp(b.estimate, "kv_cache") / comp(a.estimate, "kv_cache")).toBeCloseTo(34 / 64, 3);
  });

  it("vramfit's own options beside the command win", async () => {
    const r = await estimateCommand("python -m sglang.launch_server --model-path qwen2.5-7b --context-length 8192", { gpu: "h100-sxm", options: { mem_fraction_static: 0.7 } });
    expect((r.estimate as unknown as { serving: Record<string, number> }).serving.mem_fraction_static).toBe(0.7);
  });

  it("llama.cpp without -c uses the model's training context", async () => {
    const r = await estimateCommand("llama-cli -m llama-3.2-1b", { gpu: "rtx-4090", options: { quant: "q4_k_m" } });
    expect(r.estimate.workload.seq).toBe(131072);
  });
});
