/**
 * Multimodal wrappers: a config whose language model sits under `text_config` (or `language_config`,
 * `llm_config`). The language model is read through the table like any config (as a nested config, so
 * absent keys take its class defaults); the towers are added here when their layout is known.
 */
import { VramfitError } from "../../core/errors.js";
import { ConfigReader } from "../config-reader.js";
import type { TensorList } from "../tensor-list.js";
import type { Built } from "./engine.js";

export type BuildFn = (modelType: string, c: ConfigReader, where: string, nested?: boolean) => Built;

interface Wrapper {
  /** The language model's model_type when text_config does not name it. */
  text: string;
  tower?: (t: TensorList, c: ConfigReader, textHidden: number) => void;
}

const WRAPPERS: Record<string, Wrapper> = {
  // transformers v5.18.0 models/gemma3/modeling_gemma3.py: SigLIP tower + projector.
  gemma3: { text: "gemma3_text", tower: (t, c, h) => addSiglipTower(t, new ConfigReader(c.obj("vision_config") ?? {}, "vision_config"), h) },
};

export function wrapperTypes(): string[] {
  return Object.keys(WRAPPERS);
}

const TEXT_KEYS = ["text_config", "language_config", "llm_config"];

export function buildWrapper(modelType: string, c: ConfigReader, where: string, build: BuildFn): Built | null {
  const w = WRAPPERS[modelType];
  const key = TEXT_KEYS.find((k) => c.obj(k));
  if (w) {
    if (!key) throw new VramfitError("invalid_file", `${where}: ${modelType} config without text_config`);
    const text = c.obj(key)!;
    const built = build(String(text.model_type ?? w.text), new ConfigReader(text, `${where} ${key}`), `${where} ${key}`, true);
    if (w.tower && c.obj("vision_config")) w.tower(built.tensors, c, built.shape.hidden);
    return built;
  }
  return null;
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
