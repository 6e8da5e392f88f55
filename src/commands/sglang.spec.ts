import { describe, expect, it } from "vitest";
import { parseEngineCommand } from "./index.js";

const p = (s: string, env?: Record<string, string>) => parseEngineCommand(s, env);

describe("SGLang command lines", () => {
  it("reads a published EAGLE3 launch command", () => {
    // https://huggingface.co/AQ-MedAI/Kimi-K2-Instruct-eagle3 (README, commit 4db2f99)
    const c = p(`python3 -m sglang.launch_server \\
  --model-path /models/Kimi-K2-Instruct \\
  --host 0.0.0.0 --port 30012 \\
  --trust-remote-code \\
  --attention-backend flashinfer \\
  --mem-fraction-static 0.9 \\
  --tp-size 8 \\
  --speculative-algorithm EAGLE3 \\
  --speculative-draft-model-path AQ-MedAI/Kimi-K2-Instruct-eagle3 \\
  --speculative-num-steps 3`);
    expect(c).toMatchObject({ engine: "sglang", program: "python -m sglang.launch_server", model: "/models/Kimi-K2-Instruct" });
    expect(c.flags).toMatchObject({ mem_fraction_static: 0.9, tp_size: 8, speculative_algorithm: "EAGLE3", speculative_num_steps: 3 });
    expect(c.ignored).toEqual(["--host", "--port", "--trust-remote-code"]);
    expect(c.flags.attention_backend).toBeDefined();
    expect(c.unknown).toEqual([]);
  });

  it("reads the docs' short forms (argparse prefixes)", () => {
    // https://docs.sglang.io/docs/advanced_features/server_arguments: "add --tp 2", "add --dp 2"
    const c = p("python -m sglang.launch_server --model-path meta-llama/Llama-3.1-8B-Instruct --tp 2 --dp 2 --mem-frac 0.7");
    expect(c.flags).toMatchObject({ tp_size: 2, dp_size: 2, mem_fraction_static: 0.7 });
    expect(c.spelled).toMatchObject({ tp_size: "--tp", dp_size: "--dp", mem_fraction_static: "--mem-frac" });
  });

  it("reads aliases, sglang serve and human-readable sizes", () => {
    // https://qwen.readthedocs.io/en/stable/deployment/sglang.html
    expect(p("python -m sglang.launch_server --model-path Qwen/Qwen3-8B --tensor-parallel-size 4").flags.tp_size).toBe(4);
    const c = p("sglang serve --model Qwen/Qwen3-8B --context-length 32k --max-total-tokens 200K --chunked-prefill-size -1 --cuda-graph-max-bs 64 --ep 4");
    expect(c).toMatchObject({ program: "sglang serve", model: "Qwen/Qwen3-8B" });
    expect(c.flags).toMatchObject({ context_length: 32000, max_total_tokens: 204800, chunked_prefill_size: -1, cuda_graph_max_bs: 64, ep_size: 4 });
  });

  it("reads list flags and the current CUDA-graph flags", () => {
    const c = p("python -m sglang.launch_server --model-path m --cuda-graph-bs-decode 1 2 4 8 --cuda-graph-backend-prefill disabled --disable-decode-cuda-graph --kv-cache-dtype fp8_e4m3");
    expect(c.flags).toMatchObject({ cuda_graph_bs_decode: ["1", "2", "4", "8"], cuda_graph_backend_prefill: "disabled", disable_decode_cuda_graph: true, kv_cache_dtype: "fp8_e4m3" });
  });

  it("validates values", () => {
    expect(() => p("python -m sglang.launch_server --model-path m --mem-fraction-static 1.2")).toThrow(/between 0 and 1/);
    expect(() => p("python -m sglang.launch_server --model-path m --chunked-prefill-size 0")).toThrow(/-1 to disable/);
    expect(() => p("python -m sglang.launch_server --model-path m --kv-cache-dtype fp8")).toThrow(/not one of/);
    expect(() => p("python -m sglang.launch_server --model-path m --tp-size two")).toThrow(/whole number/);
  });

  it("does not read underscores as dashes, and says so", () => {
    const c = p("python -m sglang.launch_server --model-path m --mem_fraction_static 0.8");
    expect(c.unknown).toEqual(["--mem_fraction_static"]);
    expect(c.flags.mem_fraction_static).toBeUndefined();
    expect(c.warnings.join(" ")).toMatch(/did you mean --mem-fraction-static/);
  });

  it("runs inside the lmsysorg/sglang image", () => {
    // docs.sglang.ai install (recalled, not re-fetched this session): `docker run --gpus all --shm-size 32g -p 30000:30000 -v ~/.cache/huggingface:/root/.cache/huggingface
    //   --env "HF_TOKEN=<secret>" --ipc=host lmsysorg/sglang:latest python3 -m sglang.launch_server --model-path meta-llama/Llama-3.1-8B-Instruct --host 0.0.0.0 --port 30000`
    const c = p(`docker run --gpus all --shm-size 32g -p 30000:30000 -v ~/.cache/huggingface:/root/.cache/huggingface --env "HF_TOKEN=<secret>" --ipc=host lmsysorg/sglang:latest python3 -m sglang.launch_server --model-path meta-llama/Llama-3.1-8B-Instruct --host 0.0.0.0 --port 30000`);
    expect(c).toMatchObject({ engine: "sglang", model: "meta-llama/Llama-3.1-8B-Instruct" });
  });
});
