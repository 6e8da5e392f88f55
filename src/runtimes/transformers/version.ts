/**
 * transformers versions and the memory mechanisms that changed between them (docs/engines/transformers-accuracy.md).
 * Each switch below is read from the transformers source at the commit that changed it; the release it first
 * shipped in is the `__version__` (x.y.0.dev0) in src/transformers/__init__.py at that commit.
 */
import { VramfitError } from "../../core/errors.js";

/** The release the estimate models when none is given: DynamicCache, logits_to_keep=1, SDPA by default. */
export const TRANSFORMERS_DEFAULT_VERSION = "5.18";

export type Version = readonly [number, number, number];

/** "4.35.2", "4.33.0.dev0", "4.36" → [4, 35, 2]; a pre-release of x.y.z counts as x.y.z (its main-branch code). */
export function parseTransformersVersion(v: string): Version {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?(?:[.-]?(?:dev|rc|a|b)\d*)?$/.exec(v.trim());
  if (!m) throw new VramfitError("invalid_option", `transformers_version must look like 4.35.2 or 4.36, got '${v}'`, { details: { key: "transformers_version" } });
  return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

export function versionBefore(v: Version, major: number, minor: number): boolean {
  return v[0] < major || (v[0] === major && v[1] < minor);
}

/**
 * Model types whose causal-LM forward upcast the whole logits tensor with `logits = logits.float()`, and the
 * release that first had the line (git log -S'logits = logits.float()' on each models/<type>/modeling_<type>.py;
 * present in every one of them at 4.44, v4.44 main commit 22e6f1452~1; removed from the model forwards by
 * "Fix Gradient Accumulation issue" #34191 and "Remove logits.float()" #33902, both 4.46.0.dev0, starcoder2 in 4.47).
 * Other model types returned the lm_head output in the model dtype.
 */
export const LOGITS_FLOAT_SINCE: Readonly<Record<string, Version>> = {
  llama: [4, 32, 0], // 07360b6c9 "Add support for Llama 2" (#24891)
  mistral: [4, 34, 0],
  mixtral: [4, 36, 0],
  phi: [4, 36, 0],
  qwen2: [4, 37, 0],
  cohere: [4, 39, 0],
  gemma: [4, 39, 0], // d3a4b4754 "RoPE loses precision for Llama / Gemma + Gemma logits.float()" (#29285)
  starcoder2: [4, 39, 0],
  jamba: [4, 40, 0],
  olmo: [4, 40, 0],
  qwen2_moe: [4, 40, 0],
  recurrent_gemma: [4, 40, 0],
  idefics2: [4, 40, 0],
  jetmoe: [4, 41, 0],
  paligemma: [4, 41, 0],
  phi3: [4, 41, 0],
  gemma2: [4, 42, 0],
  chameleon: [4, 43, 0],
  nemotron: [4, 44, 0],
};

const atLeast = (v: Version, w: Version) => v[0] !== w[0] ? v[0] > w[0] : v[1] !== w[1] ? v[1] > w[1] : v[2] >= w[2];

export interface TransformersMechanisms {
  version: string;
  /**
   * generate() hands the model a tuple of K/V tensors each step (the legacy cache) and keeps that tuple in
   * model_kwargs while the forward builds the next one: before 4.36 modeling_llama.py LlamaAttention did
   * `key_states = torch.cat([past_key_value[0], key_states], dim=2)`; 4.36–4.41 LlamaModel wraps the tuple with
   * DynamicCache.from_legacy_cache (same tensors), grows it by torch.cat in DynamicCache.update and returns
   * `next_cache.to_legacy_cache()`. Either way the previous step's whole cache is alive until the forward returns:
   * at the last step the cache exists twice. Fixed by "Reduce by 2 the memory requirement in generate()" (#30536,
   * bd5091df8, 4.42.0.dev0): generate() creates a DynamicCache itself and the old layer is freed after each cat.
   */
  legacyCache: boolean;
  /**
   * generate()'s first forward returns logits for every prompt position: before "Reducing memory usage: removing
   * useless logits computation in generate()" (#31292, 22e6f1452, 4.45.0.dev0) set num_logits_to_keep=1.
   */
  fullPrefillLogits: boolean;
  /** ...and the model upcast all of them to fp32 (`logits = logits.float()`, LOGITS_FLOAT_SINCE). */
  fullLogitsFp32: boolean;
  /**
   * attn_implementation defaults to eager: SDPA became the default with "F.scaled_dot_product_attention support"
   * (#26572, 80377eb01, 4.36.0.dev0: LlamaSdpaAttention, modeling_utils.py _check_and_enable_sdpa).
   */
  eagerByDefault: boolean;
}

export function transformersMechanisms(version: string, modelType: string): TransformersMechanisms {
  const v = parseTransformersVersion(version);
  const fullPrefillLogits = versionBefore(v, 4, 45);
  const since = LOGITS_FLOAT_SINCE[modelType];
  return {
    version,
    legacyCache: versionBefore(v, 4, 42),
    fullPrefillLogits,
    fullLogitsFp32: fullPrefillLogits && since !== undefined && atLeast(v, since),
    eagerByDefault: versionBefore(v, 4, 36),
  };
}
