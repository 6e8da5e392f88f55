/**
 * Multimodal wrappers: a config whose language model sits under `text_config` (or `language_config`,
 * `llm_config`). The language model is read through the table like any config (as a nested config, so
 * absent keys take its class defaults); the towers are added here when their layout is known.
 */
import { VramfitError } from "../../core/errors.js";
import { audioFromConfig, visionFromConfig } from "../../core/multimodal.js";
import { ConfigReader } from "../config-reader.js";
import type { TensorList } from "../tensor-list.js";
import type { Built } from "./engine.js";

export type BuildFn = (modelType: string, c: ConfigReader, where: string, nested?: boolean) => Built;

interface Wrapper {
  /** The language model's model_type when text_config does not name it. */
  text: string;
  /** Maps a text model_type the config names to the entry that reads it (qwen3_vl_text → qwen3). */
  textAlias?: Record<string, string>;
  /** Older configs keep the language model's keys at the top level (Qwen2-VL before transformers 4.5x). */
  inline?: boolean;
  /** The tower's and projector's tensors. */
  tower?: (t: TensorList, v: ConfigReader, c: ConfigReader, textHidden: number) => void;
  /** Absent vision_config means the config class's defaults (Llama 4), so the tower is laid out anyway. */
  towerByDefault?: boolean;
  /** The tower's sub-config (default vision_config; Qwen2-Audio: audio_config). */
  towerKey?: string;
  /**
   * transformers 5 ties the head by the wrapper config's tie_word_embeddings (modeling_utils.py
   * get_expanded_tied_weights_keys reads self.config); absent, the wrapper class's default: true for Gemma 3,
   * Mistral 3 and InternVL, false for the others.
   */
  tieDefault?: boolean;
  /** What is not modelled (said in a warning). */
  missing?: string;
}

const QWEN_VL_TEXT = { qwen2_vl_text: "qwen2", qwen2_5_vl_text: "qwen2", qwen3_vl_text: "qwen3", qwen3_vl_moe_text: "qwen3_moe", qwen3_5_text: "qwen3_5_text", qwen3_5_moe_text: "qwen3_5_moe_text" };

/** Wrapper model_type → its language model and tower (layouts: transformers v5.18.0 models/<type>/modeling_<type>.py). */
const WRAPPERS: Record<string, Wrapper> = {
  gemma3: { text: "gemma3_text", tieDefault: true, tower: (t, v, _c, h) => addSiglipTower(t, v, h) },
  llava: { text: "llama", tower: (t, v, c, h) => addClipTower(t, v, c, h, false) },
  vipllava: { text: "llama", tower: (t, v, c, h) => addClipTower(t, v, c, h, false) },
  llava_next: { text: "llama", tower: (t, v, c, h) => addClipTower(t, v, c, h, true) },
  qwen2_vl: { text: "qwen2", textAlias: QWEN_VL_TEXT, inline: true, tower: (t, v, _c, h) => addQwenVlTower(t, v, h, "qwen2_vl") },
  qwen2_5_vl: { text: "qwen2", textAlias: QWEN_VL_TEXT, inline: true, tower: (t, v, _c, h) => addQwenVlTower(t, v, h, "qwen2_5_vl") },
  qwen3_vl: { text: "qwen3", textAlias: QWEN_VL_TEXT, tower: (t, v, _c, h) => addQwenVlTower(t, v, h, "qwen3_vl") },
  qwen3_vl_moe: { text: "qwen3_moe", textAlias: QWEN_VL_TEXT, tower: (t, v, _c, h) => addQwenVlTower(t, v, h, "qwen3_vl") },
  qwen3_5: { text: "qwen3_5_text", textAlias: QWEN_VL_TEXT, tower: (t, v, _c, h) => addQwenVlTower(t, v, h, "qwen3_5") },
  qwen3_5_moe: { text: "qwen3_5_moe_text", textAlias: QWEN_VL_TEXT, tower: (t, v, _c, h) => addQwenVlTower(t, v, h, "qwen3_5") },
  mistral3: { text: "mistral", tieDefault: true, tower: (t, v, c, h) => addPixtralTower(t, v, c, h) },
  ministral3: { text: "ministral3", tieDefault: true, tower: (t, v, c, h) => addPixtralTower(t, v, c, h) },
  internvl: { text: "qwen2", tieDefault: true, tower: (t, v, c, h) => addInternVitTower(t, v, c, h) },
  idefics3: { text: "llama", tower: (t, v, c, h) => addIdefics3Tower(t, v, c, h) },
  qwen2_audio: { text: "qwen2", towerKey: "audio_config", towerByDefault: true, tower: (t, v, _c, h) => addWhisperAudioTower(t, v, h) },
  llama4: { text: "llama4_text", towerByDefault: true, tower: (t, v, _c, h) => addLlama4Tower(t, v, h), missing: "its vision tower's weights are counted, but image tokens and the tower's activations are not modelled" },
  kimi_k25: { text: "deepseek_v3", missing: "its MoonViT vision tower and projector are not counted" },
};

export function wrapperTypes(): string[] {
  return Object.keys(WRAPPERS);
}

const TEXT_KEYS = ["text_config", "language_config", "llm_config"];

export function buildWrapper(modelType: string, c: ConfigReader, where: string, build: BuildFn): Built | null {
  const w = WRAPPERS[modelType];
  if (!w) return null;
  const key = TEXT_KEYS.find((k) => c.obj(k));
  if (!key && !w.inline) throw new VramfitError("invalid_file", `${where}: ${modelType} config without text_config`);
  const text = key ? c.obj(key)! : c.raw;
  const named = typeof text.model_type === "string" && text !== c.raw ? text.model_type : w.text;
  const textType = w.textAlias?.[named] ?? named;
  const textWhere = key ? `${where} ${key}` : where;
  const top = c.raw.tie_word_embeddings;
  const tie = typeof top === "boolean" ? top : key ? (w.tieDefault ?? false) : undefined;
  const textRaw = tie === undefined ? text : { ...text, tie_word_embeddings: tie };
  const built = build(textType, new ConfigReader(textRaw, textWhere), textWhere, true);
  const towerKey = w.towerKey ?? "vision_config";
  const vision = c.obj(towerKey) ?? (w.towerByDefault ? {} : undefined);
  if (w.tower && vision) {
    const before = built.tensors.groups.length;
    w.tower(built.tensors, new ConfigReader(vision, `${where} ${towerKey}`), c, built.shape.hidden);
    const part = towerKey === "audio_config" ? "audio" : "vision";
    for (const g of built.tensors.groups.slice(before)) g.part ??= part;
    if (part === "audio") built.shape.audio = audioFromConfig(modelType, c.raw);
    else built.shape.vision = visionFromConfig(modelType, { ...c.raw, vision_config: scalarSizes(vision) });
  }
  if (w.missing) built.warnings.push(`model_type "${modelType}": the ${textType} language model is counted exactly; ${w.missing}`);
  return built;
}

const V = { kind: "other" as const, part: "vision" as const };
const PROJ = { kind: "other" as const, part: "projector" as const };

/** InternVL writes image_size and patch_size as [h, w] lists: the tower shape takes the first. */
function scalarSizes(v: Record<string, unknown>): Record<string, unknown> {
  const out = { ...v };
  for (const k of ["image_size", "patch_size"]) if (Array.isArray(out[k])) out[k] = (out[k] as unknown[])[0];
  return out;
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
  t.add("vision_tower.vision_model.embeddings.patch_embedding.weight", "other", [h, ch, patch, patch], 1, { part: "vision" });
  t.add("vision_tower.vision_model.embeddings.patch_embedding.bias", "bias", [h], 1, { part: "vision" });
  t.add("vision_tower.vision_model.embeddings.position_embedding.weight", "embedding", [(img / patch) ** 2, h], 1, { part: "vision" });
  t.norm(`${P}.layer_norm1`, h, L, true);
  for (const p of ["q_proj", "k_proj", "v_proj", "out_proj"]) t.linear(`${P}.self_attn.${p}`, h, h, L, true, { module: `vision_${p}`, ...V });
  t.norm(`${P}.layer_norm2`, h, L, true);
  t.linear(`${P}.mlp.fc1`, I, h, L, true, { module: "vision_fc1", ...V });
  t.linear(`${P}.mlp.fc2`, h, I, L, true, { module: "vision_fc2", ...V });
  t.norm("vision_tower.vision_model.post_layernorm", h, 1, true);
  if (v.bool("vision_use_head", true)) {
    // SiglipMultiheadAttentionPoolingHead (SiglipVisionConfig.vision_use_head defaults to true; Gemma 3's configs set false).
    const H = "vision_tower.vision_model.head";
    t.add(`${H}.probe`, "other", [1, 1, h], 1, V);
    t.add(`${H}.attention.in_proj_weight`, "other", [3 * h, h], 1, V);
    t.add(`${H}.attention.in_proj_bias`, "bias", [3 * h], 1, { part: "vision" });
    t.linear(`${H}.attention.out_proj`, h, h, 1, true, V);
    t.norm(`${H}.layernorm`, h, 1, true);
    t.linear(`${H}.mlp.fc1`, I, h, 1, true, V);
    t.linear(`${H}.mlp.fc2`, h, I, 1, true, V);
  }
  t.add("multi_modal_projector.mm_input_projection_weight", "other", [h, textHidden], 1, { part: "projector" });
  t.norm("multi_modal_projector.mm_soft_emb_norm", h);
}

/**
 * CLIP ViT-L/14 tower of LLaVA (modeling_clip.py): class embedding, patch conv without bias, positions for
 * (size/patch)² + 1 tokens, pre-LN, LayerNorm blocks with biased q/k/v/out and fc1/fc2, post-LN; the LLaVA
 * projector linear_1 [H, Hv] and linear_2 [H, H] (biases: multimodal_projector_bias); LLaVA-NeXT's image_newline [H].
 */
function addClipTower(t: TensorList, v: ConfigReader, c: ConfigReader, textHidden: number, next: boolean) {
  const h = v.int("hidden_size", 1024);
  const I = v.int("intermediate_size", 4096);
  const L = v.int("num_hidden_layers", 24);
  const patch = v.int("patch_size", 14);
  const img = v.int("image_size", 336);
  const ch = v.int("num_channels", 3);
  const T = "vision_tower.vision_model";
  const P = `${T}.encoder.layers.{L}`;
  t.add(`${T}.embeddings.class_embedding`, "other", [h], 1, V);
  t.add(`${T}.embeddings.patch_embedding.weight`, "other", [h, ch, patch, patch], 1, V);
  t.add(`${T}.embeddings.position_embedding.weight`, "embedding", [(img / patch) ** 2 + 1, h], 1, { part: "vision" });
  t.norm(`${T}.pre_layrnorm`, h, 1, true);
  for (const p of ["q_proj", "k_proj", "v_proj", "out_proj"]) t.linear(`${P}.self_attn.${p}`, h, h, L, true, { module: `vision_${p}`, ...V });
  t.norm(`${P}.layer_norm1`, h, L, true);
  t.linear(`${P}.mlp.fc1`, I, h, L, true, { module: "vision_fc1", ...V });
  t.linear(`${P}.mlp.fc2`, h, I, L, true, { module: "vision_fc2", ...V });
  t.norm(`${P}.layer_norm2`, h, L, true);
  t.norm(`${T}.post_layernorm`, h, 1, true);
  const bias = c.bool("multimodal_projector_bias", true);
  t.linear("multi_modal_projector.linear_1", textHidden, h, 1, bias, PROJ);
  t.linear("multi_modal_projector.linear_2", textHidden, textHidden, 1, bias, PROJ);
  if (next) t.add("image_newline", "other", [textHidden], 1, { part: "projector" });
}

/**
 * Qwen-VL towers (modeling_qwen2_vl.py, qwen2_5_vl, qwen3_vl, qwen3_5): a 3-D patch conv over temporal_patch_size
 * frames, blocks with fused qkv (bias) and proj, and a merger of spatial_merge_size² patches to the text width.
 * Qwen2-VL: LayerNorms, MLP fc1/fc2 of mlp_ratio × embed_dim; Qwen2.5-VL: RMSNorms, SwiGLU of intermediate_size;
 * Qwen3-VL / 3.5: a biased patch conv, learned positions (num_position_embeddings), LayerNorms, linear_fc1/fc2, and
 * (Qwen3-VL) one extra merger per deepstack_visual_indexes entry.
 */
function addQwenVlTower(t: TensorList, v: ConfigReader, textHidden: number, kind: "qwen2_vl" | "qwen2_5_vl" | "qwen3_vl" | "qwen3_5") {
  const q2 = kind === "qwen2_vl";
  const q3 = kind === "qwen3_vl" || kind === "qwen3_5";
  const e = q2 ? v.int("embed_dim", 1280) : v.int("hidden_size", q3 ? 1152 : 1280);
  const L = v.int("depth", q3 ? 27 : 32);
  const patch = v.int("patch_size", q3 ? 16 : 14);
  const tps = v.int("temporal_patch_size", 2);
  const ch = v.int("in_channels", 3);
  const m = v.int("spatial_merge_size", 2);
  const out = q2 ? v.int("hidden_size", textHidden) : v.int("out_hidden_size", textHidden);
  const B = "visual.blocks.{L}";
  const layerNorm = kind !== "qwen2_5_vl";
  t.add("visual.patch_embed.proj.weight", "other", [e, ch, tps, patch, patch], 1, V);
  if (q3) {
    t.add("visual.patch_embed.proj.bias", "bias", [e], 1, V);
    t.add("visual.pos_embed.weight", "embedding", [v.int("num_position_embeddings", 2304), e], 1, { part: "vision" });
  }
  t.norm(`${B}.norm1`, e, L, layerNorm);
  t.norm(`${B}.norm2`, e, L, layerNorm);
  t.linear(`${B}.attn.qkv`, 3 * e, e, L, true, { module: "vision_qkv", ...V });
  t.linear(`${B}.attn.proj`, e, e, L, true, { module: "vision_proj", ...V });
  if (kind === "qwen2_5_vl") {
    const I = v.int("intermediate_size", 3420);
    for (const p of ["gate_proj", "up_proj"]) t.linear(`${B}.mlp.${p}`, I, e, L, true, { module: `vision_${p}`, ...V });
    t.linear(`${B}.mlp.down_proj`, e, I, L, true, { module: "vision_down_proj", ...V });
  } else {
    const I = q2 ? e * v.num("mlp_ratio", 4) : v.int("intermediate_size", 4304);
    const [fc1, fc2] = q2 ? ["fc1", "fc2"] : ["linear_fc1", "linear_fc2"];
    t.linear(`${B}.mlp.${fc1}`, I, e, L, true, { module: `vision_${fc1}`, ...V });
    t.linear(`${B}.mlp.${fc2}`, e, I, L, true, { module: `vision_${fc2}`, ...V });
  }
  const merged = e * m * m;
  if (q3) {
    t.norm("visual.merger.norm", e, 1, true);
    t.linear("visual.merger.linear_fc1", merged, merged, 1, true, PROJ);
    t.linear("visual.merger.linear_fc2", out, merged, 1, true, PROJ);
    const deep = kind === "qwen3_vl" ? (v.array("deepstack_visual_indexes") ?? [8, 16, 24]).length : 0;
    if (deep > 0) {
      t.norm("visual.deepstack_merger_list.{D}.norm", merged, deep, true);
      t.linear("visual.deepstack_merger_list.{D}.linear_fc1", merged, merged, deep, true, PROJ);
      t.linear("visual.deepstack_merger_list.{D}.linear_fc2", out, merged, deep, true, PROJ);
    }
  } else {
    t.norm("visual.merger.ln_q", e, 1, layerNorm);
    t.linear("visual.merger.mlp.0", merged, merged, 1, true, PROJ);
    t.linear("visual.merger.mlp.2", out, merged, 1, true, PROJ);
  }
}

/**
 * Pixtral tower of Mistral 3 / Ministral 3 (modeling_pixtral.py, modeling_mistral3.py): patch conv without bias,
 * RMSNorms, q/k/v/o and a SwiGLU feed_forward without biases; projector: RMSNorm, patch merger
 * [Hv, Hv·merge²], linear_1 [H, Hv] and linear_2 [H, H] (biases: multimodal_projector_bias).
 */
function addPixtralTower(t: TensorList, v: ConfigReader, c: ConfigReader, textHidden: number) {
  const h = v.int("hidden_size", 1024);
  const I = v.int("intermediate_size", 4096);
  const L = v.int("num_hidden_layers", 24);
  const patch = v.int("patch_size", 16);
  const ch = v.int("num_channels", 3);
  const m = c.int("spatial_merge_size", 2);
  const P = "vision_tower.transformer.layers.{L}";
  t.add("vision_tower.patch_conv.weight", "other", [h, ch, patch, patch], 1, V);
  t.norm("vision_tower.ln_pre", h);
  t.norm(`${P}.attention_norm`, h, L);
  for (const p of ["q_proj", "k_proj", "v_proj", "o_proj"]) t.linear(`${P}.attention.${p}`, h, h, L, false, { module: `vision_${p}`, ...V });
  t.norm(`${P}.ffn_norm`, h, L);
  for (const p of ["gate_proj", "up_proj"]) t.linear(`${P}.feed_forward.${p}`, I, h, L, false, { module: `vision_${p}`, ...V });
  t.linear(`${P}.feed_forward.down_proj`, h, I, L, false, { module: "vision_down_proj", ...V });
  const bias = c.bool("multimodal_projector_bias", false);
  t.norm("multi_modal_projector.norm", h);
  t.linear("multi_modal_projector.patch_merger.merging_layer", h, h * m * m, 1, false, PROJ);
  t.linear("multi_modal_projector.linear_1", textHidden, h, 1, bias, PROJ);
  t.linear("multi_modal_projector.linear_2", textHidden, textHidden, 1, bias, PROJ);
}

/**
 * Llama 4 vision tower (modeling_llama4.py Llama4VisionModel, defaults of Llama4VisionConfig): a linear patch
 * embedding [h, 3·p²], class and positional embeddings, LayerNorm blocks with biased q/k/v/o and fc1/fc2, the
 * pixel-shuffle adapter (fc1 [projector_input_dim, intermediate], fc2) and the projector [text h, vision_output_dim].
 */
function addLlama4Tower(t: TensorList, v: ConfigReader, textHidden: number) {
  const h = v.int("hidden_size", 768);
  const I = v.int("intermediate_size", 5632);
  const L = v.int("num_hidden_layers", 34);
  const patch = v.int("patch_size", 14);
  const img = v.int("image_size", 448);
  const ch = v.int("num_channels", 3);
  const T = "vision_model";
  const P = `${T}.model.layers.{L}`;
  t.add(`${T}.class_embedding`, "other", [h], 1, V);
  t.add(`${T}.positional_embedding_vlm`, "embedding", [(img / patch) ** 2 + 1, h], 1, { part: "vision" });
  t.linear(`${T}.patch_embedding.linear`, h, ch * patch * patch, 1, false, V);
  t.norm(`${T}.layernorm_pre`, h, 1, true);
  t.norm(`${T}.layernorm_post`, h, 1, true);
  for (const p of ["q_proj", "k_proj", "v_proj", "o_proj"]) t.linear(`${P}.self_attn.${p}`, h, h, L, true, { module: `vision_${p}`, ...V });
  t.linear(`${P}.mlp.fc1`, I, h, L, true, { module: "vision_fc1", ...V });
  t.linear(`${P}.mlp.fc2`, h, I, L, true, { module: "vision_fc2", ...V });
  t.norm(`${P}.input_layernorm`, h, L, true);
  t.norm(`${P}.post_attention_layernorm`, h, L, true);
  t.linear(`${T}.vision_adapter.mlp.fc1`, v.int("projector_input_dim", 4096), I, 1, false, PROJ);
  t.linear(`${T}.vision_adapter.mlp.fc2`, v.int("projector_output_dim", 4096), v.int("projector_output_dim", 4096), 1, false, PROJ);
  t.linear("multi_modal_projector.linear_1", textHidden, v.int("vision_output_dim", 7680), 1, false, PROJ);
}

/**
 * InternViT of InternVL (transformers format, modeling_internvl.py): cls token, positions for (size/patch)² + 1,
 * a biased patch conv, layers with layer-scale vectors lambda_1/lambda_2, q/k/v (bias: qkv_bias), a biased output
 * projection, fc1/fc2 and two LayerNorms; the projector LayerNorm and linear_1 over the pixel-shuffled width
 * (hidden / downsample_ratio²), then linear_2.
 */
function addInternVitTower(t: TensorList, v: ConfigReader, c: ConfigReader, textHidden: number) {
  const h = v.int("hidden_size", 1024);
  const I = v.int("intermediate_size", 4096);
  const L = v.int("num_hidden_layers", 24);
  const patch = (v.array("patch_size")?.[0] as number | undefined) ?? v.int("patch_size", 14);
  const img = (v.array("image_size")?.[0] as number | undefined) ?? v.int("image_size", 448);
  const ch = v.int("num_channels", 3);
  const T = "vision_tower";
  const P = `${T}.encoder.layer.{L}`;
  const qkvBias = v.bool("attention_bias", false);
  t.add(`${T}.embeddings.cls_token`, "other", [1, 1, h], 1, V);
  t.add(`${T}.embeddings.position_embeddings`, "embedding", [1, (img / patch) ** 2 + 1, h], 1, { part: "vision" });
  t.add(`${T}.embeddings.patch_embeddings.projection.weight`, "other", [h, ch, patch, patch], 1, V);
  t.add(`${T}.embeddings.patch_embeddings.projection.bias`, "bias", [h], 1, { part: "vision" });
  t.add(`${P}.lambda_1`, "other", [h], L, V);
  t.add(`${P}.lambda_2`, "other", [h], L, V);
  for (const p of ["q_proj", "k_proj", "v_proj"]) t.linear(`${P}.attention.${p}`, h, h, L, qkvBias, { module: `vision_${p}`, ...V });
  if (v.bool("use_qk_norm", false)) {
    t.norm(`${P}.attention.q_norm`, h, L);
    t.norm(`${P}.attention.k_norm`, h, L);
  }
  t.linear(`${P}.attention.projection_layer`, h, h, L, true, { module: "vision_projection_layer", ...V });
  t.linear(`${P}.mlp.fc1`, I, h, L, true, { module: "vision_fc1", ...V });
  t.linear(`${P}.mlp.fc2`, h, I, L, true, { module: "vision_fc2", ...V });
  t.norm(`${P}.layernorm_before`, h, L, true);
  t.norm(`${P}.layernorm_after`, h, L, true);
  const shuffled = Math.round(h / c.num("downsample_ratio", 0.5) ** 2);
  t.norm("multi_modal_projector.layer_norm", shuffled, 1, true);
  t.linear("multi_modal_projector.linear_1", textHidden, shuffled, 1, true, PROJ);
  t.linear("multi_modal_projector.linear_2", textHidden, textHidden, 1, true, PROJ);
}

/** Idefics3's SigLIP tower (modeling_idefics3.py) and its pixel-shuffle connector [H, h·scale_factor²] without bias. */
function addIdefics3Tower(t: TensorList, v: ConfigReader, c: ConfigReader, textHidden: number) {
  const h = v.int("hidden_size", 1152);
  const I = v.int("intermediate_size", 3072);
  const L = v.int("num_hidden_layers", 12);
  const patch = v.int("patch_size", 32);
  const img = v.int("image_size", 224);
  const ch = v.int("num_channels", 3);
  const T = "model.vision_model";
  const P = `${T}.encoder.layers.{L}`;
  t.add(`${T}.embeddings.patch_embedding.weight`, "other", [h, ch, patch, patch], 1, V);
  t.add(`${T}.embeddings.patch_embedding.bias`, "bias", [h], 1, { part: "vision" });
  t.add(`${T}.embeddings.position_embedding.weight`, "embedding", [(img / patch) ** 2, h], 1, { part: "vision" });
  for (const p of ["q_proj", "k_proj", "v_proj", "out_proj"]) t.linear(`${P}.self_attn.${p}`, h, h, L, true, { module: `vision_${p}`, ...V });
  t.norm(`${P}.layer_norm1`, h, L, true);
  t.linear(`${P}.mlp.fc1`, I, h, L, true, { module: "vision_fc1", ...V });
  t.linear(`${P}.mlp.fc2`, h, I, L, true, { module: "vision_fc2", ...V });
  t.norm(`${P}.layer_norm2`, h, L, true);
  t.norm(`${T}.post_layernorm`, h, 1, true);
  const scale = c.int("scale_factor", 2);
  t.linear("model.connector.modality_projection.proj", textHidden, h * scale * scale, 1, false, PROJ);
}

/** Qwen2-Audio's Whisper-style audio encoder (modeling_qwen2_audio.py) and its projector linear [H, d_model] with bias. */
function addWhisperAudioTower(t: TensorList, a: ConfigReader, textHidden: number) {
  const d = a.int("d_model", 1280);
  const L = a.int("encoder_layers", 32);
  const I = a.int("encoder_ffn_dim", 5120);
  const mels = a.int("num_mel_bins", 128);
  const T = "audio_tower";
  const P = `${T}.layers.{L}`;
  const A = { kind: "other" as const, part: "audio" as const };
  t.add(`${T}.conv1.weight`, "other", [d, mels, 3], 1, A);
  t.add(`${T}.conv1.bias`, "bias", [d], 1, { part: "audio" });
  t.add(`${T}.conv2.weight`, "other", [d, d, 3], 1, A);
  t.add(`${T}.conv2.bias`, "bias", [d], 1, { part: "audio" });
  t.add(`${T}.embed_positions.weight`, "embedding", [a.int("max_source_positions", 1500), d], 1, { part: "audio" });
  t.linear(`${P}.self_attn.q_proj`, d, d, L, true, { module: "audio_q_proj", ...A });
  t.linear(`${P}.self_attn.k_proj`, d, d, L, false, { module: "audio_k_proj", ...A });
  t.linear(`${P}.self_attn.v_proj`, d, d, L, true, { module: "audio_v_proj", ...A });
  t.linear(`${P}.self_attn.out_proj`, d, d, L, true, { module: "audio_out_proj", ...A });
  t.norm(`${P}.self_attn_layer_norm`, d, L, true);
  t.linear(`${P}.fc1`, I, d, L, true, { module: "audio_fc1", ...A });
  t.linear(`${P}.fc2`, d, I, L, true, { module: "audio_fc2", ...A });
  t.norm(`${P}.final_layer_norm`, d, L, true);
  t.norm(`${T}.layer_norm`, d, 1, true);
  t.linear("multi_modal_projector.linear", textHidden, d, 1, true, { kind: "other", part: "projector" });
}
