/**
 * Constants in vramfit that were read off, or chosen on, measured cases of this suite. The cases they were
 * fitted on are in-sample for them: scored in the report, but kept out of band calibration (a constant that
 * reproduces its own data says nothing about the next model). Add a line when a formula takes a constant
 * from a case.
 */
export interface FittedConstant {
  /** The constant as the code names it. */
  constant: string;
  /** Where it lives. */
  where: string;
  /** How it was obtained. */
  how: string;
  /** Case ids (exact) or patterns of the cases it was fitted on. */
  cases: (string | RegExp)[];
}

export const FITTED: FittedConstant[] = [
  {
    constant: "llama.cpp CUDA compute-buffer constant terms",
    where: "src/runtimes/llamacpp/compute-buffer.ts",
    how: "fitted on published CUDA logs (llamacpp-published.jsonl: pythia-2.8b, Llama-2-7B, Mistral-7B at 2048/32768, phi-2, Qwen3-Coder-30B with flash attention); the KQ slope is checked exactly on 294 CPU runs",
    cases: [/^llamacpp-ci-pythia2\.8b-compute-/, /^llamacpp-logdetective-mistral7b-compute-/, /^llamacpp-qwen3coder30b-compute-/],
  },
  {
    constant: "SAMPLER_BYTES_PER_LOGIT = 38 (vLLM dummy-sampler run)",
    where: "src/runtimes/vllm/memory.ts",
    how: "38 rather than 40 B chosen on the V0 logs with a 2048-token profile run, where the sampler dominates",
    cases: [
      "vllm-yuy4o-qwen3-14b#activation",
      "vllm-yuy4o-qwen3-30b-a3b#activation",
      "vllm-yuy4o-qwen3-30b-a3b-fp8#activation",
      "vllm-yuy4o-qwen3-32b#activation",
      "vllm-yuy4o-qwen2_5-32b-instruct#activation",
    ],
  },
  {
    constant: "NON_TORCH_SINGLE_GPU = 0.09 GiB (vLLM non-torch memory)",
    where: "src/runtimes/vllm/memory.ts",
    how: "read off the yuy4o-llm V0 startup logs (0.09 GiB in every one); no active case from them measures non-torch memory on its own",
    cases: [],
  },
  {
    constant: "CUDA_GRAPH_ESTIMATE = 0.5 GiB (vLLM CUDA graph capture)",
    where: "src/runtimes/vllm/memory.ts",
    how: "the top of the 0.18–0.52 GiB range seen in the yuy4o-llm V0 logs",
    cases: [/^vllm-yuy4o-.*-cuda-graphs$/],
  },
  {
    constant: "SGLANG_CUDA_GRAPH_BASE = 0.11 GiB (SGLang CUDA graph capture, the part that does not grow with the batch)",
    where: "src/runtimes/sglang/memory.ts",
    how: "the median of the five 'Capture cuda graph end ... mem usage' lines of the yuy4o-llm SGLang logs",
    cases: [/^sglang-yuy4o-.*-cuda-graphs$/],
  },
  {
    constant: "SGLANG_NCCL_INIT_BYTES = 0.2 GiB (torch.distributed init under TP/PP)",
    where: "src/runtimes/sglang/memory.ts",
    how: "read off the 'Init torch distributed ends. mem usage' lines of three yuy4o-llm SGLang logs; no case measures it on its own",
    cases: [],
  },
];

/** Approximations that were not fitted on any case (named so the report can list them beside the fitted ones). */
export const APPROXIMATE: { constant: string; where: string; how: string }[] = [
  { constant: "CUDA_KERNEL_MODULES = 128 MiB", where: "src/core/overheads.ts", how: "kernel modules loaded on first use, on top of the measured 274 MiB lazy context (pytorch#86509); a guess no case isolates" },
  { constant: "NON_TORCH_TP_EXTRA = 0.4 GiB", where: "src/runtimes/vllm/memory.ts", how: "NCCL and custom all-reduce buffers under tensor parallelism (mechanics.md §1.4); approximate" },
];

/** The fitted constant a case is in-sample for, if any. */
export function fittedOn(id: string): FittedConstant | undefined {
  return FITTED.find((f) => f.cases.some((p) => (typeof p === "string" ? p === id : p.test(id))));
}
