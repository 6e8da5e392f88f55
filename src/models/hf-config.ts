/**
 * Hugging Face `config.json` → model description. The tensors are laid out as transformers builds the
 * model (module names and shapes from each architecture's modeling_*.py), so parameter counts are exact
 * and every later decision (quantization, LoRA targets, sharding) can look at real tensors.
 *
 * One declarative entry per model_type (arch/table.ts) drives one engine (arch/engine.ts); multimodal
 * wrappers (arch/wrappers.ts) read their language model through the same table and add their towers;
 * anything else goes to the labelled fallback (arch/fallback.ts), which says what it assumed.
 */
import { VramfitError } from "../core/errors.js";
import type { ModelSource, MoeShape, TransformerModel } from "../core/model.js";
import { countParameters, numel } from "../core/model.js";
import { buildFromSpec, type Built } from "./arch/engine.js";
import { buildFallback } from "./arch/fallback.js";
import { archSpec, tableTypes } from "./arch/table.js";
import { buildWrapper, wrapperTypes } from "./arch/wrappers.js";
import { ConfigReader } from "./config-reader.js";
import type { TensorList } from "./tensor-list.js";

/** Every model_type read exactly: the table's entries and the multimodal wrappers. */
export const SUPPORTED_ARCHITECTURES: readonly string[] = [...new Set([...tableTypes(), ...wrapperTypes()])].sort();

export interface HfConfigOptions {
  id?: string;
  hfId?: string;
}

export function modelFromHfConfig(raw: unknown, source: ModelSource, opts: HfConfigOptions = {}): TransformerModel {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) {
    throw new VramfitError("invalid_file", `${source.ref}: config.json must be a JSON object`);
  }
  const top = new ConfigReader(raw as Record<string, unknown>, source.ref);
  const modelType = top.str("model_type", "");
  const built = buildArchitecture(modelType, top, source.ref);
  const tensors = built.tensors.groups;
  const parameters = countParameters(tensors);
  const activeParameters = countActive(tensors, built.shape.moe);
  const textCfg = top.obj("text_config");
  const storedDtype = normalizeDtype(
    top.str("torch_dtype", top.str("dtype", textCfg ? String(textCfg.torch_dtype ?? textCfg.dtype ?? "") : "")),
  );
  const quantCfg = top.obj("quantization_config") ?? top.obj("quantization");
  return {
    id: opts.id ?? source.ref,
    hfId: opts.hfId,
    family: "transformer",
    architecture: modelType || "generic",
    parameters,
    activeParameters,
    storedDtype,
    storedQuant: quantCfg ? describeQuant(quantCfg) : undefined,
    transformer: built.shape,
    tensors,
    source,
    warnings: built.warnings,
  };
}

/** The layout of one config: a table entry, a multimodal wrapper, or the labelled fallback. */
export function buildArchitecture(modelType: string, c: ConfigReader, where: string, nested = false): Built {
  const spec = archSpec(modelType);
  if (spec && (!spec.accepts || spec.accepts(c))) return buildFromSpec(spec, c.raw, where, nested);
  const wrapped = buildWrapper(modelType, c, where, buildArchitecture);
  if (wrapped) return wrapped;
  return buildFallback(modelType, c, where, buildArchitecture);
}

/** Parameters touched per token: everything but the experts that the router does not pick. */
function countActive(tensors: TensorList["groups"], moe: MoeShape | null): number {
  if (!moe) return countParameters(tensors);
  let n = 0;
  for (const t of tensors) {
    const per = numel(t.shape);
    // Expert groups hold all E experts of a layer (either E×layers tensors or one fused tensor per layer).
    n += t.expert ? ((per * t.count) / moe.experts) * moe.expertsPerToken : per * t.count;
  }
  return n;
}

export function normalizeDtype(s: string): string | undefined {
  switch (s.replace("torch.", "")) {
    case "float32":
      return "fp32";
    case "float16":
      return "fp16";
    case "bfloat16":
      return "bf16";
    default:
      return undefined;
  }
}

function describeQuant(q: Record<string, unknown>): string {
  const method = String(q.quant_method ?? "");
  if (method === "bitsandbytes") {
    if (q.load_in_4bit) return String(q.bnb_4bit_quant_type ?? "nf4");
    if (q.load_in_8bit) return "int8";
  }
  if (method === "gptq" || method === "awq" || method === "fp8") return method;
  if (q.bits === 4 || q.group_size) return "mlx-4bit";
  return method || "unknown";
}
