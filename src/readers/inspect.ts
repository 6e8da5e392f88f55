/**
 * Data for `vramfit inspect <model>`: what was read, and from where. Pure: takes what a reader
 * returned, does no I/O. `formatInspect` renders plain text lines (the CLI may color them).
 */
import type { ModelDescription, TensorGroup } from "../core/model.js";
import { numel } from "../core/model.js";
import type { CheckpointFacts } from "./checkpoint.js";
import { storedBytes } from "../core/dtypes.js";

export type ModuleGroup = "embeddings" | "attention" | "mlp" | "experts" | "norms" | "lm_head" | "other";

export interface InspectFact {
  label: string;
  value: string;
  /** Where the value came from: a file, a metadata key, a header count, a default. */
  from: string;
}

export interface InspectReport {
  id: string;
  hfId?: string;
  family: ModelDescription["family"];
  architecture: string;
  parameters: number;
  activeParameters: number;
  /** Parameters (and bytes as stored, when the dtype is known) per dtype. */
  byDtype: { dtype: string; parameters: number; bytes?: number }[];
  byGroup: { group: ModuleGroup; parameters: number }[];
  quantization?: string;
  contextLength?: number;
  storedBytesTotal?: number;
  tensorCount?: number;
  facts: InspectFact[];
  warnings: string[];
}

/** Which part of the network a tensor group belongs to, from its kind and name. */
export function moduleGroup(g: TensorGroup): ModuleGroup {
  if (g.kind === "embedding") return "embeddings";
  if (g.kind === "lm_head") return "lm_head";
  if (g.kind === "norm") return "norms";
  if (g.expert || g.kind === "router") return "experts";
  const n = g.name.toLowerCase();
  if (/attn|attention|self_attn|\.(q|k|v|o|qkv)_proj|query|key|value|c_attn|kv_a|kv_b|q_a|q_b/.test(n)) return "attention";
  if (/mlp|ffn|feed_forward|shared_expert|dense_h_to_4h|dense_4h_to_h|\.fc\d|c_fc|intermediate|\.w[123]\./.test(n)) return "mlp";
  return "other";
}

export function inspectModel(model: ModelDescription, facts: CheckpointFacts = { provenance: {} }): InspectReport {
  const dt = new Map<string, { parameters: number; bytes?: number }>();
  const grp = new Map<ModuleGroup, number>();
  for (const g of model.tensors) {
    const n = numel(g.shape) * g.count;
    const d = g.dtype ?? model.storedDtype ?? "unknown";
    const slot = dt.get(d) ?? { parameters: 0, bytes: 0 };
    slot.parameters += n;
    const b = storedBytes(d, g.shape);
    if (slot.bytes !== undefined) slot.bytes = b === undefined ? undefined : slot.bytes + b * g.count;
    dt.set(d, slot);
    const mg = moduleGroup(g);
    grp.set(mg, (grp.get(mg) ?? 0) + n);
  }
  const order: ModuleGroup[] = ["embeddings", "attention", "mlp", "experts", "norms", "lm_head", "other"];
  const t = model.family === "transformer" ? model.transformer : undefined;
  return {
    id: model.id,
    hfId: model.hfId,
    family: model.family,
    architecture: model.architecture,
    parameters: model.parameters,
    activeParameters: model.activeParameters,
    byDtype: [...dt.entries()].map(([dtype, v]) => ({ dtype, ...v })).sort((a, b) => b.parameters - a.parameters),
    byGroup: order.filter((g) => grp.has(g)).map((group) => ({ group, parameters: grp.get(group)! })),
    quantization: facts.quantization ?? model.storedQuant,
    contextLength: t?.maxPositions || undefined,
    storedBytesTotal: facts.storedBytesTotal,
    tensorCount: facts.tensorCount,
    facts: provenanceFacts(model, facts),
    warnings: model.warnings,
  };
}

function provenanceFacts(model: ModelDescription, facts: CheckpointFacts): InspectFact[] {
  const p = facts.provenance;
  const src = model.source;
  const out: InspectFact[] = [];
  const shapeFrom =
    src.kind === "gguf"
      ? `GGUF metadata (${model.architecture}.*) of ${src.ref}`
      : src.kind === "catalog"
        ? `built-in catalog config${src.origin ? ` (${src.origin})` : ""}`
        : src.kind === "param-count"
          ? `assumed: a Llama-family shape for "${src.ref}"`
          : src.kind === "onnx"
            ? `ONNX graph ${src.ref}`
            : (p.config ?? "no config.json");
  out.push({ label: "architecture", value: model.architecture, from: src.kind === "gguf" ? "GGUF general.architecture" : shapeFrom });
  const paramsFrom =
    src.kind === "gguf"
      ? `GGUF tensor table (${facts.tensorCount ?? 0} tensors)`
      : src.kind === "onnx"
        ? `ONNX initializers (${facts.tensorCount ?? 0})`
        : src.kind === "param-count"
          ? "the count given"
          : p.shardsRead && model.tensors.some((g) => g.dtype)
            ? `safetensors headers (${p.headers})`
            : p.config
              ? `tensor shapes derived from ${p.config}`
              : p.index
                ? `${p.index} metadata`
                : shapeFrom;
  out.push({ label: "parameters", value: model.parameters.toLocaleString("en-US"), from: paramsFrom });
  if (model.activeParameters !== model.parameters) {
    out.push({ label: "active parameters", value: model.activeParameters.toLocaleString("en-US"), from: "experts per token × expert sizes" });
  }
  if (model.storedDtype) out.push({ label: "stored dtype", value: model.storedDtype, from: p.shardsRead ? "safetensors headers" : p.config ? "config.json torch_dtype" : shapeFrom });
  const q = facts.quantization ?? model.storedQuant;
  if (q) out.push({ label: "quantization", value: q, from: src.kind === "gguf" ? "GGUF general.file_type and per-tensor ggml types" : "config.json quantization_config" });
  const t = model.family === "transformer" ? model.transformer : undefined;
  if (t) {
    out.push({ label: "context length", value: String(t.maxPositions), from: src.kind === "gguf" ? `GGUF ${model.architecture}.context_length` : shapeFrom });
    out.push({
      label: "shape",
      value: `${t.layers} layers, hidden ${t.hidden}, ${t.heads} heads / ${t.kvHeads} KV heads × ${t.headDim}, vocab ${t.vocab}${t.moe ? `, ${t.moe.experts} experts (top ${t.moe.expertsPerToken})` : ""}`,
      from: shapeFrom,
    });
  }
  if (facts.storedBytesTotal !== undefined) {
    out.push({ label: "stored bytes", value: facts.storedBytesTotal.toLocaleString("en-US"), from: p.shardsRead || src.kind === "gguf" || src.kind === "onnx" ? "tensor headers (exact)" : `${p.index ?? "index"} total_size` });
  }
  if (p.index) out.push({ label: "index", value: p.index, from: "model.safetensors.index.json" });
  if (p.headers && !p.shardsRead && src.kind !== "gguf" && src.kind !== "onnx") out.push({ label: "headers", value: p.headers, from: "-" });
  if (p.bytesRead !== undefined) out.push({ label: "bytes read", value: p.bytesRead.toLocaleString("en-US"), from: "metadata only, no weights" });
  return out;
}

const GiB = 1024 ** 3;

/** Plain-text rendering: one fact per line, sizes in GiB with the unit. */
export function formatInspect(r: InspectReport): string[] {
  const lines: string[] = [];
  const fmtP = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(2)}B` : n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n.toLocaleString("en-US"));
  lines.push(`${r.id}${r.hfId && r.hfId !== r.id ? ` (${r.hfId})` : ""}: ${r.architecture}, ${fmtP(r.parameters)} parameters${r.activeParameters !== r.parameters ? ` (${fmtP(r.activeParameters)} active)` : ""}`);
  lines.push("");
  lines.push("parameters by dtype:");
  for (const d of r.byDtype) lines.push(`  ${d.dtype.padEnd(10)} ${fmtP(d.parameters).padStart(9)}${d.bytes !== undefined ? `  ${(d.bytes / GiB).toFixed(2)} GiB` : ""}`);
  lines.push("parameters by module group:");
  for (const g of r.byGroup) lines.push(`  ${g.group.padEnd(10)} ${fmtP(g.parameters).padStart(9)}  ${((100 * g.parameters) / Math.max(1, r.parameters)).toFixed(1)}%`);
  lines.push("");
  const w = Math.max(...r.facts.map((f) => f.label.length));
  for (const f of r.facts) lines.push(`${f.label.padEnd(w)}  ${f.value}  [${f.from}]`);
  for (const warning of r.warnings) lines.push(`warning: ${warning}`);
  return lines;
}
