/**
 * Every model_type the reader lays out exactly, one entry each (decoders.ts, moe.ts, classic.ts,
 * encoders.ts). A model_type not listed here goes to the labelled fallback (fallback.ts).
 */
import { BAICHUAN, EXAONE, EXAONE4, ERNIE4_5, APERTUS, ARCEE, COHERE, COHERE2, GEMMA, GEMMA2, GEMMA3_TEXT, GLM, GLM4, GRANITE, HELIUM, HUNYUAN_DENSE, INTERNLM, INTERNLM2, LLAMA, MINISTRAL, MISTRAL, NEMOTRON, OLMO, OLMO2, OLMO3, ORION, PERSIMMON, PHI, PHI3, QWEN2, QWEN3, SEED_OSS, SMOLLM3, STABLELM, STARCODER2 } from "./decoders.js";
import { BLOOM, CHATGLM, CODEGEN, FALCON, GPT2, GPT_BIGCODE, GPT_NEO, GPT_NEOX, GPTJ, MPT, OPENAI_GPT, OPT, PHI_MSFT, QWEN1, REFINED_WEB, REFINED_WEB_MODEL } from "./classic.js";
import { BERT, DISTILBERT, MODERNBERT, MPNET, ROBERTA } from "./encoders.js";
import { DEEPSEEK_V2, DEEPSEEK_V3, DEEPSEEK_V32, DOTS1, ERNIE4_5_MOE, GLM4_MOE, GPT_OSS, GRANITEMOE, GRANITEMOESHARED, HUNYUAN_MOE, LLAMA4_TEXT, MINIMAX_M2, MIXTRAL, OLMOE, PHIMOE, QWEN2_MOE, QWEN3_MOE } from "./moe.js";
import type { ArchEntry } from "./spec.js";

export const ENTRIES: readonly ArchEntry[] = [
  // Llama-style decoders
  LLAMA, MISTRAL, MINISTRAL, QWEN2, QWEN3, GEMMA, GEMMA2, GEMMA3_TEXT, PHI3, GRANITE, SMOLLM3, HELIUM, ARCEE, SEED_OSS, APERTUS,
  NEMOTRON, STABLELM, STARCODER2, COHERE, COHERE2, OLMO, OLMO2, OLMO3, EXAONE, EXAONE4, GLM, GLM4, ERNIE4_5, HUNYUAN_DENSE,
  PERSIMMON, PHI, INTERNLM, INTERNLM2, BAICHUAN, ORION,
  // Mixture of experts
  MIXTRAL, PHIMOE, MINIMAX_M2, QWEN2_MOE, QWEN3_MOE, OLMOE, DEEPSEEK_V2, DEEPSEEK_V3, DEEPSEEK_V32, DOTS1, GLM4_MOE, ERNIE4_5_MOE,
  HUNYUAN_MOE, GRANITEMOE, GRANITEMOESHARED, LLAMA4_TEXT, GPT_OSS,
  // GPT-style and older layouts
  GPT2, GPT_BIGCODE, OPENAI_GPT, GPT_NEO, GPTJ, CODEGEN, GPT_NEOX, BLOOM, FALCON, REFINED_WEB, REFINED_WEB_MODEL, MPT, OPT, QWEN1, CHATGLM, PHI_MSFT,
  // Encoders
  BERT, ROBERTA, MPNET, DISTILBERT, MODERNBERT,
];

const BY_TYPE = new Map<string, ArchEntry>();
for (const e of ENTRIES) for (const t of e.types) BY_TYPE.set(t, e);

export function archSpec(modelType: string): ArchEntry | undefined {
  return BY_TYPE.get(modelType);
}

/** Every model_type with an entry, sorted. */
export function tableTypes(): string[] {
  return [...BY_TYPE.keys()].sort();
}
