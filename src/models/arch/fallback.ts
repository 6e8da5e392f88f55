/**
 * The labelled fallback for a model_type without an entry. It reads the keys most families share under
 * their usual spellings (widths, heads, KV heads, head_dim, the MLP width as intermediate_size / n_inner /
 * ffn_hidden_size / ffn_dim / d_ff, the activation, norm epsilons, bias flags, q/k norm flags, MLA and expert
 * keys, layer-type lists), builds a Llama-style entry from what it found and runs the same engine. For an
 * ordinary dense decoder that is exact; the warning names every assumption, so a user can tell when it is not.
 */
import { VramfitError } from "../../core/errors.js";
import { ConfigReader } from "../config-reader.js";
import { buildFromSpec, type Built } from "./engine.js";
import type { ArchSpec, ConfigValue, MoeLayerRule, MoeSpec, NormKind } from "./spec.js";
import { archSpec, tableTypes } from "./table.js";
import { type BuildFn } from "./wrappers.js";

const TEXT_KEYS = ["text_config", "language_config", "llm_config", "text_model"];

const K = {
  h: ["hidden_size", "n_embd", "d_model", "n_embed", "dim", "model_dim"],
  L: ["num_hidden_layers", "n_layer", "num_layers", "n_layers"],
  H: ["num_attention_heads", "n_head", "num_heads", "n_heads", "attention_heads"],
  kv: ["num_key_value_heads", "num_kv_heads", "n_head_kv", "kv_n_heads", "num_query_groups", "n_kv_heads"],
  d: ["head_dim", "kv_channels", "d_kv", "attention_head_dim", "head_size"],
  V: ["vocab_size", "padded_vocab_size", "n_vocab"],
  I: ["intermediate_size", "n_inner", "ffn_hidden_size", "ffn_dim", "d_ff", "inner_hidden_size", "ffn_inner_dim", "mlp_hidden_size", "hidden_dim"],
  maxPos: ["max_position_embeddings", "n_positions", "seq_length", "max_seq_len", "max_sequence_length", "n_ctx", "model_max_length"],
  act: ["hidden_act", "hidden_activation", "activation_function", "activation", "afn", "ffn_act", "mlp_act", "hidden_activation_fn"],
  tie: ["tie_word_embeddings", "tie_embeddings", "tie_word_embedding"],
  experts: ["num_local_experts", "num_experts", "n_routed_experts", "moe_num_experts", "num_moe_experts", "n_experts"],
  topK: ["num_experts_per_tok", "moe_topk", "moe_k", "experts_per_token", "num_selected_experts", "top_k", "moe_top_k"],
  moeWidth: ["moe_intermediate_size", "expert_intermediate_size", "moe_ffn_hidden_size", "expert_ffn_hidden_size", "moe_hidden_size"],
  sharedCount: ["n_shared_experts", "num_shared_experts", "moe_num_shared_experts", "num_shared_expert", "shared_experts"],
  sharedWidth: ["shared_expert_intermediate_size", "shared_intermediate_size", "moe_shared_expert_intermediate_size"],
  rope: ["rope_theta", "rotary_dim", "rotary_pct", "partial_rotary_factor", "rope_scaling", "rope_parameters", "rotary_emb_base", "rotary_base", "rope_type", "use_rope", "rotary_emb_fraction", "rope_ratio"],
};

function first(c: ConfigReader, keys: readonly string[]): string | undefined {
  return keys.find((k) => c.has(k));
}

function firstNumber(c: ConfigReader, keys: readonly string[]): { key: string; value: number } | undefined {
  for (const k of keys) {
    const v = c.raw[k];
    if (typeof v === "number") return { key: k, value: c.int(k) };
  }
  return undefined;
}

function truthy(c: ConfigReader, keys: readonly string[]): string | undefined {
  return keys.find((k) => c.raw[k] === true);
}

export function buildFallback(mt: string, c: ConfigReader, where: string, build: BuildFn): Built {
  const name = mt || "(none)";
  // An unknown multimodal wrapper around a known language model: the language model is exact.
  const key = TEXT_KEYS.find((k) => c.obj(k));
  const text = key ? c.obj(key)! : undefined;
  const inner = text ? String(text.model_type ?? "") || typeFromArchitectures(text) : "";
  if (text && inner && inner !== mt && archSpec(inner)) {
    const built = build(inner, new ConfigReader(text, `${where} ${key}`), `${where} (${inner} language model)`, true);
    built.warnings.push(`model_type "${name}": the ${inner} language model is counted exactly; its vision tower and projector are not`);
    return built;
  }
  const r = text ? new ConfigReader(text, `${where} ${key}`) : c;
  if (!first(r, K.h)) {
    throw new VramfitError("unsupported", `${where}: unknown model_type "${name}" and no hidden_size to estimate from`, {
      suggestion: "give a config.json of a supported model_type (vramfit models lists real ones), or a parameter count like 7b",
    });
  }
  const { spec, raw, assumed } = inferSpec(name, r);
  const built = buildFromSpec(spec, raw, where);
  built.warnings.push(`model_type "${name}" is not modelled exactly: read as a Llama-style decoder (${assumed.join("; ")}); parameters and activations are exact only if ${name} builds its layers this way`);
  return built;
}

/**
 * A nested config without model_type names its class (language_config.architectures: DeepseekV2ForCausalLM):
 * the class name without its head suffix, lowercased, matched against the table's model_types without "_".
 */
function typeFromArchitectures(cfg: Record<string, unknown>): string {
  const arch = Array.isArray(cfg.architectures) ? String(cfg.architectures[0] ?? "") : "";
  const stem = arch.replace(/(ForCausalLM|ForConditionalGeneration|LMHeadModel|Model)$/, "").toLowerCase();
  if (!stem) return "";
  return tableTypes().find((t) => t.replace(/[_-]/g, "").toLowerCase() === stem) ?? "";
}

/** A Llama-style entry from the keys the config has, with every guess written down. */
export function inferSpec(mt: string, c: ConfigReader): { spec: ArchSpec; raw: Record<string, unknown>; assumed: string[] } {
  const assumed: string[] = [];
  const raw: Record<string, ConfigValue | unknown> = { ...c.raw };
  const pick = (dim: keyof typeof K, target: string, required = true): number | undefined => {
    const f = firstNumber(c, K[dim]);
    if (f) raw[target] = f.value;
    else if (required) throw new VramfitError("invalid_file", `${c.where}: missing "${K[dim].slice(0, 3).join(" / ")}"`);
    return f?.value;
  };
  const h = pick("h", "hidden_size")!;
  const L = pick("L", "num_hidden_layers")!;
  if (!firstNumber(c, K.H)) {
    throw new VramfitError("unsupported", `${c.where}: model_type "${mt}" has no entry and no attention heads to estimate from (a recurrent or non-transformer model?)`, {
      suggestion: "vramfit reads Mamba, RWKV-4 and the hybrid families listed by `vramfit models`; give a parameter count like 3b for weights only",
    });
  }
  const H = pick("H", "num_attention_heads")!;
  pick("V", "vocab_size");
  if (H === 0) throw new VramfitError("invalid_file", `${c.where}: the number of attention heads must be positive`);

  const kv = pick("kv", "num_key_value_heads", false);
  if (kv === undefined && (c.raw.multi_query === true || c.raw.multi_query_attention === true)) {
    const groups = c.raw.multi_query_group_num;
    raw.num_key_value_heads = typeof groups === "number" ? c.int("multi_query_group_num") : 1;
    assumed.push(`${raw.num_key_value_heads} KV head(s) from multi_query`);
  }
  const d = pick("d", "head_dim", false);
  if (d === undefined) raw.head_dim = null;

  // MLP width: a per-layer list counts as its mean width (the total is what matters for parameters).
  const list = K.I.map((k) => c.raw[k]).find((v) => Array.isArray(v)) as unknown[] | undefined;
  if (list && list.length > 0 && list.every((x) => typeof x === "number" && x >= 0)) {
    const mean = Math.round((list as number[]).reduce((a, b) => a + b, 0) / list.length);
    raw.intermediate_size = mean;
    assumed.push(`per-layer MLP widths averaged to ${mean}`);
  } else if (pick("I", "intermediate_size", false) === undefined) {
    raw.intermediate_size = 4 * h;
    assumed.push(`MLP width 4 × hidden (no intermediate_size / n_inner / ffn_hidden_size)`);
  }
  pick("maxPos", "max_position_embeddings", false);
  const actKey = first(c, K.act.filter((k) => typeof c.raw[k] === "string"));
  const act = actKey ? String(c.raw[actKey]) : "silu";
  raw.hidden_act = act;
  if (!actKey) assumed.push("activation silu (none named)");

  // Gated (SwiGLU/GeGLU) or plain MLP, from the activation and any gated-MLP flag.
  const glu = /glu/i.test(act) || /gated/i.test(String(c.raw.feed_forward_proj ?? c.raw.mlp_type ?? c.raw.ffn_type ?? ""));
  const gated = glu || /^(silu|swish)$/i.test(act);
  assumed.push(gated ? `gated MLP (gate, up, down) for ${act}` : `plain MLP (up, down) for ${act}`);

  // RMSNorm or LayerNorm, from the epsilon key or norm type.
  const normType = String(c.raw.norm_type ?? c.raw.normalization ?? c.raw.layer_norm_type ?? "");
  const rms = /rms/i.test(normType) || c.has("rms_norm_eps") || c.has("rms_norm_epsilon") || c.raw.rmsnorm === true;
  const layer = !rms && (/layer/i.test(normType) || c.has("layer_norm_eps") || c.has("layer_norm_epsilon") || c.has("layernorm_epsilon") || c.has("norm_epsilon"));
  const norm: NormKind = layer ? "layer" : "rms";
  assumed.push(layer ? "LayerNorms with bias" : rms ? "RMSNorms" : "RMSNorms (no norm key)");

  // Biases.
  const qkvBias = truthy(c, ["attention_bias", "qkv_bias", "add_qkv_bias", "use_qkv_bias", "bias", "use_bias"]);
  const oBias = c.has("attention_out_bias") ? (c.raw.attention_out_bias === true ? "attention_out_bias" : undefined) : truthy(c, ["attention_bias", "bias", "use_bias", "add_bias_linear"]);
  const mlpBias = truthy(c, ["mlp_bias", "use_bias", "add_bias_linear"]);
  if (qkvBias || oBias || mlpBias) assumed.push(`biases: ${[qkvBias && `q/k/v (${qkvBias})`, oBias && `o (${oBias})`, mlpBias && `MLP (${mlpBias})`].filter(Boolean).join(", ")}`);
  const qkNorm = truthy(c, ["use_qk_norm", "qk_layernorm", "qk_norm", "use_qk_layernorm"]);
  if (qkNorm) assumed.push(`per-head q/k norms (${qkNorm})`);

  // Tied embeddings: the key when present, else untied.
  const tieKey = first(c, K.tie);
  raw.tie_word_embeddings = tieKey ? c.bool(tieKey, false) : false;
  if (!tieKey) assumed.push("untied lm_head (no tie_word_embeddings)");

  // Positions: a learned table only for absolute positions without any rotary key.
  const learned = String(c.raw.position_embedding_type ?? "") === "absolute" || (!first(c, K.rope) && c.has("n_positions") && c.raw.alibi !== true);
  if (learned) assumed.push("learned absolute positions");

  // Multi-head latent attention.
  const mla = c.has("kv_lora_rank") && c.has("qk_rope_head_dim") && c.has("qk_nope_head_dim") && c.has("v_head_dim");
  if (mla) assumed.push("DeepSeek-style latent attention (kv_lora_rank)");

  // Experts.
  let moe: MoeSpec | undefined;
  const experts = firstNumber(c, K.experts);
  if (experts && experts.value > 1) {
    const width = firstNumber(c, K.moeWidth)?.key ?? "intermediate_size";
    const sharedW = firstNumber(c, K.sharedWidth);
    const sharedC = firstNumber(c, K.sharedCount);
    moe = {
      experts: [experts.key],
      topK: K.topK,
      width: [width],
      prefix: "mlp",
      router: "gate",
      layout: "per-expert",
      shared: sharedW && sharedW.value > 0 ? { name: "shared_expert", width: [sharedW.key] } : sharedC && sharedC.value > 0 ? { name: "shared_experts", count: sharedC.key } : undefined,
      layers: moeRule(c),
    };
    assumed.push(`${experts.value} experts of ${width} (${experts.key})${moe.shared ? ` with shared experts (${sharedW?.key ?? sharedC?.key})` : ""}, layers: ${describeRule(moe.layers)}`);
  }

  // Layer types: sliding windows are read. Recurrent / linear-attention layers are refused: counted as attention
  // they would get a KV cache that grows with the context and no state, a wrong answer rather than a rough one.
  const types = c.array("layer_types") ?? c.array("layers_block_type") ?? c.array("block_types");
  const refuseHybrid = (what: string) => {
    throw new VramfitError("unsupported", `${c.where}: model_type "${mt}" has ${what}, which vramfit lays out only for the model types it knows (mamba, jamba, falcon_h1, granitemoehybrid, nemotron_h, qwen3_next, lfm2, ...): read as attention layers its cache would be wrong`, {
      suggestion: "use a model type vramfit lists (vramfit models), or open an issue with the model's config.json and safetensors index",
    });
  };
  if (types && types.length === L) {
    const other = types.map(String).filter((x) => !/sliding|full|global|attention|chunked|local/i.test(x) || /linear|mamba|ssm|conv|recurrent|delta/i.test(x));
    if (other.length > 0) refuseHybrid(`${other.length} of ${L} layers of kind ${[...new Set(other)].join(", ")}`);
    if (types.some((x) => /sliding|local|chunked/i.test(String(x)))) raw.layer_types = types.map((x) => (/sliding|local|chunked/i.test(String(x)) ? "sliding_attention" : "full_attention"));
    else delete raw.layer_types;
  } else if (c.has("hybrid_override_pattern") || c.has("attn_layer_indices") || c.has("attn_type_list") || c.has("linear_attn_config")) {
    refuseHybrid("a hybrid layer pattern (hybrid_override_pattern / attn_layer_indices / attn_type_list / linear_attn_config)");
  }
  const rotary = first(c, ["rotary_dim", "partial_rotary_factor", "rotary_pct", "rotary_emb_fraction"]);
  if (rotary) assumed.push(`rotary on part of each head (${rotary} ${JSON.stringify(c.raw[rotary])}), no parameters`);

  const spec: ArchSpec = {
    types: [mt],
    from: "fallback: Llama-style layout inferred from common keys",
    defaults: {},
    embed: { tokens: "model.embed_tokens", positions: learned ? { name: "model.embed_positions" } : undefined },
    layer: "model.layers.{L}",
    attention: {
      prefix: "self_attn",
      layout: mla ? "mla" : "qkvo",
      qkvBias: !!qkvBias,
      oBias: !!oBias,
      qkNorm: qkNorm ? { names: ["q_norm", "k_norm"], width: "head" } : undefined,
    },
    mlp: { prefix: "mlp", kind: gated ? "gated" : "plain", bias: !!mlpBias },
    moe,
    norms: { kind: norm, pre: ["input_layernorm"], mid: ["post_attention_layernorm"], final: "model.norm" },
    head: { name: "lm_head" },
    slidingWindow: { key: "sliding_window", fallback: 4096 },
  };
  return { spec, raw: raw as Record<string, unknown>, assumed };
}

function moeRule(c: ConfigReader): MoeLayerRule {
  if (Array.isArray(c.raw.moe_layers)) return { rule: "list-or-step", list: "moe_layers", step: "interleave_moe_layer_step" };
  if (c.has("mlp_only_layers") || c.has("decoder_sparse_step")) return { rule: "sparse-step", step: "decoder_sparse_step", only: "mlp_only_layers" };
  if (c.has("first_k_dense_replace")) return { rule: "first-dense", first: "first_k_dense_replace", freq: "moe_layer_freq" };
  if (c.has("moe_layer_start_index")) return { rule: "start-interval", start: "moe_layer_start_index", interval: "moe_layer_interval", end: "moe_layer_end_index" };
  if (c.has("interleave_moe_layer_step")) return { rule: "list-or-step", list: "moe_layers", step: "interleave_moe_layer_step" };
  if (c.has("expert_layer_period")) return { rule: "period", period: "expert_layer_period", offset: "expert_layer_offset" };
  return { rule: "all" };
}

function describeRule(r: MoeLayerRule): string {
  switch (r.rule) {
    case "all":
      return "all";
    case "sparse-step":
      return "decoder_sparse_step / mlp_only_layers";
    case "first-dense":
      return "after first_k_dense_replace";
    case "list-or-step":
      return "moe_layers / interleave_moe_layer_step";
    case "start-interval":
      return "moe_layer_start_index / moe_layer_interval";
    case "period":
      return "expert_layer_period / expert_layer_offset";
    case "mask":
      return r.key;
    case "pattern":
      return `${r.key} "${r.char}"`;
    case "none":
      return "none";
  }
}
