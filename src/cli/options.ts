/** Option parsing shared by estimate, max-batch and max-seq. */
import { InvalidArgumentError, type Command } from "commander";
import type { EstimateOptions } from "../core/estimate.js";

export function intArg(name: string) {
  return (v: string): number => {
    if (!/^\d+$/.test(v.trim())) throw new InvalidArgumentError(`${name} must be a positive whole number, got '${v}'`);
    const n = Number(v);
    if (n < 1 || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`${name} must be at least 1`);
    return n;
  };
}

/** Sizes like 4096, 8k, 128k for sequence lengths. */
export function tokensArg(name: string) {
  return (v: string): number => {
    const m = /^(\d+)(k?)$/i.exec(v.trim());
    if (!m) throw new InvalidArgumentError(`${name} must be a token count like 4096 or 8k, got '${v}'`);
    const n = Number(m[1]) * (m[2] ? 1024 : 1);
    if (n < 1) throw new InvalidArgumentError(`${name} must be at least 1`);
    return n;
  };
}

function onOff(name: string) {
  return (v: string): boolean => {
    const x = v.trim().toLowerCase();
    if (["on", "true", "1", "yes", "auto"].includes(x)) return true;
    if (["off", "false", "0", "no"].includes(x)) return false;
    throw new InvalidArgumentError(`${name} takes on or off, got '${v}'`);
  };
}

function layersArg(v: string): number {
  if (!/^-?\d+$/.test(v.trim())) throw new InvalidArgumentError(`--n-gpu-layers must be a layer count (or -1 for all), got '${v}'`);
  const n = Number(v);
  if (n < -1) throw new InvalidArgumentError("--n-gpu-layers must be -1 (all) or a layer count");
  return n;
}

export function addWorkloadOptions(cmd: Command): Command {
  return cmd
    .optionsGroup("Workload:")
    .option("--mode <mode>", "infer | train", "infer")
    .option("--runtime <runtime>", "transformers | vllm | llama.cpp | ollama (default: transformers, or llama.cpp for GGUF)")
    .option("-b, --batch <n>", "batch size (sequences at once)", intArg("--batch"))
    .option("-s, --seq <tokens>", "tokens per sequence: prompt + generated (default 4096 or the model's limit)", tokensArg("--seq"))
    .option("--dtype <dtype>", "fp32 | fp16 | bf16 (weights and compute)")
    .option("-q, --quant <type>", "int8 | nf4 | fp4 | gptq | awq | fp8 | GGUF types (q4_k_m, q8_0, ...)")
    .option("--kv-dtype <dtype>", "KV cache: fp16 | bf16 | fp8 | fp32 (llama.cpp: q8_0, q4_0, ...)")
    .option("--attention <impl>", "sdpa | flash | eager (default sdpa)")
    .option("--logits <which>", "last (generate) | all (plain forward)")
    .optionsGroup("Training (--mode train):")
    .option("--precision <policy>", "train: fp32 | amp-fp16 | amp-bf16 | bf16 (default amp-bf16)")
    .option("--optimizer <name>", "train: adamw | adam | sgd | sgd-momentum | adamw-8bit | paged-adamw-8bit | paged-adamw | adafactor | lion | adagrad | rmsprop")
    .option("--optimizer-impl <impl>", "train: foreach | fused | for-loop (PyTorch optimizer step)")
    .option("--checkpointing", "train: gradient (activation) checkpointing of every layer")
    .option("--grad-accum <n>", "train: gradient accumulation steps (memory follows the micro-batch)", intArg("--grad-accum"))
    .option("--lora-rank <r>", "train: LoRA adapters of rank r on a frozen base", intArg("--lora-rank"))
    .option("--lora-alpha <a>", "train: LoRA alpha (does not change memory)", Number)
    .option("--lora-targets <list>", "train: modules to adapt, e.g. q_proj,v_proj or all-linear")
    .option("--lora-dropout <p>", "train: LoRA dropout (p > 0 keeps a dropped copy of each adapted input)", Number)
    .option("--qlora", "train: QLoRA — NF4 base with LoRA adapters")
    .option("--offload <what>", "train: none | optimizer | params | optimizer+params (to CPU)")
    .option("--loss <kind>", "train: standard | chunked (fused/chunked cross-entropy)")
    .option("--optimizer-in-backward", "train: step each parameter during backward (torchtune optimizer_in_bwd)")
    .option("--keep-grads", "train: zero_grad(set_to_none=False): grads stay allocated between steps")
    .option("--torch-version <x.y>", "train: PyTorch version the job runs (older versions save more)")
    .optionsGroup("llama.cpp / Ollama (--runtime llama.cpp|ollama; same names as llama.cpp's flags):")
    .option("-c, --ctx-size <tokens>", "context size n_ctx (same as --seq)", tokensArg("--ctx-size"))
    .option("--np, --parallel <n>", "parallel sequences sharing the context", intArg("--parallel"))
    .option("--kv-unified", "one KV cache shared by all sequences")
    .option("--ctk, --cache-type-k <type>", "K cache type: f16 | bf16 | f32 | q8_0 | q4_0 | q4_1 | q5_0 | q5_1 | iq4_nl")
    .option("--ctv, --cache-type-v <type>", "V cache type (quantized V needs --flash-attn on)")
    .option("--fa, --flash-attn <on|off>", "flash attention (llama.cpp default auto: on for CUDA)", onOff("--flash-attn"))
    .option("--swa-full", "full-size cache for sliding-window layers")
    .option("--ub, --ubatch-size <n>", "physical batch size (compute buffer), default 512", intArg("--ubatch-size"))
    .option("--batch-size <n>", "logical batch size, default 2048", intArg("--batch-size"))
    .option("--ngl, --n-gpu-layers <n>", "layers on the GPU (-1: all, the default)", layersArg)
    .optionsGroup("vLLM (--runtime vllm; same names as vllm serve's flags):")
    .option("--gpu-memory-utilization <f>", "fraction of GPU memory vLLM may use (default 0.9)", Number)
    .option("--max-num-batched-tokens <n>", "tokens per forward pass (sizes the profiling run)", intArg("--max-num-batched-tokens"))
    .option("--max-num-seqs <n>", "most sequences scheduled at once", intArg("--max-num-seqs"))
    .option("--block-size <n>", "KV cache block size in tokens (default 16)", intArg("--block-size"))
    .option("--enforce-eager", "no CUDA graphs")
    .option("--max-model-len <tokens>", "longest sequence served (default: the model's)", tokensArg("--max-model-len"))
    .option("--tensor-parallel-size <n>", "same as --gpus", intArg("--tensor-parallel-size"))
    .option("--kv-cache-dtype <dtype>", "same as --kv-dtype (auto | fp8 | bf16 | fp16)")
    .optionsGroup("Vision models (resnet50, vit_b_16, yolov8s, ... or an .onnx file):")
    .option("--image <size>", "input image: 640 (square) or 1333x800 (width x height)")
    .option("--ema", "train: an fp32 EMA copy of the weights (Ultralytics, MMEngine)")
    .option("--cudnn-benchmark", "torch.backends.cudnn.benchmark (first iteration may reserve more)")
    .option("--classes <n>", "classes of the head (default: the published checkpoint's)", intArg("--classes"))
    .option("--max-boxes <n>", "detector training: most ground-truth boxes in one image (default 100)", intArg("--max-boxes"))
    .optionsGroup("Device and output:")
    .option("--gpu <id>", "GPU from `vramfit gpus`, or a size such as 24gb")
    .option("--gpus <n>", "number of identical GPUs (per-GPU figures)", intArg("--gpus"))
    .option("--json", "print the estimate as one JSON object");
}

/** Commander's camelCase options → the library's workload keys. */
export function toEstimateOptions(o: Record<string, unknown>): EstimateOptions {
  const r: Record<string, unknown> = {
    mode: o.mode,
    runtime: o.runtime,
    batch: o.batch,
    seq: o.seq,
    dtype: o.dtype,
    quant: o.quant,
    kv_dtype: o.kvDtype,
    attention: o.attention,
    logits: o.logits,
    gpus: o.gpus,
    gpu: o.gpu,
    precision: o.precision,
    optimizer: o.optimizer,
    optimizer_impl: o.optimizerImpl,
    checkpointing: o.checkpointing,
    grad_accum: o.gradAccum,
    lora_rank: o.loraRank,
    lora_alpha: o.loraAlpha,
    lora_targets: o.loraTargets,
    lora_dropout: o.loraDropout,
    qlora: o.qlora,
    offload: o.offload,
    loss: o.loss,
    optimizer_in_backward: o.optimizerInBackward,
    zero_grad_set_to_none: o.keepGrads ? false : undefined,
    torch_version: o.torchVersion,
    parallel: o.parallel,
    kv_unified: o.kvUnified,
    cache_type_k: o.cacheTypeK,
    cache_type_v: o.cacheTypeV,
    flash_attn: o.flashAttn,
    swa_full: o.swaFull,
    ubatch_size: o.ubatchSize,
    batch_size: o.batchSize,
    n_gpu_layers: o.nGpuLayers,
    gpu_memory_utilization: o.gpuMemoryUtilization,
    max_num_batched_tokens: o.maxNumBatchedTokens,
    max_num_seqs: o.maxNumSeqs,
    block_size: o.blockSize,
    enforce_eager: o.enforceEager,
    max_model_len: o.maxModelLen,
    image: o.image,
    ema: o.ema,
    cudnn_benchmark: o.cudnnBenchmark,
    classes: o.classes,
    max_boxes: o.maxBoxes,
  };
  if (o.tensorParallelSize !== undefined) {
    if (o.gpus !== undefined && o.gpus !== o.tensorParallelSize) throw new InvalidArgumentError("--tensor-parallel-size and --gpus are the same setting; give one");
    r.gpus = o.tensorParallelSize;
  }
  if (o.kvCacheDtype !== undefined && o.kvCacheDtype !== "auto") {
    if (o.kvDtype !== undefined && o.kvDtype !== o.kvCacheDtype) throw new InvalidArgumentError("--kv-cache-dtype and --kv-dtype are the same setting; give one");
    r.kv_dtype = o.kvCacheDtype;
  }
  if (o.ctxSize !== undefined) {
    if (o.seq !== undefined && o.seq !== o.ctxSize) throw new InvalidArgumentError("--ctx-size and --seq are the same setting; give one");
    r.seq = o.ctxSize;
  }
  for (const k of Object.keys(r)) if (r[k] === undefined) delete r[k];
  if (typeof r.quant === "string") r.quant = r.quant.toLowerCase();
  return r as EstimateOptions;
}
