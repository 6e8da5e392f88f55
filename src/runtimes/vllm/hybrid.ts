/**
 * vLLM's cache for models with recurrent layers (Mamba, Jamba, Nemotron-H, Granite-4.0-H, Falcon-H1, Qwen3-Next /
 * Qwen3.5, LFM2, ...): one pool of equal pages shared by the attention layers' K/V blocks and the per-sequence
 * state pages (memory.ts vllmHybridLayout). Components and the serving summary for the profile.
 */
import type { Component } from "../../core/estimate-types.js";
import type { TransformerShape } from "../../core/model.js";
import { formatBytes } from "../../core/units.js";
import type { VllmMemory, VllmOptions } from "./memory.js";

/** --mamba-cache-dtype / --mamba-ssm-cache-dtype values (vllm/config/cache.py MambaDType, plus bfloat16). */
export const MAMBA_CACHE_DTYPES = ["auto", "float32", "bfloat16", "float16"] as const;

const DTYPE: Record<string, string> = { float32: "fp32", bfloat16: "bf16", float16: "fp16" };

/** vLLM dtype names → vramfit's (fp32, bf16, fp16); undefined for auto. */
export function mambaDtype(d: string | undefined): string | undefined {
  return d && d !== "auto" ? DTYPE[d] : undefined;
}

export function vllmHybridComponents(shape: TransformerShape, m: VllmMemory, o: VllmOptions): { component: Component; warnings: string[]; assumptions: string[] } {
  const h = m.hybrid!;
  const s = shape.state!;
  const warnings: string[] = [];
  const assumptions: string[] = [];
  const poolBlock = h.pageBytes * h.groupSize;
  const padded = h.attentionLayers > 0 && h.pageBytes > h.statePageBytes;
  const layout =
    h.attentionLayers > 0
      ? `${h.attentionLayers} attention layers in ${h.attentionGroups} group(s) + ${h.stateLayers} ${s.kind} layers in ${h.stateGroups} group(s) of ${h.groupSize}; block size raised to ${h.blockSize} tokens so that an attention page (${formatBytes(h.pageBytes)}) holds one state page (${h.statePageFormula} = ${formatBytes(h.statePageBytes)}${padded ? `, padded ${(((h.pageBytes - h.statePageBytes) / h.statePageBytes) * 100).toFixed(2)} %` : ""})`
      : `${h.stateLayers} ${s.kind} layers, one state page (${h.statePageFormula} = ${formatBytes(h.statePageBytes)}) per sequence and layer`;
  let component: Component;
  if (m.maxSequences >= 1) {
    component = {
      id: "kv_cache",
      label: h.attentionLayers > 0 ? "KV cache + recurrent states (pre-allocated pages)" : "Recurrent states (pre-allocated pages)",
      bytes: m.cacheBytes,
      formula: `${m.numBlocks} blocks × ${h.groupSize} pages × ${h.pageBytes} B from the budget ${o.gpuMemoryUtilization} × ${formatBytes(o.totalBytes)} − weights − activations − non-torch; ${layout}; a sequence of ${o.maxModelLen} tokens takes ${h.blocksPerSequence} blocks (vLLM v0.11 HybridAttentionMambaModelConfig, kv_cache_utils.py)`,
      level: "allocated",
    };
  } else {
    component = {
      id: "kv_cache",
      label: "KV cache + recurrent states (one sequence, the least vLLM starts with)",
      bytes: h.blocksPerSequence * poolBlock,
      formula: `${h.blocksPerSequence} blocks × ${h.groupSize} pages × ${h.pageBytes} B for one ${o.maxModelLen}-token sequence; ${layout}`,
      level: "allocated",
    };
    warnings.push(
      m.kvBudgetBytes <= 0
        ? `vLLM will not start: weights, activations and non-torch memory exceed ${o.gpuMemoryUtilization} × ${formatBytes(o.totalBytes)} by ${formatBytes(-m.kvBudgetBytes)}`
        : `vLLM will not start: the cache budget of ${formatBytes(m.kvBudgetBytes)} holds ${m.numBlocks} blocks, less than one ${o.maxModelLen}-token sequence (${h.blocksPerSequence} blocks)`,
    );
  }
  assumptions.push(`recurrent state: conv in ${o.mambaCacheDtype ?? o.dtype}, SSM state in ${o.mambaSsmCacheDtype ?? s.ssmDtype ?? o.mambaCacheDtype ?? o.dtype} (--mamba-cache-dtype / --mamba-ssm-cache-dtype auto${s.ssmDtype ? `; the checkpoint asks for ${s.ssmDtype}` : ""})`);
  if (h.attentionLayers > 0) assumptions.push(`hybrid allocator: attention block size ${h.blockSize} tokens (vLLM logs "Setting attention block size to ${h.blockSize} tokens")`);
  return { component, warnings, assumptions };
}
