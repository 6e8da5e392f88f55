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
    mechanism: "likely: SyncBN across 4 GPUs (these older records do not state sync_bn, so it is modelled as plain BN: its all-reduce buffers and saved statistics are extra) and cuDNN workspaces of the dilated 3×3 convolutions at 1/8 resolution (case notes)",
  },
  {
    match: /^hfblog-quant-/,
    direction: "under",
    mechanism: "likely (unverified): max_memory_reserved over load and inference (case notes), so the 16-bit weights held on the GPU before they are quantized, and the blocks they leave in the caching allocator, count in the peak",
  },
  {
    match: /^diffusers-docs-wan21-/,
    direction: "under",
    mechanism: "a documentation claim with '~', not a printed measurement (case notes); group offload with CUDA streams prefetches the next group while one runs, so two groups are resident",
  },
  {
    match: /^hfblog-sdxl-/,
    direction: "under",
    mechanism: "SDXL's VAE decodes in fp32 (force_upcast) for the whole batch at once, which is the fp16 rows' peak (case notes: sequential offload barely lowers it, VAE slicing does)",
  },
  {
    match: /^peft-readme-sd14-/,
    mechanism: "level and precision not stated (case notes: level reserved is a guess); DreamBooth prior preservation doubles the batch with class images",
  },
  {
    match: /^diffusers-pr11682-/,
    mechanism: "model, resolution and offload settings inferred, not stated (case notes); group/sequential offload moves each module's weights onto the GPU while it runs",
  },
  {
    match: /^hfblog-quanto-/,
    mechanism: "unit and level unverified (case notes): the same post gives a second figure for the same setup",
  },
  {
    match: /^ultralytics-tutorial-yolo11n-/,
    direction: "over",
    mechanism: "ultralytics 8.3 empties the CUDA cache at every epoch end (COLLECTION-NOTES.md) and this run is a single batch of 4: its reserved pool holds less than the allocator rounding vramfit adds",
  },
  {
    match: /^litgpt-hub-.*-full-1xa10g$/,
    direction: "over",
    mechanism: "the record flags the figure as below what its own settings need (bf16 weights + grads + two AdamW states exceed it): impossible as stated, not calibrated",
  },
  {
    match: /^litgpt-(hub|rt|thunder)-/,
    direction: "under",
    mechanism:
      "likely (unverified): LitGPT prints max_memory_allocated over the whole run, which includes the final validation pass and a short generation with its KV cache, and lit-gpt's first iteration is forced to the longest sample (case notes); vramfit sizes one training step at the stated length",
  },
  {
    match: /^fms-accel-/,
    mechanism:
      "likely (unverified): the HF Trainer memory tracker's figure is rebuilt from deltas around init and train() (case notes), so it includes what was allocated before training; the same rows' nvidia-smi figures are in the notes for a cross-check",
  },
  {
    match: /^answerai-fsdp-/,
    direction: "under",
    mechanism:
      "likely (unverified): reserved memory under FSDP with 4-bit (bitsandbytes) shards and CPU offload: the all-gathered, dequantized bf16 copies of each layer and the caching allocator's blocks of many sizes (max_memory_reserved, not allocated)",
  },
  {
    match: /^torchtune-llama31-8b-.*-a6000$/,
    direction: "under",
    mechanism: "settings not printed: the A6000 rows are about twice the 4090 rows of the same recipe in the same README (activation checkpointing most likely off; case notes)",
  },
  {
    match: /^torchtune-/,
    mechanism:
      "likely (unverified): torchtune's peak is its own memory stat over the run with settings partly inferred (case notes: the README's flag table re-enables features one by one from an inferred baseline; two maintainers measured 20.2 and 22.3 GB for one command, a ~10 % run-to-run spread)",
  },
  {
    match: /^mmdet-fcos-/,
    direction: "over",
    mechanism: "likely the batch: the FCOS rows were measured in MMDetection v2 with 4 GPUs × 4 images for R-50/R-101 (case notes); at the 3.x default of 2 images per GPU the estimate halves",
  },
  {
    match: /-amp-/,
    direction: "under",
    mechanism: "likely (unverified): MMDetection AMP keeps fp32 weights plus fp16 autocast copies, and RoI/loss ops that run in fp32 under autocast (RoIAlign, sigmoid focal loss) keep fp32 inputs alive",
  },
  {
    match: /^mmdet-.*swin|^d2-.*(vitdet|mvitv2|swin)/,
    direction: "under",
    mechanism: "likely (unverified): windowed attention of Swin/ViTDet backbones at detection resolution (attention maps per window, relative-position bias gathers, padding to whole windows)",
  },
  {
    match: /^(d2|mmdet)-.*(mask|kprcnn|keypoint|cascade|rcnn|rpn|retinanet|atss)/,
    direction: "under",
    mechanism:
      "likely (unverified): the detector heads' per-image tensors — RPN anchors and proposals at every FPN level, 512 sampled RoIs × 256 channels of 7×7 / 14×14 pooled features, mask and keypoint targets (28×28, 56×56 heatmaps) and, for LVIS, 1230-class predictors — which vary with the image's objects; vramfit's detector composition sizes them for the defaults",
  },
  {
    match: /^mmseg-/,
    direction: "under",
    mechanism:
      "likely (unverified): decode and auxiliary heads upsampled to the full crop (logits and the cross-entropy's softmax at crop size × classes), cuDNN workspaces of dilated convolutions at 1/8 resolution; the model zoo also shows run-to-run spread (DeepLabV3+ R-101-D16: 5.8 vs 9.9 GiB for one config at 40k and 80k iterations, COLLECTION-NOTES.md)",
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
