/**
 * Serving plans: the vLLM runtime profile (src/runtimes/vllm) per GPU under tensor parallelism, and how
 * many sequences of the requested length the replicas hold together.
 */
import type { Estimator } from "../core/estimator.js";
import { defaultEstimator } from "../default-estimator.js";
import type { Gpu } from "../core/gpu.js";
import type { TransformerModel as ModelDescription } from "../core/model.js";
import { checkpointQuant } from "../runtimes/vllm/profile.js";
import type { Cost, EvaluatedPlan, ServingConfig } from "./types.js";

export function evaluateServingPlan(model: ModelDescription, c: ServingConfig, gpu: Gpu, gpus: number, estimator: Pick<Estimator, "estimate"> = defaultEstimator): EvaluatedPlan<ServingConfig> {
  const e = estimator.estimate(model, {
    runtime: "vllm",
    gpu,
    gpus: c.tp,
    quant: c.quant as never,
    kv_dtype: c.kvDtype as never,
    seq: c.maxModelLen,
    max_model_len: c.maxModelLen,
    gpu_memory_utilization: c.gpuMemoryUtilization,
    enforce_eager: c.enforceEager,
    ...(c.maxNumSeqs ? { max_num_seqs: c.maxNumSeqs } : {}),
    ...(c.maxNumBatchedTokens ? { max_num_batched_tokens: c.maxNumBatchedTokens } : {}),
  });
  const s = e.serving!;
  const replicas = Math.max(1, Math.floor(gpus / c.tp));
  const perReplica = Math.min(s.max_sequences, s.max_num_seqs);
  const fits = s.max_sequences >= 1 && (e.gpu?.fits ?? false);
  const own = c.quant !== null && c.quant === checkpointQuant(model);
  const costs: Cost[] = [];
  if (c.tp > 1) costs.push({ what: `tensor parallel ${c.tp}: two all-reduces per layer per step`, factor: 1 + 0.05 * Math.log2(c.tp) });
  if (c.quant === "fp8" && !own) costs.push({ what: "fp8 weights: fast on Hopper/Ada (fp8 tensor cores), weight-only Marlin kernels on Ampere; small accuracy change", factor: gpu.arch === "hopper" || gpu.arch === "ada" || gpu.arch === "blackwell" ? 1 : 1.1 });
  if ((c.quant === "awq" || c.quant === "gptq") && !own) costs.push({ what: `${c.quant.toUpperCase()} 4-bit weights: needs a quantized checkpoint; accuracy drops slightly`, factor: 1.05 });
  if (c.kvDtype === "fp8") costs.push({ what: "fp8 KV cache: twice the tokens per GiB; small accuracy change", factor: 1 });
  if (c.enforceEager) costs.push({ what: "--enforce-eager: no CUDA graphs, slower decode", factor: 1.3 });
  const fidelity = (own ? 0 : c.quant === "awq" || c.quant === "gptq" ? 2 : c.quant ? 1 : 0) + (c.kvDtype === "fp8" ? 1 : 0);
  return {
    config: c,
    components: e.components,
    totals: e.totals,
    cpuBytes: 0,
    fits,
    headroomBytes: e.gpu?.headroom_bytes ?? 0,
    speedFactor: costs.reduce((f, x) => f * x.factor, 1),
    costs,
    fidelity,
    summary: `${replicas > 1 ? `${replicas} replicas × ` : ""}TP ${c.tp}${c.quant ? `, ${c.quant} weights` : ""}${c.kvDtype === "fp8" ? ", fp8 KV" : ""}, max-model-len ${c.maxModelLen}: ${perReplica * replicas} sequences at once`,
    maxSequences: perReplica * replicas,
    kvBudgetBytes: s.kv_budget_bytes,
    peak: "serving",
  };
}
