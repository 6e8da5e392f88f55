/**
 * Hugging Face `config.json` → model description. The tensors are laid out as transformers builds the
 * model (module names and shapes from each architecture's modeling_*.py), so parameter counts are exact
 * and every later decision (quantization, LoRA targets, sharding) can look at real tensors.
 */
import { VramfitError } from "../core/errors.js";
import type { MlaShape, ModelSource, MoeShape, TransformerModel, TransformerShape } from "../core/model.js";
import { countParameters, numel } from "../core/model.js";
import { ConfigReader } from "./config-reader.js";
import { TensorList } from "./tensor-list.js";

export const SUPPORTED_ARCHITECTURES = [
  "llama",
  "mistral",
  "mixtral",
  "qwen2",
  "qwen2_moe",
  "qwen3",
  "qwen3_moe",
  "gemma",
  "gemma2",
  "gemma3",
  "gemma3_text",
  "phi3",
  "gpt2",
  "gpt_bigcode",
  "gpt_neox",
  "falcon",
  "opt",
  "bert",
  "roberta",
  "deepseek_v2",
  "deepseek_v3",
  "gpt_oss",
] as const;

interface Built {
  shape: TransformerShape;
  tensors: TensorList;
  warnings: string[];
}

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

function buildArchitecture(modelType: string, c: ConfigReader, where: string): Built {
  switch (modelType) {
    case "llama":
    case "mistral":
    case "mixtral":
    case "qwen2":
    case "qwen2_moe":
    case "qwen3":
    case "qwen3_moe":
    case "gemma":
    case "gemma2":
    case "gemma3_text":
    case "phi3":
    case "deepseek_v2":
    case "deepseek_v3":
      return buildDecoder(modelType, c);
    case "gemma3": {
      const text = c.obj("text_config");
      if (!text) throw new VramfitError("invalid_file", `${where}: gemma3 config without text_config`);
      const built = buildDecoder("gemma3_text", new ConfigReader(text, `${where} text_config`));
      const vision = c.obj("vision_config");
      if (vision) addSiglipTower(built.tensors, new ConfigReader(vision, `${where} vision_config`), built.shape.hidden);
      return built;
    }
    case "gpt_oss":
      return buildGptOss(c);
    case "gpt2":
    case "gpt_bigcode":
      return buildGpt2(c, modelType === "gpt_bigcode" && c.bool("multi_query", true));
    case "gpt_neox":
      return buildGptNeox(c);
    case "falcon":
      return buildFalcon(c);
    case "opt":
      return buildOpt(c);
    case "bert":
    case "roberta":
      return buildBert(modelType, c);
    default:
      return buildGeneric(modelType, c, where);
  }
}

/** Llama-style decoder: llama, mistral, qwen2/3 (+MoE), gemma 1/2/3, phi3, mixtral, deepseek v2/v3. */
function buildDecoder(mt: string, c: ConfigReader): Built {
  const h = c.int("hidden_size");
  const L = c.int("num_hidden_layers");
  const H = c.int("num_attention_heads");
  const kv = c.int("num_key_value_heads", H);
  const d = c.int("head_dim", Math.floor(h / H));
  const V = c.int("vocab_size");
  const I = c.int("intermediate_size", 4 * h);
  const gemma = mt.startsWith("gemma");
  const tie = c.bool("tie_word_embeddings", gemma || mt === "qwen3" ? true : false);
  const warnings: string[] = [];
  const t = new TensorList();
  const P = "model.layers.{L}";

  t.add("model.embed_tokens.weight", "embedding", [V, h]);

  // Attention.
  // DeepSeek-V2 configs with use_mla false (or no kv_lora_rank) use plain multi-head attention.
  const mla = mt.startsWith("deepseek") && c.has("kv_lora_rank") && c.bool("use_mla", true) ? readMla(c) : null;
  if (mla) {
    const qHead = mla.qkNopeHeadDim + mla.qkRopeHeadDim;
    if (mla.qLoraRank) {
      t.linear(`${P}.self_attn.q_a_proj`, mla.qLoraRank, h, L);
      t.norm(`${P}.self_attn.q_a_layernorm`, mla.qLoraRank, L);
      t.linear(`${P}.self_attn.q_b_proj`, H * qHead, mla.qLoraRank, L);
    } else {
      t.linear(`${P}.self_attn.q_proj`, H * qHead, h, L);
    }
    t.linear(`${P}.self_attn.kv_a_proj_with_mqa`, mla.kvLoraRank + mla.qkRopeHeadDim, h, L);
    t.norm(`${P}.self_attn.kv_a_layernorm`, mla.kvLoraRank, L);
    t.linear(`${P}.self_attn.kv_b_proj`, H * (mla.qkNopeHeadDim + mla.vHeadDim), mla.kvLoraRank, L);
    t.linear(`${P}.self_attn.o_proj`, h, H * mla.vHeadDim, L);
  } else if (mt === "phi3") {
    t.linear(`${P}.self_attn.qkv_proj`, (H + 2 * kv) * d, h, L);
    t.linear(`${P}.self_attn.o_proj`, h, H * d, L);
  } else {
    // qwen2 has q/k/v biases; llama/mistral/gemma use `attention_bias` for q, k, v and o.
    const attnBias = c.bool("attention_bias", false);
    const qkvBias = mt === "qwen2" || mt === "qwen2_moe" ? true : attnBias;
    t.linear(`${P}.self_attn.q_proj`, H * d, h, L, qkvBias);
    t.linear(`${P}.self_attn.k_proj`, kv * d, h, L, qkvBias);
    t.linear(`${P}.self_attn.v_proj`, kv * d, h, L, qkvBias);
    t.linear(`${P}.self_attn.o_proj`, h, H * d, L, attnBias && !mt.startsWith("qwen"));
    if (mt === "qwen3" || mt === "qwen3_moe" || mt === "gemma3_text") {
      t.norm(`${P}.self_attn.q_norm`, d, L);
      t.norm(`${P}.self_attn.k_norm`, d, L);
    }
  }

  // Norms around the blocks (Gemma 2/3 add a pre/post feed-forward pair).
  t.norm(`${P}.input_layernorm`, h, L);
  t.norm(`${P}.post_attention_layernorm`, h, L);
  if (mt === "gemma2" || mt === "gemma3_text") {
    t.norm(`${P}.pre_feedforward_layernorm`, h, L);
    t.norm(`${P}.post_feedforward_layernorm`, h, L);
  }

  // MLP: dense, MoE, or a mix by layer.
  const moe = readMoe(mt, c, L);
  const moeLayers = moe?.moeLayers ?? 0;
  const denseLayers = L - moeLayers;
  const mlpBias = c.bool("mlp_bias", false);
  if (mt === "phi3") {
    t.linear(`${P}.mlp.gate_up_proj`, 2 * I, h, denseLayers);
    t.linear(`${P}.mlp.down_proj`, h, I, denseLayers);
  } else {
    t.linear(`${P}.mlp.gate_proj`, I, h, denseLayers, mlpBias);
    t.linear(`${P}.mlp.up_proj`, I, h, denseLayers, mlpBias);
    t.linear(`${P}.mlp.down_proj`, h, I, denseLayers, mlpBias);
  }
  if (moe && moeLayers > 0) {
    const E = moe.experts;
    const Ie = moe.expertIntermediate;
    const n = moeLayers * E;
    const ex = { expert: true };
    if (mt === "mixtral") {
      t.linear(`${P}.block_sparse_moe.gate`, E, h, moeLayers, false, { kind: "router" });
      t.linear(`${P}.block_sparse_moe.experts.{E}.w1`, Ie, h, n, false, ex);
      t.linear(`${P}.block_sparse_moe.experts.{E}.w2`, h, Ie, n, false, ex);
      t.linear(`${P}.block_sparse_moe.experts.{E}.w3`, Ie, h, n, false, ex);
    } else {
      t.linear(`${P}.mlp.gate`, E, h, moeLayers, false, { kind: "router" });
      if (mt === "deepseek_v3" && c.str("topk_method", "noaux_tc") === "noaux_tc") {
        t.add(`${P}.mlp.gate.e_score_correction_bias`, "router", [E], moeLayers);
      }
      t.linear(`${P}.mlp.experts.{E}.gate_proj`, Ie, h, n, false, ex);
      t.linear(`${P}.mlp.experts.{E}.up_proj`, Ie, h, n, false, ex);
      t.linear(`${P}.mlp.experts.{E}.down_proj`, h, Ie, n, false, ex);
      if (mt === "qwen2_moe") {
        const Is = c.int("shared_expert_intermediate_size");
        t.linear(`${P}.mlp.shared_expert.gate_proj`, Is, h, moeLayers);
        t.linear(`${P}.mlp.shared_expert.up_proj`, Is, h, moeLayers);
        t.linear(`${P}.mlp.shared_expert.down_proj`, h, Is, moeLayers);
        t.linear(`${P}.mlp.shared_expert_gate`, 1, h, moeLayers, false, { kind: "router" });
      } else if (moe.sharedExperts > 0) {
        const Is = Ie * moe.sharedExperts;
        t.linear(`${P}.mlp.shared_experts.gate_proj`, Is, h, moeLayers);
        t.linear(`${P}.mlp.shared_experts.up_proj`, Is, h, moeLayers);
        t.linear(`${P}.mlp.shared_experts.down_proj`, h, Is, moeLayers);
      }
    }
  }

  t.norm("model.norm", h);
  if (!tie) t.add("lm_head.weight", "lm_head", [V, h], 1, { module: "lm_head" });

  if (mt === "deepseek_v3" && c.int("num_nextn_predict_layers", 0) > 0) {
    warnings.push(
      "DeepSeek-V3's multi-token-prediction layer ships in the checkpoint but transformers does not load it; it is not counted",
    );
  }

  const layerTypes = readLayerTypes(mt, c, L);
  const shape: TransformerShape = {
    layers: L,
    hidden: h,
    heads: H,
    kvHeads: mla ? 1 : kv,
    headDim: mla ? mla.kvLoraRank + mla.qkRopeHeadDim : d,
    vocab: V,
    intermediate: I,
    mlp: "gated",
    activation: c.str("hidden_act", c.str("hidden_activation", "silu")),
    norm: "rms",
    tiedEmbeddings: tie,
    maxPositions: c.int("max_position_embeddings", 4096),
    layerTypes,
    slidingWindow: layerTypes.includes("sliding") ? c.int("sliding_window", 4096) : null,
    moe,
    mla,
    encoderOnly: false,
    attentionDropout: c.num("attention_dropout", 0),
    hiddenDropout: 0,
  };
  return { shape, tensors: t, warnings };
}

function readMla(c: ConfigReader): MlaShape {
  return {
    kvLoraRank: c.int("kv_lora_rank"),
    qLoraRank: c.has("q_lora_rank") ? c.int("q_lora_rank") : null,
    qkRopeHeadDim: c.int("qk_rope_head_dim"),
    qkNopeHeadDim: c.int("qk_nope_head_dim"),
    vHeadDim: c.int("v_head_dim"),
  };
}

/** Which layers are MoE, per the modeling code of each family. */
function readMoe(mt: string, c: ConfigReader, L: number): MoeShape | null {
  if (mt === "mixtral") {
    return {
      experts: c.int("num_local_experts"),
      expertsPerToken: c.int("num_experts_per_tok", 2),
      sharedExperts: 0,
      expertIntermediate: c.int("intermediate_size"),
      moeLayers: L,
    };
  }
  if (mt === "qwen2_moe" || mt === "qwen3_moe") {
    const E = c.int("num_experts", 0);
    if (E === 0) return null;
    const step = Math.max(1, c.int("decoder_sparse_step", 1));
    const only = new Set((c.array("mlp_only_layers") ?? []).map(Number));
    let moeLayers = 0;
    for (let i = 0; i < L; i++) if (!only.has(i) && (i + 1) % step === 0) moeLayers++;
    return {
      experts: E,
      expertsPerToken: c.int("num_experts_per_tok", 2),
      sharedExperts: mt === "qwen2_moe" ? 1 : 0,
      expertIntermediate: c.int("moe_intermediate_size"),
      moeLayers,
    };
  }
  if (mt === "deepseek_v2" || mt === "deepseek_v3") {
    const E = c.int("n_routed_experts", 0);
    if (E === 0) return null;
    const first = c.int("first_k_dense_replace", 0);
    const freq = Math.max(1, c.int("moe_layer_freq", 1));
    let moeLayers = 0;
    for (let i = 0; i < L; i++) if (i >= first && i % freq === 0) moeLayers++;
    return {
      experts: E,
      expertsPerToken: c.int("num_experts_per_tok"),
      sharedExperts: c.int("n_shared_experts", 0),
      expertIntermediate: c.int("moe_intermediate_size"),
      moeLayers,
    };
  }
  return null;
}

/**
 * Sliding-window layers as transformers builds them: Gemma 2 alternates (even layers local), Gemma 3 has
 * five local layers per global one (`sliding_window_pattern`), or an explicit `layer_types` list.
 * Other families keep full caches in transformers (their `sliding_window` only masks attention).
 */
function readLayerTypes(mt: string, c: ConfigReader, L: number): ("full" | "sliding")[] {
  const explicit = c.array("layer_types");
  if (explicit && explicit.length === L) {
    return explicit.map((x) => (String(x).includes("sliding") ? "sliding" : "full"));
  }
  if (mt === "gemma2") return Array.from({ length: L }, (_, i) => (i % 2 === 0 ? "sliding" : "full"));
  if (mt === "gemma3_text") {
    const pattern = c.int("sliding_window_pattern", 6);
    return Array.from({ length: L }, (_, i) => ((i + 1) % pattern === 0 ? "full" : "sliding"));
  }
  return Array.from({ length: L }, () => "full" as const);
}

/**
 * gpt-oss (modeling_gpt_oss.py): attention with biases and a learned sink per head, alternating
 * sliding (128) / full layers, MoE whose experts are stored as fused 3-D tensors
 * (gate_up_proj [E, h, 2I] and down_proj [E, I, h], each with a bias), untied head.
 */
function buildGptOss(c: ConfigReader): Built {
  const built = buildDecoder("llama", new ConfigReader({ ...c.raw, num_local_experts: undefined, intermediate_size: 1, tie_word_embeddings: false, attention_bias: true }, "config.json"));
  const t = new TensorList();
  const h = c.int("hidden_size");
  const L = c.int("num_hidden_layers");
  const E = c.int("num_local_experts");
  const I = c.int("intermediate_size");
  const H = c.int("num_attention_heads");
  const P = "model.layers.{L}";
  // Keep the attention, norms and embeddings from the Llama-style builder; replace the MLP.
  for (const g of built.tensors.groups) if (!g.name.includes(".mlp.")) t.groups.push(g);
  t.add(`${P}.self_attn.sinks`, "other", [H], L);
  t.linear(`${P}.mlp.router`, E, h, L, true, { kind: "router" });
  t.add(`${P}.mlp.experts.gate_up_proj`, "linear", [E * 2 * I, h], L, { expert: true, module: "gate_up_proj" });
  t.add(`${P}.mlp.experts.gate_up_proj_bias`, "bias", [E, 2 * I], L, { expert: true, module: "gate_up_proj" });
  t.add(`${P}.mlp.experts.down_proj`, "linear", [E * h, I], L, { expert: true, module: "down_proj" });
  t.add(`${P}.mlp.experts.down_proj_bias`, "bias", [E, h], L, { expert: true, module: "down_proj" });
  const moe: MoeShape = { experts: E, expertsPerToken: c.int(["num_experts_per_tok", "experts_per_token"], 4), sharedExperts: 0, expertIntermediate: I, moeLayers: L };
  const layerTypes = readLayerTypes("gpt_oss", c, L);
  built.shape.moe = moe;
  built.shape.intermediate = I;
  built.shape.layerTypes = layerTypes;
  built.shape.slidingWindow = layerTypes.includes("sliding") ? c.int("sliding_window", 128) : null;
  return { shape: built.shape, tensors: t, warnings: built.warnings };
}

/** SigLIP vision tower + projector of Gemma 3 (modeling_siglip.py, modeling_gemma3.py). */
function addSiglipTower(t: TensorList, v: ConfigReader, textHidden: number) {
  const h = v.int("hidden_size", 1152);
  const I = v.int("intermediate_size", 4304);
  const L = v.int("num_hidden_layers", 27);
  const patch = v.int("patch_size", 14);
  const img = v.int("image_size", 896);
  const ch = v.int("num_channels", 3);
  const P = "vision_tower.vision_model.encoder.layers.{L}";
  t.add("vision_tower.vision_model.embeddings.patch_embedding.weight", "other", [h, ch, patch, patch]);
  t.add("vision_tower.vision_model.embeddings.patch_embedding.bias", "bias", [h]);
  t.add("vision_tower.vision_model.embeddings.position_embedding.weight", "embedding", [(img / patch) ** 2, h]);
  t.norm(`${P}.layer_norm1`, h, L, true);
  for (const p of ["q_proj", "k_proj", "v_proj", "out_proj"]) t.linear(`${P}.self_attn.${p}`, h, h, L, true, { module: `vision_${p}`, kind: "other" });
  t.norm(`${P}.layer_norm2`, h, L, true);
  t.linear(`${P}.mlp.fc1`, I, h, L, true, { module: "vision_fc1", kind: "other" });
  t.linear(`${P}.mlp.fc2`, h, I, L, true, { module: "vision_fc2", kind: "other" });
  t.norm("vision_tower.vision_model.post_layernorm", h, 1, true);
  t.add("multi_modal_projector.mm_input_projection_weight", "other", [h, textHidden]);
  t.norm("multi_modal_projector.mm_soft_emb_norm", h);
}

/**
 * GPT-2 (modeling_gpt2.py): Conv1D layers, learned positions, tied head. GPT-BigCode (StarCoder,
 * modeling_gpt_bigcode.py) is the same block with multi-query attention: c_attn projects to
 * hidden + 2·head_dim.
 */
function buildGpt2(c: ConfigReader, multiQuery = false): Built {
  const h = c.int(["n_embd", "hidden_size"]);
  const L = c.int(["n_layer", "num_hidden_layers"]);
  const H = c.int(["n_head", "num_attention_heads"]);
  const V = c.int("vocab_size");
  const P = c.int(["n_positions", "max_position_embeddings"], 1024);
  const I = c.int("n_inner", 4 * h) || 4 * h;
  const d = h / H;
  const kv = multiQuery ? 1 : H;
  const t = new TensorList();
  const B = "transformer.h.{L}";
  t.add("transformer.wte.weight", "embedding", [V, h]);
  t.add("transformer.wpe.weight", "embedding", [P, h]);
  t.norm(`${B}.ln_1`, h, L, true);
  t.linear(`${B}.attn.c_attn`, h + 2 * kv * d, h, L, true);
  t.linear(`${B}.attn.c_proj`, h, h, L, true);
  t.norm(`${B}.ln_2`, h, L, true);
  t.linear(`${B}.mlp.c_fc`, I, h, L, true);
  t.linear(`${B}.mlp.c_proj`, h, I, L, true, { module: "c_proj" });
  t.norm("transformer.ln_f", h, 1, true);
  return {
    shape: plainShape(c, { h, L, H, kv, d, V, I, tie: true, maxPos: P, act: c.str("activation_function", "gelu_new") }),
    tensors: t,
    warnings: [],
  };
}

/** GPT-NeoX / Pythia (modeling_gpt_neox.py): fused QKV with biases, untied head by default. */
function buildGptNeox(c: ConfigReader): Built {
  const h = c.int("hidden_size");
  const L = c.int("num_hidden_layers");
  const H = c.int("num_attention_heads");
  const V = c.int("vocab_size");
  const I = c.int("intermediate_size", 4 * h);
  const tie = c.bool("tie_word_embeddings", false);
  const bias = c.bool("attention_bias", true);
  const t = new TensorList();
  const B = "gpt_neox.layers.{L}";
  t.add("gpt_neox.embed_in.weight", "embedding", [V, h]);
  t.norm(`${B}.input_layernorm`, h, L, true);
  t.norm(`${B}.post_attention_layernorm`, h, L, true);
  t.linear(`${B}.attention.query_key_value`, 3 * h, h, L, bias);
  t.linear(`${B}.attention.dense`, h, h, L, bias);
  t.linear(`${B}.mlp.dense_h_to_4h`, I, h, L, true);
  t.linear(`${B}.mlp.dense_4h_to_h`, h, I, L, true);
  t.norm("gpt_neox.final_layer_norm", h, 1, true);
  if (!tie) t.add("embed_out.weight", "lm_head", [V, h], 1, { module: "embed_out" });
  return {
    shape: plainShape(c, { h, L, H, kv: H, d: h / H, V, I, tie, maxPos: c.int("max_position_embeddings", 2048), act: c.str("hidden_act", "gelu") }),
    tensors: t,
    warnings: [],
  };
}

/** Falcon (modeling_falcon.py): the new decoder architecture (40B/180B) and the 7B multi-query one. */
function buildFalcon(c: ConfigReader): Built {
  const h = c.int("hidden_size");
  const L = c.int(["num_hidden_layers", "n_layer"]);
  const H = c.int(["num_attention_heads", "n_head"]);
  const d = h / H;
  const V = c.int("vocab_size");
  const newArch = c.bool("new_decoder_architecture", false);
  const multiQuery = c.bool("multi_query", true);
  const kv = newArch ? c.int(["num_kv_heads", "n_head_kv"], H) : multiQuery ? 1 : H;
  const I = c.int("ffn_hidden_size", 4 * h);
  const bias = c.bool("bias", false);
  const tie = c.bool("tie_word_embeddings", true);
  const t = new TensorList();
  const B = "transformer.h.{L}";
  t.add("transformer.word_embeddings.weight", "embedding", [V, h]);
  if (newArch && c.int("num_ln_in_parallel_attn", 2) === 2) {
    t.norm(`${B}.ln_attn`, h, L, true);
    t.norm(`${B}.ln_mlp`, h, L, true);
  } else {
    t.norm(`${B}.input_layernorm`, h, L, true);
    if (!c.bool("parallel_attn", true)) t.norm(`${B}.post_attention_layernorm`, h, L, true);
  }
  t.linear(`${B}.self_attention.query_key_value`, (H + 2 * kv) * d, h, L, bias);
  t.linear(`${B}.self_attention.dense`, h, h, L, bias);
  t.linear(`${B}.mlp.dense_h_to_4h`, I, h, L, bias);
  t.linear(`${B}.mlp.dense_4h_to_h`, h, I, L, bias);
  t.norm("transformer.ln_f", h, 1, true);
  if (!tie) t.add("lm_head.weight", "lm_head", [V, h], 1, { module: "lm_head" });
  return {
    shape: plainShape(c, { h, L, H, kv, d, V, I, tie, maxPos: c.int("max_position_embeddings", 2048), act: "gelu" }),
    tensors: t,
    warnings: [],
  };
}

/** OPT (modeling_opt.py): learned positions with an offset of 2, optional projections, tied head. */
function buildOpt(c: ConfigReader): Built {
  const h = c.int("hidden_size");
  const L = c.int("num_hidden_layers");
  const H = c.int("num_attention_heads");
  const V = c.int("vocab_size");
  const I = c.int("ffn_dim", 4 * h);
  const wp = c.int("word_embed_proj_dim", h);
  const maxPos = c.int("max_position_embeddings", 2048);
  const bias = c.bool("enable_bias", true);
  const t = new TensorList();
  const B = "model.decoder.layers.{L}";
  t.add("model.decoder.embed_tokens.weight", "embedding", [V, wp]);
  t.add("model.decoder.embed_positions.weight", "embedding", [maxPos + 2, h]);
  if (wp !== h) {
    t.linear("model.decoder.project_out", wp, h, 1, false, { kind: "other" });
    t.linear("model.decoder.project_in", h, wp, 1, false, { kind: "other" });
  }
  for (const p of ["q_proj", "k_proj", "v_proj", "out_proj"]) t.linear(`${B}.self_attn.${p}`, h, h, L, bias);
  t.norm(`${B}.self_attn_layer_norm`, h, L, c.bool("layer_norm_elementwise_affine", true));
  t.linear(`${B}.fc1`, I, h, L, bias);
  t.linear(`${B}.fc2`, h, I, L, bias);
  t.norm(`${B}.final_layer_norm`, h, L, true);
  if (c.bool("do_layer_norm_before", true) && !c.bool("_remove_final_layer_norm", false)) {
    t.norm("model.decoder.final_layer_norm", h, 1, true);
  }
  return {
    shape: plainShape(c, { h, L, H, kv: H, d: h / H, V, I, tie: true, maxPos, act: c.str("activation_function", "relu") }),
    tensors: t,
    warnings: [],
  };
}

/** BERT / RoBERTa encoders (modeling_bert.py): a pooler for the base model, an MLM head otherwise. */
function buildBert(mt: string, c: ConfigReader): Built {
  const h = c.int("hidden_size");
  const L = c.int("num_hidden_layers");
  const H = c.int("num_attention_heads");
  const V = c.int("vocab_size");
  const I = c.int("intermediate_size", 4 * h);
  const maxPos = c.int("max_position_embeddings", 512);
  const types = c.int("type_vocab_size", mt === "roberta" ? 1 : 2);
  const arch = (c.array("architectures") ?? []).map(String).join(",");
  const prefix = mt === "roberta" ? "roberta" : "bert";
  const t = new TensorList();
  const B = `${prefix}.encoder.layer.{L}`;
  t.add(`${prefix}.embeddings.word_embeddings.weight`, "embedding", [V, h]);
  t.add(`${prefix}.embeddings.position_embeddings.weight`, "embedding", [maxPos, h]);
  t.add(`${prefix}.embeddings.token_type_embeddings.weight`, "embedding", [types, h]);
  t.norm(`${prefix}.embeddings.LayerNorm`, h, 1, true);
  t.linear(`${B}.attention.self.query`, h, h, L, true);
  t.linear(`${B}.attention.self.key`, h, h, L, true);
  t.linear(`${B}.attention.self.value`, h, h, L, true);
  t.linear(`${B}.attention.output.dense`, h, h, L, true, { module: "dense" });
  t.norm(`${B}.attention.output.LayerNorm`, h, L, true);
  t.linear(`${B}.intermediate.dense`, I, h, L, true, { module: "dense" });
  t.linear(`${B}.output.dense`, h, I, L, true, { module: "dense" });
  t.norm(`${B}.output.LayerNorm`, h, L, true);
  if (/MaskedLM|PreTraining/.test(arch)) {
    const head = mt === "roberta" ? "lm_head" : "cls.predictions.transform";
    t.linear(`${head}.dense`, h, h, 1, true, { kind: "other", module: "dense" });
    t.norm(`${head}.${mt === "roberta" ? "layer_norm" : "LayerNorm"}`, h, 1, true);
    t.add(`${mt === "roberta" ? "lm_head" : "cls.predictions"}.bias`, "bias", [V]);
  } else {
    t.linear(`${prefix}.pooler.dense`, h, h, 1, true, { kind: "other", module: "dense" });
  }
  const shape = plainShape(c, { h, L, H, kv: H, d: h / H, V, I, tie: true, maxPos, act: c.str("hidden_act", "gelu") });
  shape.encoderOnly = true;
  shape.hiddenDropout = c.num("hidden_dropout_prob", 0.1);
  shape.attentionDropout = c.num("attention_probs_dropout_prob", 0.1);
  return { shape, tensors: t, warnings: [] };
}

/** Unknown model_type: a labelled approximation from the common keys (a Llama-style block). */
function buildGeneric(mt: string, c: ConfigReader, where: string): Built {
  // Vision-language wrappers keep the language model's config under text_config or language_config.
  const text = c.obj("text_config") ?? c.obj("language_config");
  const r = text ? new ConfigReader(text, `${where} text_config`) : c;
  const inner = r.str("model_type", "");
  if (text && (SUPPORTED_ARCHITECTURES as readonly string[]).includes(inner) && inner !== mt) {
    const built = buildArchitecture(inner, r, `${where} (${inner} language model)`);
    built.warnings.push(`model_type "${mt}": the ${inner} language model is counted exactly; its vision tower and projector are not`);
    return built;
  }
  if (!r.has("hidden_size") && !r.has("n_embd") && !r.has("d_model")) {
    throw new VramfitError("unsupported", `${where}: unknown model_type "${mt || "(none)"}" and no hidden_size to estimate from`, { suggestion: `supported: ${SUPPORTED_ARCHITECTURES.join(", ")}` });
  }
  // Mixture-of-experts keys follow Mixtral's or Qwen-MoE's conventions in most new families.
  const g = wrapGeneric(r);
  const family = g.has("num_local_experts")
    ? "mixtral"
    : g.has("n_routed_experts")
      ? "deepseek_v2"
      : g.has("num_experts") && g.has("moe_intermediate_size")
        ? g.has("shared_expert_intermediate_size") ? "qwen2_moe" : "qwen3_moe"
        : "llama";
  const built = buildDecoder(family, g);
  built.warnings.push(
    `model_type "${mt || "(none)"}" is not modelled exactly: parameters and activations are a generic ${({ llama: "Llama", mixtral: "Mixtral", deepseek_v2: "DeepSeek-MoE" } as Record<string, string>)[family] ?? "Qwen-MoE"}-style estimate from hidden_size, layers, heads, experts and vocab`,
  );
  return built;
}

function wrapGeneric(r: ConfigReader): ConfigReader {
  const raw = { ...r.raw };
  raw.hidden_size ??= raw.n_embd ?? raw.d_model;
  raw.num_hidden_layers ??= raw.n_layer ?? raw.num_layers;
  raw.num_attention_heads ??= raw.n_head ?? raw.num_heads;
  return new ConfigReader(raw, "config.json");
}

function plainShape(
  c: ConfigReader,
  s: { h: number; L: number; H: number; kv: number; d: number; V: number; I: number; tie: boolean; maxPos: number; act: string },
): TransformerShape {
  return {
    layers: s.L,
    hidden: s.h,
    heads: s.H,
    kvHeads: s.kv,
    headDim: s.d,
    vocab: s.V,
    intermediate: s.I,
    mlp: "plain",
    activation: s.act,
    norm: "layer",
    tiedEmbeddings: s.tie,
    maxPositions: s.maxPos,
    layerTypes: Array.from({ length: s.L }, () => "full" as const),
    slidingWindow: null,
    moe: null,
    mla: null,
    encoderOnly: false,
    attentionDropout: c.num("attention_dropout", c.num("attn_pdrop", 0)),
    hiddenDropout: c.num("hidden_dropout", c.num("resid_pdrop", 0)),
  };
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
