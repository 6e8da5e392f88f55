import { describe, expect, it } from "vitest";
import { VramfitError } from "../core/errors.js";
import { parseEngineCommand } from "./index.js";

const p = (s: string, env?: Record<string, string>) => parseEngineCommand(s, env);

describe("vLLM command lines", () => {
  it("reads the issue's example", () => {
    // issue 21: `vllm serve Qwen/Qwen2.5-7B-Instruct --max-model-len 32768 -tp 2 --gpu-memory-utilization 0.85`
    const c = p("vllm serve Qwen/Qwen2.5-7B-Instruct --max-model-len 32768 -tp 2 --gpu-memory-utilization 0.85");
    expect(c).toMatchObject({ engine: "vllm", program: "vllm serve", model: "Qwen/Qwen2.5-7B-Instruct" });
    expect(c.flags).toMatchObject({ max_model_len: 32768, tensor_parallel_size: 2, gpu_memory_utilization: 0.85 });
    expect(c.spelled.tensor_parallel_size).toBe("-tp");
  });

  it("reads the Qwen docs' commands", () => {
    // https://qwen.readthedocs.io/en/stable/deployment/vllm.html: `vllm serve Qwen/Qwen3-8B --tensor-parallel-size 4`
    expect(p("vllm serve Qwen/Qwen3-8B --tensor-parallel-size 4").flags.tensor_parallel_size).toBe(4);
    // https://huggingface.co/unfair11212/learn/blob/main/server.bash
    const c = p(`CUDA_VISIBLE_DEVICES=0,1 python -m vllm.entrypoints.openai.api_server \\
--host 127.0.0.1 --port 8422 \\
--model Qwen/QwQ-32B \\
--tensor-parallel-size 2 \\
--max-model-len 8192 \\
# CUDA_VISIBLE_DEVICES=7 python -m vllm.entrypoints.openai.api_server \\`);
    expect(c).toMatchObject({ program: "python -m vllm.entrypoints.openai.api_server", model: "Qwen/QwQ-32B", env: { CUDA_VISIBLE_DEVICES: "0,1" } });
    expect(c.flags).toMatchObject({ tensor_parallel_size: 2, max_model_len: 8192 });
    expect(c.ignored).toEqual(["--host", "--port"]);
  });

  it("reads --model with vllm serve, '_' in names, --flag=value and abbreviations", () => {
    const c = p("vllm serve --model m --max_model_len=4K --gpu-memory-util 0.8 --kv-cache-dtype=fp8 -q awq --enforce-eager");
    expect(c.model).toBe("m");
    expect(c.flags).toMatchObject({ max_model_len: 4096, gpu_memory_utilization: 0.8, kv_cache_dtype: "fp8", quantization: "awq", enforce_eager: true });
    expect(c.spelled).toMatchObject({ max_model_len: "--max_model_len", gpu_memory_utilization: "--gpu-memory-util" });
  });

  it("reads human-readable ints as vLLM does", () => {
    expect(p("vllm serve m --max-model-len 32k").flags.max_model_len).toBe(32000);
    expect(p("vllm serve m --max-model-len 32K").flags.max_model_len).toBe(32768);
    expect(p("vllm serve m --max-model-len 25.6k").flags.max_model_len).toBe(25600);
    expect(p("vllm serve m --max-model-len auto").flags.max_model_len).toBe("auto");
    expect(p("vllm serve m --max-model-len -1").flags.max_model_len).toBe(-1);
    expect(() => p("vllm serve m --max-model-len 1.5K")).toThrow(/decimals are not allowed/i);
    expect(() => p("vllm serve m --max-num-seqs 1k")).toThrow(/whole number/);
  });

  it("reads every short form", () => {
    const c = p("vllm serve m -tp 4 -pp 2 -dp 2 -dcp 2 -q fp8 -O3 -asc 2 -dpl 1");
    expect(c.flags).toMatchObject({ tensor_parallel_size: 4, pipeline_parallel_size: 2, data_parallel_size: 2, decode_context_parallel_size: 2, quantization: "fp8", optimization_level: "3" });
    expect(p("vllm serve m -qawq").flags.quantization).toBe("awq");
    expect(p("vllm serve m -tp=2").flags.tensor_parallel_size).toBe(2);
  });

  it("reads --no-x booleans, nargs lists and JSON sub-keys", () => {
    const c = p(`vllm serve m --no-enable-prefix-caching --no-enable-chunked-prefill --cudagraph-capture-sizes 1 2 4 8 --compilation-config.cudagraph_mode FULL -O.level 3 --speculative-config '{"method":"ngram"}'`);
    expect(c.flags).toMatchObject({
      enable_prefix_caching: false, enable_chunked_prefill: false, cudagraph_capture_sizes: ["1", "2", "4", "8"],
      "compilation_config.cudagraph_mode": "FULL", "compilation_config.level": "3", speculative_config: '{"method":"ngram"}',
    });
    expect(c.ignored).toContain("--no-enable-prefix-caching");
  });

  it("reads docker run vllm/vllm-openai", () => {
    // docs.vllm.ai deployment/docker (recalled, not re-fetched this session): `docker run --runtime nvidia --gpus all -v ~/.cache/huggingface:/root/.cache/huggingface
    //   --env "HUGGING_FACE_HUB_TOKEN=<secret>" -p 8000:8000 --ipc=host vllm/vllm-openai:latest --model mistralai/Mistral-7B-v0.1`
    const c = p(`docker run --runtime nvidia --gpus all -v ~/.cache/huggingface:/root/.cache/huggingface --env "HUGGING_FACE_HUB_TOKEN=<secret>" -p 8000:8000 --ipc=host vllm/vllm-openai:latest --model mistralai/Mistral-7B-v0.1`);
    expect(c).toMatchObject({ engine: "vllm", model: "mistralai/Mistral-7B-v0.1" });
    const d = p("docker run --gpus all -e CUDA_VISIBLE_DEVICES=1 vllm/vllm-openai Qwen/Qwen3-8B --max-model-len 8192");
    expect(d).toMatchObject({ model: "Qwen/Qwen3-8B", env: { CUDA_VISIBLE_DEVICES: "1" } });
  });

  it("validates values", () => {
    expect(() => p("vllm serve m --gpu-memory-utilization 1.5")).toThrow(/\(0, 1\]/);
    expect(() => p("vllm serve m --gpu-memory-utilization nan")).toThrow(VramfitError);
    expect(() => p("vllm serve m -tp 0")).toThrow(/at least 1/);
    expect(() => p("vllm serve m --dtype fp4")).toThrow(/not one of auto/);
    expect(() => p("vllm serve m --kv-cache-dtype int3")).toThrow(VramfitError);
    expect(() => p("vllm serve m --enforce-eager=true")).toThrow(/takes no value/);
    expect(() => p("vllm serve m --max-num-seqs --enforce-eager")).toThrow(/expects a value/);
    expect(() => p("vllm serve m --max")).toThrow(/ambiguous option --max/);
  });

  it("names unknown flags without eating the model", () => {
    const c = p("vllm serve --bogus-flag Qwen/Qwen3-8B -tp 2");
    expect(c.unknown).toEqual(["--bogus-flag"]);
    expect(c.model).toBe("Qwen/Qwen3-8B");
    const d = p("vllm serve m --bogus 3 -tp 2");
    expect(d.unknown).toEqual(["--bogus"]);
    expect(d.flags.tensor_parallel_size).toBe(2);
  });

  it("warns about --kv-cache-memory-bytes overriding the utilization", () => {
    expect(p("vllm serve m --kv-cache-memory-bytes 10G --gpu-memory-utilization 0.5").warnings.join(" ")).toMatch(/ignores --gpu-memory-utilization/);
  });

  it("refuses vllm subcommands that do not serve", () => {
    expect(() => p("vllm bench throughput --model m")).toThrow(/only 'vllm serve'/);
  });
});
