/**
 * A checkpoint as readers find it (config.json, safetensors headers, the index) → one ModelDescription.
 * The config gives the architecture and shapes (models/hf-config.ts); the headers give the real tensors
 * and dtypes, which win for parameter counts; the index gives a byte total to check both against.
 */
import type { ModelDescription, ModelSource } from "../core/model.js";
import { countParameters } from "../core/model.js";
import { modelFromHfConfig } from "../models/hf-config.js";
import { groupStoredBytes, isScaleOnlyDtype } from "../core/dtypes.js";
import type { SafetensorsIndex } from "./safetensors-index.js";
import type { SafetensorsTensor } from "./safetensors.js";
import { groupTensors } from "./tensor-groups.js";

export interface Checkpoint {
  id: string;
  hfId?: string;
  source: ModelSource;
  config?: unknown;
  /** All tensors of all shards, when the headers were read. */
  tensors?: SafetensorsTensor[];
  index?: SafetensorsIndex;
  /** Human-readable facts for `inspect`: what was read from where. */
  provenance?: Provenance;
  /** A family that reads this config.json itself (vision models): its description replaces the transformer reading. */
  configToModel?: ConfigToModel;
}

/** config.json → a description from a model family the readers do not import (undefined: not that family's). */
export type ConfigToModel = (config: unknown, source: ModelSource, id: string) => ModelDescription | undefined;

export interface Provenance {
  config?: string;
  index?: string;
  headers?: string;
  shardsRead?: number;
  bytesRead?: number;
}

/** Extra facts about what was read, kept beside the description for `inspect`. */
export interface CheckpointFacts {
  /** Quantization / file type label (GGUF file type, config quantization_config). */
  quantization?: string;
  /** Bytes of tensor data by dtype, from the headers (exact) or the index (total only). */
  storedBytesByDtype?: Record<string, number>;
  storedBytesTotal?: number;
  tensorCount?: number;
  provenance: Provenance;
}

/** What a reader returns: the description for the core, and the facts `inspect` shows. */
export interface ReadModel {
  model: ModelDescription;
  facts: CheckpointFacts;
}

function recordFacts(model: ModelDescription, facts: CheckpointFacts): ReadModel {
  return { model, facts };
}

export function modelFromCheckpoint(c: Checkpoint): ReadModel {
  const facts: CheckpointFacts = { provenance: c.provenance ?? {} };
  const real = c.tensors?.filter((t) => !isScaleOnlyDtype(t.dtype));
  if (c.tensors) {
    const byDtype: Record<string, number> = {};
    let total = 0;
    for (const t of c.tensors) {
      byDtype[t.dtype] = (byDtype[t.dtype] ?? 0) + t.byteLength;
      total += t.byteLength;
    }
    facts.storedBytesByDtype = byDtype;
    facts.storedBytesTotal = total;
    facts.tensorCount = c.tensors.length;
  } else if (c.index?.totalSize !== undefined) {
    facts.storedBytesTotal = c.index.totalSize;
    facts.tensorCount = c.index.weightMap.size;
  }

  const own = c.config !== undefined ? c.configToModel?.(c.config, c.source, c.id) : undefined;
  if (own) return recordFacts(own, facts);
  if (c.config !== undefined) {
    const model = modelFromHfConfig(c.config, c.source, { id: c.id, hfId: c.hfId });
    const warnings = [...model.warnings];
    const quantized = model.storedQuant !== undefined;
    if (real && real.length > 0 && !quantized) {
      // Unquantized checkpoint: the headers are the truth for names, shapes and dtypes.
      const groups = groupTensors(real);
      const fromHeaders = countParameters(groups);
      if (fromHeaders !== model.parameters) {
        warnings.push(
          `config.json implies ${model.parameters.toLocaleString("en-US")} parameters but the safetensors headers hold ${fromHeaders.toLocaleString("en-US")}; using the headers`,
        );
      }
      // Active per token: everything but routed experts, plus top-k of E experts (config's MoE shape).
      const expertParams = countParameters(groups.filter((g) => g.expert));
      const moe = model.family === "transformer" ? model.transformer.moe : null;
      const active = moe && expertParams > 0 ? fromHeaders - expertParams + Math.round((expertParams * moe.expertsPerToken) / moe.experts) : fromHeaders;
      return recordFacts(
        {
          ...model,
          parameters: fromHeaders,
          activeParameters: active,
          storedDtype: model.storedDtype ?? dominantDtype(groups),
          tensors: groups,
          warnings,
        },
        facts,
      );
    }
    if (real && real.length > 0 && quantized) {
      warnings.push(
        `quantized checkpoint (${model.storedQuant}): parameters are counted from config.json shapes; the files hold ${facts.storedBytesTotal?.toLocaleString("en-US")} bytes of packed weights and scales`,
      );
    } else if (c.index?.totalSize !== undefined && model.storedDtype && !quantized) {
      checkIndexTotal(model, c.index.totalSize, warnings);
    }
    return recordFacts({ ...model, warnings }, facts);
  }

  // No config.json: the tensors (or the index totals) are all there is.
  const warnings = ["no config.json: the architecture is unknown, so KV cache and activations cannot be derived from shapes"];
  if (real && real.length > 0) {
    const tensors = groupTensors(real);
    const parameters = countParameters(tensors);
    return recordFacts(
      {
        id: c.id,
        hfId: c.hfId,
        family: "generic",
        architecture: "unknown",
        parameters,
        activeParameters: parameters,
        storedDtype: dominantDtype(tensors),
        tensors,
        source: c.source,
        warnings,
      },
      facts,
    );
  }
  const params = c.index?.totalParameters ?? (c.index?.totalSize !== undefined ? Math.round(c.index.totalSize / 2) : 0);
  if (c.index?.totalParameters === undefined) warnings.push("parameters = index total_size / 2 bytes (assumes a 16-bit checkpoint)");
  return recordFacts(
    {
      id: c.id,
      hfId: c.hfId,
      family: "generic",
      architecture: "unknown",
      parameters: params,
      activeParameters: params,
      storedDtype:
        c.index?.totalParameters && c.index.totalSize ? dtypeForBytesPerParam(c.index.totalSize / c.index.totalParameters) : undefined,
      tensors: [],
      source: c.source,
      warnings,
    },
    facts,
  );
}

function checkIndexTotal(model: ModelDescription, totalSize: number, warnings: string[]) {
  const bytesPer = model.storedDtype === "fp32" ? 4 : model.storedDtype === "fp16" || model.storedDtype === "bf16" ? 2 : undefined;
  if (!bytesPer) return;
  const expected = model.parameters * bytesPer;
  if (expected !== totalSize) {
    warnings.push(
      `the index total_size (${totalSize.toLocaleString("en-US")} bytes) is not parameters × ${bytesPer} bytes (${expected.toLocaleString("en-US")}): the files may hold extra tensors or mixed dtypes`,
    );
  }
}

function dtypeForBytesPerParam(b: number): string | undefined {
  if (b === 4) return "fp32";
  if (b === 2) return "bf16";
  return undefined;
}

/**
 * The dtype holding the most parameters, when it is one the core computes in (fp32/fp16/bf16);
 * fp8/int8/packed checkpoints keep their per-group dtypes but no single "stored dtype".
 */
export function dominantDtype(groups: { dtype?: string; shape: number[]; count: number }[]): string | undefined {
  const d = dominantAnyDtype(groups);
  return d === "fp32" || d === "fp16" || d === "bf16" ? d : undefined;
}

function dominantAnyDtype(groups: { dtype?: string; shape: number[]; count: number }[]): string | undefined {
  const by = new Map<string, number>();
  for (const g of groups) if (g.dtype) by.set(g.dtype, (by.get(g.dtype) ?? 0) + g.shape.reduce((a, b) => a * b, 1) * g.count);
  let best: string | undefined;
  let max = -1;
  for (const [d, n] of by) if (n > max) [best, max] = [d, n];
  return best;
}

export { groupStoredBytes };
