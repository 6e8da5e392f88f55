/**
 * Hugging Face vision config.json → vramfit's graph. Expected parameter counts were taken with transformers 5.18.0
 * (torch 2.13 CPU): `sum(p.numel() for p in <Class>(<Config>(**fields)).parameters())` for the fields below.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isVramfitError } from "../core/errors.js";
import { estimate } from "../index.js";
import { visionFromHfConfig } from "./hf-config.js";

const cases: Array<[string, Record<string, unknown>, number]> = [
  ["ViTForImageClassification defaults", { model_type: "vit", architectures: ["ViTForImageClassification"], num_labels: 1000 }, 86_567_656],
  ["ViTModel (pooler)", { model_type: "vit", architectures: ["ViTModel"] }, 86_389_248],
  ["ViT-L/16 classifier", { model_type: "vit", architectures: ["ViTForImageClassification"], hidden_size: 1024, num_hidden_layers: 24, num_attention_heads: 16, intermediate_size: 4096, num_labels: 1000 }, 304_326_632],
  ["Dinov2Model defaults", { model_type: "dinov2", architectures: ["Dinov2Model"] }, 85_725_696],
  ["Dinov2Model small 518", { model_type: "dinov2", architectures: ["Dinov2Model"], hidden_size: 384, num_attention_heads: 6, image_size: 518 }, 22_056_576],
  ["ConvNextForImageClassification defaults", { model_type: "convnext", architectures: ["ConvNextForImageClassification"], num_labels: 1000 }, 28_589_128],
  ["ConvNeXt-B", { model_type: "convnext", architectures: ["ConvNextForImageClassification"], hidden_sizes: [128, 256, 512, 1024], depths: [3, 3, 27, 3], num_labels: 1000 }, 88_591_464],
  ["ConvNextV2ForImageClassification defaults", { model_type: "convnextv2", architectures: ["ConvNextV2ForImageClassification"], num_labels: 1000 }, 28_635_496],
  ["SwinForImageClassification defaults", { model_type: "swin", architectures: ["SwinForImageClassification"], num_labels: 1000 }, 28_288_354],
  ["SegformerForSemanticSegmentation b0", { model_type: "segformer", architectures: ["SegformerForSemanticSegmentation"], num_labels: 150 }, 3_752_694],
  // DetrForObjectDetection(DetrConfig(use_timm_backbone=False, backbone_config=ResNetConfig(depths=…, layer_type="bottleneck",
  // hidden_sizes=[256, 512, 1024, 2048], out_features=["stage4"]), num_labels=91)): FrozenBatchNorm holds buffers only.
  ["DetrForObjectDetection R50 (facebook/detr-resnet-50 fields)", { model_type: "detr", architectures: ["DetrForObjectDetection"], use_timm_backbone: true, backbone: "resnet50", num_labels: 91 }, 41_524_768],
  ["DetrForObjectDetection R101 (ResNetConfig backbone)", { model_type: "detr", architectures: ["DetrForObjectDetection"], use_timm_backbone: false, backbone_config: { model_type: "resnet", depths: [3, 4, 23, 3] }, num_labels: 91 }, 60_464_672],
  // RTDetrForObjectDetection(RTDetrConfig(backbone_config=RTDetrResNetConfig(out_features=["stage2","stage3","stage4"], …), num_labels=80)).
  ["RTDetrForObjectDetection R18vd", { model_type: "rt_detr", architectures: ["RTDetrForObjectDetection"], backbone_config: { model_type: "rt_detr_resnet", layer_type: "basic", depths: [2, 2, 2, 2], hidden_sizes: [64, 128, 256, 512] }, encoder_in_channels: [128, 256, 512], hidden_expansion: 0.5, decoder_layers: 3, num_labels: 80 }, 20_174_608],
  ["RTDetrForObjectDetection R101vd", { model_type: "rt_detr", architectures: ["RTDetrForObjectDetection"], backbone_config: { model_type: "rt_detr_resnet", depths: [3, 4, 23, 3] }, encoder_hidden_dim: 384, encoder_ffn_dim: 2048, decoder_in_channels: [384, 384, 384], num_labels: 80 }, 76_556_268],
  ["BeitForImageClassification B/16 (microsoft/beit-base-patch16-224 fields)", { model_type: "beit", architectures: ["BeitForImageClassification"], use_relative_position_bias: true, num_labels: 1000 }, 86_530_984],
  ["BeitForImageClassification B/16 384", { model_type: "beit", architectures: ["BeitForImageClassification"], use_relative_position_bias: true, image_size: 384, num_labels: 1000 }, 86_744_104],
  ["BeitModel (shared bias, absolute positions, mask token, CLS pooling)", { model_type: "beit", architectures: ["BeitModel"], use_shared_relative_position_bias: true, use_mask_token: true, use_absolute_position_embeddings: true, use_mean_pooling: false }, 85_817_424],
  ["SegformerForSemanticSegmentation b2", { model_type: "segformer", architectures: ["SegformerForSemanticSegmentation"], hidden_sizes: [64, 128, 320, 512], depths: [3, 4, 6, 3], decoder_hidden_size: 768, num_labels: 150 }, 27_461_974],
];

describe("vision config.json", () => {
  it.each(cases)("%s: transformers' parameter count", (_, cfg, params) => {
    const d = visionFromHfConfig(cfg)!;
    expect(d.family).toBe("vision");
    expect(d.parameters).toBe(params);
    expect(estimate(d, { mode: "train", batch: 2 } as never).totals.allocated_bytes).toBeGreaterThan(params * 4);
  });

  it("other model types are left to the caller", () => {
    expect(visionFromHfConfig({ model_type: "llama" })).toBeUndefined();
    expect(visionFromHfConfig(null)).toBeUndefined();
  });

  it("hostile fields are one invalid_file / unsupported error", () => {
    fc.assert(
      fc.property(fc.constantFrom("vit", "dinov2", "convnext", "swin", "segformer", "detr", "rt_detr"), fc.constantFrom("hidden_size", "patch_size", "depths", "hidden_sizes", "image_size", "num_attention_heads", "backbone", "backbone_config", "d_model", "num_queries", "encoder_attention_heads", "encoder_hidden_dim", "decoder_layers", "hidden_expansion", "num_denoising"), fc.anything(), (t, k, v) => {
        try {
          visionFromHfConfig({ model_type: t, [k]: v });
        } catch (e) {
          expect(isVramfitError(e, "invalid_file") || isVramfitError(e, "unsupported") || isVramfitError(e, "invalid_option")).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });
});
