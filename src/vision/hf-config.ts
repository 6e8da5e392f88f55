/**
 * A Hugging Face vision `config.json` → a vision model description, for the model types whose graphs vramfit
 * builds: vit / deit (ViTForImageClassification, ViTModel), dinov2 (Dinov2Model), convnext, convnextv2, swin
 * (…ForImageClassification) and segformer (SegformerForSemanticSegmentation). The fields read are the
 * transformers configuration attributes of the same name (hidden_size, num_hidden_layers, num_attention_heads,
 * intermediate_size, patch_size, image_size, hidden_sizes, depths, embed_dim, window_size, decoder_hidden_size,
 * num_labels from id2label). Anything else returns undefined (the caller keeps its own reading). Parameter counts
 * equal transformers' for the default configurations (checked in hf-config.spec.ts against counts taken with
 * transformers 5.18).
 */
import { VramfitError } from "../core/errors.js";
import type { ModelSource, VisionModelDescription } from "../core/model.js";
import { visionDescription } from "./family.js";
import { timmVit } from "./models/classifiers.js";
import { convnext } from "./models/convnext.js";
import { detr } from "./models/detr.js";
import { beit } from "./models/beit.js";
import { mask2former } from "./models/mask2former.js";
import { rtdetr } from "./models/rtdetr.js";
import { segmenter } from "./models/mmseg.js";
import { swin } from "./models/swin.js";
import type { BuildFn } from "./models/types.js";
import type { VisionModel } from "./registry.js";

export const HF_VISION_TYPES = ["vit", "deit", "dinov2", "convnext", "convnextv2", "swin", "segformer", "detr", "rt_detr", "beit", "mask2former"] as const;

function int(c: Record<string, unknown>, k: string, def: number, max = 1 << 20): number {
  const v = c[k] ?? def;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 1 || v > max) throw new VramfitError("invalid_file", `config.json: ${k} must be a whole number from 1 to ${max}, got ${JSON.stringify(v)}`);
  return v;
}
function ints(c: Record<string, unknown>, k: string, def: number[], len?: number): number[] {
  const v = c[k] ?? def;
  if (!Array.isArray(v) || v.length === 0 || v.length > 8 || (len && v.length !== len) || !v.every((x) => Number.isSafeInteger(x) && x >= 1 && x <= 1 << 16)) throw new VramfitError("invalid_file", `config.json: ${k} must be a list of whole numbers${len ? ` of length ${len}` : ""}`);
  return v as number[];
}
function labels(c: Record<string, unknown>, def: number): number {
  const id2 = c.id2label;
  if (id2 && typeof id2 === "object") return Math.max(1, Math.min(1_000_000, Object.keys(id2).length));
  return typeof c.num_labels === "number" && Number.isSafeInteger(c.num_labels) && c.num_labels > 0 ? c.num_labels : def;
}

/** The VisionModel a config describes, or undefined for model types outside HF_VISION_TYPES. */
export function visionModelFromHfConfig(raw: unknown, id = "config.json"): VisionModel | undefined {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) return undefined;
  const c = raw as Record<string, unknown>;
  const type = String(c.model_type ?? "");
  const archs = Array.isArray(c.architectures) ? c.architectures.map(String) : [];
  const classify = archs.some((a) => /ForImageClassification/.test(a));
  let build: BuildFn;
  let image: number;
  let classes = labels(c, 1000);
  let family: VisionModel["family"] = "vit";
  let attention: "sdpa" | "eager" = "sdpa";
  switch (type) {
    case "vit":
    case "deit":
    case "dinov2": {
      const dim = int(c, "hidden_size", 768, 16384);
      const heads = int(c, "num_attention_heads", 12, 1024);
      if (dim % heads) throw new VramfitError("invalid_file", `config.json: hidden_size ${dim} is not a multiple of num_attention_heads ${heads}`);
      const patch = int(c, "patch_size", type === "dinov2" ? 14 : 16, 1024);
      image = int(c, "image_size", 224, 16384);
      const mlp = type === "dinov2" ? Math.round(dim * Number(c.mlp_ratio ?? 4)) : int(c, "intermediate_size", 3072, 1 << 20);
      if (image % patch) throw new VramfitError("invalid_file", `config.json: image_size ${image} is not a multiple of patch_size ${patch}`);
      const inner = timmVit({ patch, dim, depth: int(c, "num_hidden_layers", 12, 1024), heads, mlpRatio: mlp / dim, img: image, layerScale: type === "dinov2", head: classify });
      // Dinov2Model keeps a mask token (hidden_size); ViTModel adds a pooler (Linear + tanh) unless classifying.
      build = (b, x, ctx) => {
        const out = inner(b, x, ctx);
        if (type === "dinov2") b.extraParams("mask_token", [[1, dim]]);
        if (!classify && type !== "dinov2") return [b.act(b.scope("pooler", () => b.linear(out[0], dim)), "tanh")];
        return out;
      };
      break;
    }
    case "convnext":
    case "convnextv2": {
      const dims = ints(c, "hidden_sizes", [96, 192, 384, 768], 4) as [number, number, number, number];
      const depths = ints(c, "depths", [3, 3, 9, 3], 4) as [number, number, number, number];
      image = int(c, "image_size", 224, 16384);
      build = convnext({ dims, depths, sd: Number(c.drop_path_rate ?? 0) || 0, v2: type === "convnextv2" });
      family = "cnn";
      break;
    }
    case "swin": {
      const depths = ints(c, "depths", [2, 2, 6, 2], 4);
      const heads = ints(c, "num_heads", [3, 6, 12, 24], 4);
      image = int(c, "image_size", 224, 16384);
      build = swin({ embed: int(c, "embed_dim", 96, 4096), depths, heads, window: int(c, "window_size", 7, 256), sd: Number(c.drop_path_rate ?? 0.1) || 0 });
      attention = "eager";
      break;
    }
    case "segformer": {
      const hs = ints(c, "hidden_sizes", [32, 64, 160, 256], 4);
      const depths = ints(c, "depths", [2, 2, 2, 2], 4) as [number, number, number, number];
      if (hs.some((h, i) => h !== hs[0] * [1, 2, 5, 8][i])) throw new VramfitError("unsupported", `config.json: SegFormer hidden_sizes ${JSON.stringify(hs)} are not MiT's (C, 2C, 5C, 8C)`);
      image = 512;
      classes = labels(c, 150);
      build = segmenter({ backbone: { kind: "mit", embed: hs[0], depths }, head: "segformer", channels: int(c, "decoder_hidden_size", 256, 65536), hfHead: true });
      family = "segmentation";
      attention = "eager";
      break;
    }
    case "detr": {
      // DetrConfig: a timm backbone by name (use_timm_backbone, backbone "resnet50") or a ResNetConfig (depths).
      const bc = (c.backbone_config ?? {}) as Record<string, unknown>;
      const depths = Array.isArray(bc.depths) ? bc.depths.join(",") : undefined;
      const name = String(c.backbone ?? (depths === "3,4,23,3" ? "resnet101" : depths === undefined || depths === "3,4,6,3" ? "resnet50" : ""));
      const depth = /^(?:timm\/)?resnet(50|101)(?:\.|$)/.exec(name)?.[1];
      if (!depth) throw new VramfitError("unsupported", `config.json: DETR backbone ${JSON.stringify(c.backbone ?? bc.depths)} is not ResNet-50/101`);
      const d = int(c, "d_model", 256, 16384);
      const heads = int(c, "encoder_attention_heads", 8, 1024);
      if (d % heads || int(c, "decoder_attention_heads", 8, 1024) !== heads || int(c, "decoder_ffn_dim", 2048) !== int(c, "encoder_ffn_dim", 2048)) throw new VramfitError("unsupported", "config.json: DETR with different encoder and decoder attention/FFN sizes");
      image = 800;
      classes = labels(c, 91);
      build = detr({ depth: Number(depth) as 50 | 101, dc5: c.dilation === true, dModel: d, heads, ffn: int(c, "encoder_ffn_dim", 2048), encLayers: int(c, "encoder_layers", 6, 1024), decLayers: int(c, "decoder_layers", 6, 1024), queries: int(c, "num_queries", 100, 100_000), auxLoss: c.auxiliary_loss === true, hf: true });
      family = "detector";
      break;
    }
    case "beit": {
      const dim = int(c, "hidden_size", 768, 16384);
      const heads = int(c, "num_attention_heads", 12, 1024);
      if (dim % heads) throw new VramfitError("invalid_file", `config.json: hidden_size ${dim} is not a multiple of num_attention_heads ${heads}`);
      const patch = int(c, "patch_size", 16, 1024);
      image = int(c, "image_size", 224, 16384);
      if (image % patch) throw new VramfitError("invalid_file", `config.json: image_size ${image} is not a multiple of patch_size ${patch}`);
      build = beit({ dim, heads, depth: int(c, "num_hidden_layers", 12, 1024), mlp: int(c, "intermediate_size", 3072, 1 << 20), patch, img: image, relPos: c.use_shared_relative_position_bias === true ? "shared" : c.use_relative_position_bias === true ? "layer" : "none", absPos: c.use_absolute_position_embeddings === true, maskToken: c.use_mask_token === true, layerScale: Number(c.layer_scale_init_value ?? 0.1) > 0, meanPool: c.use_mean_pooling !== false, head: classify, dropPath: Number(c.drop_path_rate ?? 0.1) || 0 });
      break;
    }
    case "rt_detr": {
      // RTDetrConfig with an RTDetrResNetConfig backbone (the PekingU/rtdetr_r*vd checkpoints).
      const bc = (c.backbone_config ?? {}) as Record<string, unknown>;
      if (bc.model_type !== undefined && bc.model_type !== "rt_detr_resnet") throw new VramfitError("unsupported", `config.json: RT-DETR backbone ${JSON.stringify(bc.model_type)} is not RTDetrResNet`);
      const depths = ints(bc, "depths", [3, 4, 6, 3], 4).join(",");
      const basic = bc.layer_type === "basic";
      const depth = ({ "2,2,2,2": 18, "3,4,6,3": basic ? 34 : 50, "3,4,23,3": 101 } as Record<string, 18 | 34 | 50 | 101>)[depths];
      if (!depth || (depth < 50) !== basic) throw new VramfitError("unsupported", `config.json: RT-DETR backbone depths ${depths} (${String(bc.layer_type ?? "bottleneck")}) are not ResNet-18/34/50/101`);
      if (int(c, "num_feature_levels", 3, 16) !== 3 || int(c, "encoder_layers", 1, 16) !== 1) throw new VramfitError("unsupported", "config.json: RT-DETR with other than 3 feature levels and one AIFI layer");
      image = 640;
      classes = labels(c, 80);
      build = rtdetr({ depth, encHidden: int(c, "encoder_hidden_dim", 256, 16384), encFfn: int(c, "encoder_ffn_dim", 1024), expansion: Number(c.hidden_expansion ?? 1) > 0 && Number(c.hidden_expansion ?? 1) <= 8 ? Number(c.hidden_expansion ?? 1) : 1, decLayers: int(c, "decoder_layers", 6, 1024), dModel: int(c, "d_model", 256, 16384), heads: int(c, "decoder_attention_heads", 8, 1024), decFfn: int(c, "decoder_ffn_dim", 1024), points: int(c, "decoder_n_points", 4, 64), queries: int(c, "num_queries", 300, 100_000), numDenoising: typeof c.num_denoising === "number" && c.num_denoising >= 0 && c.num_denoising <= 100_000 ? Math.floor(c.num_denoising) : 100 });
      family = "detector";
      break;
    }
    case "mask2former": {
      // Mask2FormerConfig with a SwinConfig backbone (the facebook/mask2former-swin-* checkpoints).
      const bc = (c.backbone_config ?? {}) as Record<string, unknown>;
      if (bc.model_type !== undefined && bc.model_type !== "swin") throw new VramfitError("unsupported", `config.json: Mask2Former backbone ${JSON.stringify(bc.model_type)} is not Swin`);
      const d = int(c, "hidden_dim", 256, 16384);
      const heads = int(c, "num_attention_heads", 8, 1024);
      if (d % heads || int(c, "feature_size", 256, 16384) !== d || int(c, "mask_feature_size", 256, 16384) !== d || c.pre_norm === true || c.enforce_input_projection === true) throw new VramfitError("unsupported", "config.json: Mask2Former with feature_size/mask_feature_size other than hidden_dim, pre_norm or enforce_input_projection");
      if (d % 32) throw new VramfitError("unsupported", `config.json: Mask2Former hidden_dim ${d} is not a multiple of GroupNorm's 32 groups`);
      const spec = { embed: int(bc, "embed_dim", 96, 4096), depths: ints(bc, "depths", [2, 2, 18, 2], 4), heads: ints(bc, "num_heads", [3, 6, 12, 24], 4), window: int(bc, "window_size", 7, 256), sd: Number(bc.drop_path_rate ?? 0.3) || 0 };
      classes = labels(c, 150);
      // LSJ 1024 for the COCO label sets (80 instance, 133 panoptic), 512 otherwise (ADE20K, Cityscapes crops).
      image = classes === 80 || classes === 133 ? 1024 : 512;
      build = mask2former({ backbone: { kind: "swin", spec }, queries: int(c, "num_queries", 100, 100_000), hidden: d, heads, encLayers: int(c, "encoder_layers", 6, 1024), encFfn: int(c, "encoder_feedforward_dim", 1024), decLayers: int(c, "decoder_layers", 10, 1024) - 1, decFfn: int(c, "dim_feedforward", 2048), points: int(c, "train_num_points", 12544, 1 << 24) });
      family = "segmentation";
      attention = "eager";
      break;
    }
    default:
      return undefined;
  }
  return {
    id,
    aliases: [],
    family,
    architecture: `transformers ${archs[0] ?? type} (config.json)`,
    build,
    default_image: type === "detr" ? [800, 1333] : [image, image],
    classes,
    published_params: null,
    params_source: "built from config.json",
    source_kind: "config",
    attention,
  };
}

/** The description for the estimator (what resolveModel should return for a vision config.json). */
export function visionFromHfConfig(raw: unknown, id = "config.json"): VisionModelDescription | undefined {
  const m = visionModelFromHfConfig(raw, id);
  return m ? visionDescription(m, { source: { kind: "config", ref: id } }) : undefined;
}

/**
 * The readers' `configToModel` hook (resolveModel, `vramfit estimate <folder|config.json|org/name>`): a vision
 * config.json becomes the vision description, keeping where it was read from; other model types go on to the
 * transformer reader.
 */
export function visionConfigToModel(config: unknown, source: ModelSource, id: string): VisionModelDescription | undefined {
  const m = visionModelFromHfConfig(config, id);
  return m ? visionDescription(m, { source, ...(source.kind === "hub" ? { hfId: id } : {}) }) : undefined;
}
