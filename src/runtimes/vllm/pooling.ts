/**
 * vLLM's pooling runner for encoder-only embedding and reranker models (BERT, XLM-RoBERTa / BGE-M3, ModernBERT,
 * GTE): no KV cache (encoder-only attention has no cache spec, so no blocks are allocated), one forward of the
 * scheduled tokens and a pooler instead of a sampler. What the GPU holds is the weights, the profile run's
 * activation peak, non-torch memory, CUDA graphs and the CUDA context — not the gpu_memory_utilization budget.
 *
 * Sources: vllm/config/scheduler.py (v0.11): without chunked prefill max_num_batched_tokens = max(max_model_len,
 * 2048), raised to POOLING_MODEL_MAX_NUM_BATCHED_TOKENS = 32768 for the pooling runner ("Choose specific value for
 * higher throughput"); vllm/v1/kv_cache_interface.py EncoderOnlyAttentionSpec (no KV pages).
 */
import type { Component } from "../../core/estimate-types.js";
import type { Gpu } from "../../core/gpu.js";
import type { TransformerModel } from "../../core/model.js";
import { cudaContextComponent } from "../../core/overheads.js";
import type { PartialEstimate } from "../../core/profile.js";
import { formatBytes } from "../../core/units.js";
import { weightsComponent } from "../../core/weights.js";
import { CUDA_GRAPH_ESTIMATE, NON_TORCH_SINGLE_GPU, NON_TORCH_TP_EXTRA, profileActivationPeak, type VllmOptions } from "./memory.js";

/** vllm/utils POOLING_MODEL_MAX_NUM_BATCHED_TOKENS. */
export const POOLING_MAX_NUM_BATCHED_TOKENS = 32768;

export function vllmPoolingEstimate(model: TransformerModel, o: VllmOptions & { assumptions: string[]; batchedTokensSet: boolean }, gpu: Gpu, task: string): PartialEstimate {
  const shape = model.transformer;
  const tp = o.tensorParallel;
  const assumptions = o.assumptions.filter((a) => !a.startsWith("vllm serve defaults"));
  const warnings: string[] = [];
  const tokens = o.batchedTokensSet ? o.maxNumBatchedTokens : Math.max(o.maxModelLen, 2048, POOLING_MAX_NUM_BATCHED_TOKENS);
  if (!o.batchedTokensSet) assumptions.push(`pooling runner: max_num_batched_tokens ${tokens} = max(max_model_len ${o.maxModelLen}, 2048, 32768) (vllm/config/scheduler.py POOLING_MODEL_MAX_NUM_BATCHED_TOKENS)`);
  const { component: w } = weightsComponent(model, o.dtype, o.quant, tp);
  const act = profileActivationPeak(shape, { tokens, seqs: 0, dtype: o.dtype, tp, plainMlp: true });
  const nonTorch = NON_TORCH_SINGLE_GPU + (tp > 1 ? NON_TORCH_TP_EXTRA : 0);
  const components: Component[] = [
    { id: "weights", label: "Model weights", bytes: w.bytes, formula: w.formula, level: "allocated" },
    { id: "activations", label: "Activation peak (profile run)", bytes: act.bytes, formula: `${act.formula.replace(/ \(> sampler[^)]*\)/, "")}; the pooler replaces the sampler`, level: "allocated" },
    { id: "non_torch", label: "Non-torch memory (profiled)", bytes: nonTorch, formula: "0.09 GiB, as vLLM's startup logs measure it" + (tp > 1 ? " + ~0.4 GiB NCCL buffers (approx)" : ""), level: "device" },
  ];
  if (!o.enforceEager) components.push({ id: "cuda_graphs", label: "CUDA graphs", bytes: CUDA_GRAPH_ESTIMATE, formula: "captured for the batch sizes vLLM serves (approx; --enforce-eager removes it)", level: "device" });
  components.push(cudaContextComponent({ vendor: gpu.vendor }));
  const budget = Math.floor(o.totalBytes * o.gpuMemoryUtilization);
  const used = w.bytes + act.bytes + nonTorch;
  const refusal = used > budget ? `vLLM will not start: weights, activations and non-torch memory (${formatBytes(used)}) exceed ${o.gpuMemoryUtilization} × ${formatBytes(o.totalBytes)}` : undefined;
  if (refusal) warnings.push(refusal);
  assumptions.push(`${task} with the pooling runner: encoder-only attention keeps no KV cache, so vLLM allocates no cache blocks (its gpu_memory_utilization budget is only an upper limit)`);
  return {
    components,
    peak: { phase: "serving", description: `weights + the activation peak of a batch of ${tokens} tokens (no KV cache)` },
    warnings,
    assumptions,
    ...(refusal ? { refusal } : {}),
    capacity: { sequences: Math.max(1, Math.floor(tokens / o.maxModelLen)), note: `sequences of ${o.maxModelLen} tokens per step: max_num_batched_tokens ${tokens} / max_model_len (no KV cache bounds them)` },
    extra: {
      serving: {
        kv_budget_bytes: 0,
        num_blocks: 0,
        max_model_len: o.maxModelLen,
        max_num_batched_tokens: tokens,
        sequences_per_batch: Math.max(1, Math.floor(tokens / o.maxModelLen)),
        gpu_memory_utilization: o.gpuMemoryUtilization,
        tensor_parallel_size: tp,
      },
    },
  };
}
