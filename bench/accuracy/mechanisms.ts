/**
 * Likely mechanisms behind the misses over 10 % (REPORT.md lists every such miss with one of these, or
 * "unexplained"). Each names what the memory is and where the evidence is: a check on the data, the case's
 * own notes, or the collectors' notes (bench/accuracy/configs/SOURCES-*.md, logs/SOURCES.md,
 * vision-configs/COLLECTION-NOTES.md). A rule matches a case id; the first match wins.
 */
export interface Mechanism {
  match: RegExp;
  /** Only for misses in this direction ("under": vramfit below the measurement). */
  direction?: "under" | "over";
  mechanism: string;
}

export const MECHANISMS: Mechanism[] = [
  {
    match: /^optimum-bench-llama(7|13)b-fp16-(bt-|fa2-)?bs\d+-generate-allocated$/,
    direction: "under",
    mechanism:
      "two copies of the KV cache: transformers 4.35's legacy tuple cache — generate() still holds the previous step's tuple while the forward pass builds the torch.cat'ed one. Weights + 2 × KV matches all 12 plain fp16 rows within 1.1 % (7B and 13B, batch 1–64); DynamicCache (≥ 4.36) replaces layer by layer",
  },
  {
    match: /^optimum-bench-llama(7|13)b-fp16-gptq-exllamav1-bs\d+-generate-allocated$/,
    direction: "under",
    mechanism: "two copies of the legacy KV cache (as the fp16 rows; weights + 2 × KV within 3.5 %) plus exllama v1 scratch buffers",
  },
  {
    match: /^optimum-bench-llama(7|13)b-fp16-gptq-exllamav2-bs\d+-(generate|forward)-allocated$/,
    direction: "under",
    mechanism:
      "exllama v2 kernel scratch buffers (a fixed amount per model, allocated by the GPTQ post-init: the gap left after the 2 × KV correction falls from 16 % at batch 1 to 0 % at batch 64) and, in generate, two copies of the legacy KV cache",
  },
  {
    match: /^optimum-bench-.*-reserved$/,
    direction: "under",
    mechanism: "caching-allocator fragmentation: each decode step torch.cat's a slightly larger KV tensor per layer and the freed odd-sized blocks stay reserved (case notes: reserved 24960 MB vs allocated 16774 MB at batch 4)",
  },
  {
    match: /^optimum-bench-sep2023-/,
    mechanism: "NVML 'used' read once after generate() on a device index that may not be the GPU used (case notes: CUDA_VISIBLE_DEVICES=2 vs NVML index 0); low confidence, not calibrated",
  },
  {
    match: /^qwen1-readme-/,
    mechanism:
      "Qwen v1 (model_type qwen, remote code) falls to the generic Llama-style reader, which takes intermediate_size 49152 as one MLP projection although it counts both halves: 120.6B parameters for a 72B model (a reader gap); the figures are also sums over GPUs or of unclear unit (case notes); low confidence, not calibrated",
  },
  {
    match: /^autoawq-mixtral-/,
    mechanism: "figure is the sum over two GPUs with a device_map layer split, not per GPU (case notes); low confidence, not calibrated",
  },
  {
    match: /^autoawq-/,
    direction: "under",
    mechanism: "AutoAWQ fused layers pre-allocate a static fp16 KV cache of batch × max_new_tokens at load (case notes), on top of the KV vramfit counts; a different engine from transformers (now pending on `engine`)",
  },
  {
    match: /^hf-octocoder-bf16-longprompt-flash$/,
    mechanism: "the doc's flash-attention run follows an eager run in the same process (peak stats reset, cache not emptied); low confidence",
  },
  {
    match: /^torchtune-llama31-8b-/,
    direction: "over",
    mechanism: "torch.compile: torchtune's recipe compiles the model and the chunked loss, which fuses elementwise ops whose inputs eager PyTorch saves for backward (not stated in the workload; a `compile` option would carry it)",
  },
  {
    match: /^mmseg-pspnet-/,
    direction: "under",
    mechanism: "SyncBN across 4 GPUs modelled as plain BN (its all-reduce buffers and saved statistics are extra), and cuDNN workspaces of the dilated 3×3 convolutions at 1/8 resolution (case notes)",
  },
  {
    match: /^mmyolo-yolov8/,
    direction: "under",
    mechanism: "MMYOLO's YOLOv8 loss and task-aligned assigner differ from Ultralytics' (whose tensors vramfit models): the assigner's (batch, max_boxes, anchors) tensors depend on the label count per batch (case notes)",
  },
  {
    match: /^ultralytics-|^ultralytics-issue/,
    direction: "under",
    mechanism: "reserved memory after whole epochs: label counts that change every batch (TAL assigner tensors), letterboxed validation batches of other shapes and cudnn.benchmark workspaces leave blocks of many sizes in the caching allocator (vision-configs/COLLECTION-NOTES.md)",
  },
  {
    match: /gemma-3-27b-it#activation$/,
    direction: "under",
    mechanism: "vLLM's profile run for Gemma 3 includes dummy images through the vision tower (multimodal profiling), which vramfit does not model",
  },
  {
    match: /-cuda-graphs$/,
    mechanism: "CUDA graph memory is a fitted constant (0.5 GiB, the top of the V0 range); real capture scales with the captured batch sizes and the model's layer count (in-sample, not calibrated)",
  },
  {
    match: /non_torch$/,
    mechanism:
      "vLLM's non-torch figure changed meaning across versions: the Dec 2024 profiler (PR 10511) counts from the worker's start-up baseline and includes the CUDA context, cuBLAS and NCCL/custom all-reduce buffers (1.79 GiB at TP1, 3.58 GiB at TP2); vramfit's 0.09 GiB is 0.9.x's single-GPU figure",
  },
  {
    match: /^vllm-issue13061-.*activations$/,
    direction: "over",
    mechanism: "the profile run's token budget is inferred (chunked prefill at 2048 tokens above 32k context), not printed; with TP2 on two 4090s the logged 0.19 GiB suggests a smaller budget or a TP-split activation vramfit does not apply",
  },
  {
    match: /kv_cache$|-kv-tokens$|-kv$/,
    mechanism: "vLLM's KV budget is what is left of utilization × total after weights, activations and non-torch memory: the GPU total is not printed in these excerpts (catalog value used) and the activation/non-torch misses above flow into it",
  },
  {
    match: /#weights$|-weights$/,
    mechanism: "quantized checkpoint layout (which layers stay in 16 bit, packing of scales) differs from vramfit's default for this quantization",
  },
];

export function mechanismFor(id: string, error: number): string | null {
  const dir = error < 0 ? "under" : "over";
  for (const m of MECHANISMS) if (m.match.test(id) && (!m.direction || m.direction === dir)) return m.mechanism;
  return null;
}
