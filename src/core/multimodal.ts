/**
 * Vision-language and audio-language models: how many language-model tokens an image (or 30 s of audio) becomes,
 * how many patch tokens the tower runs over, the tower's forward peak, and the tower shape from config.json.
 *
 * Image-token rules (transformers 5.18.0 processors / image processors):
 * - fixed: LLaVA-1.5 CLIP-L/336 (336/14)² = 576 (vision_feature_select_strategy "default" drops CLS); Gemma 3
 *   SigLIP 896 px → 4096 patches avg-pooled to mm_tokens_per_image = 256 (pan & scan off by default);
 * - qwen_vl (Qwen2-VL / 2.5-VL / 3-VL, image_processing_qwen2_vl.py smart_resize): each side rounded to a multiple
 *   of patch × merge (28 px; 32 for Qwen3-VL), scaled into [min_pixels, max_pixels] (the checkpoints'
 *   preprocessor_config.json: 3136 and 12845056 for Qwen2/2.5-VL; 65536 and 16777216 for Qwen3-VL, from a
 *   third-party table: low confidence), then (h/patch)·(w/patch) patches through the tower and that ÷ merge² tokens;
 * - llava_next (processing_llava_next.py _get_number_of_features): the best grid pinpoint (select_best_resolution),
 *   tiles of 336, base 576 + unpadded features + one newline per row;
 * - tiles (InternVL crop_to_patches: up to 12 tiles of 448 + a thumbnail, 256 tokens each; Idefics3: longest edge
 *   4 × 364, tiles of 364 + the global image, 169 tokens each);
 * - pixtral (Pixtral / Mistral 3, image_processing_pixtral.py): resized to fit longest_edge, one token per
 *   patch·merge square, plus one [IMG_BREAK]/[IMG_END] per row;
 * - mllama (Llama 3.2 Vision): up to 4 tiles of 560, (560/14)² + 1 = 1601 vision tokens per tile, padded to
 *   max_num_tiles; the language model sees them only through its cross-attention layers.
 * Audio (Qwen2-Audio, processing_qwen2_audio.py): 30 s windows of 3000 mel frames → 1500 encoder positions,
 * average-pooled by 2 → 750 tokens (25 per second).
 */
import { z } from "zod";
import { VramfitError } from "./errors.js";
import type { AudioTowerShape, ImageTokenRule, VisionTowerShape } from "./model.js";
import type { OptionSpec } from "./options.js";
import type { Attention } from "./workload.js";

const VLM = { families: ["transformer"], modes: ["infer", "train"] } as const;

/** --images N: images per sequence (request). */
export const IMAGES_OPTION: OptionSpec = {
  key: "images", schema: z.number().int().min(0).max(1024).optional(), group: "Workload",
  help: "vision-language models: images per sequence (default 0; each adds its image tokens to the sequence)",
  cli: { arg: "int", flags: "--images <n>" }, scope: VLM,
  web: { label: "Images per sequence", kind: "int", min: 0, max: 1024, auto: "0" },
};

/** --image-size WxH (or one side): the images' size before the processor resizes them. */
export const IMAGE_SIZE_OPTION: OptionSpec = {
  key: "image_size", schema: z.union([z.number().int().min(1).max(65536), z.string().regex(/^\d{1,5}(x\d{1,5})?$/, { error: "image_size is a side (1024) or WxH (1280x720)" })]).optional(), group: "Workload",
  help: "vision-language models: image size, one side or WxH (default: the tower's native size)",
  cli: { arg: "string", flags: "--image-size <WxH>" }, scope: VLM,
  web: { label: "Image size (WxH)", kind: "text", pattern: /^\d{1,5}(x\d{1,5})?$/, example: "1280x720", auto: "native" },
};

/** --audio-seconds: seconds of audio per sequence (audio-language models). */
export const AUDIO_SECONDS_OPTION: OptionSpec = {
  key: "audio_seconds", schema: z.number().min(0).max(86400).optional(), group: "Workload",
  help: "audio-language models: seconds of audio per sequence (30 s windows, 750 tokens each for Qwen2-Audio)",
  cli: { arg: "number", flags: "--audio-seconds <s>" }, scope: VLM,
  web: { label: "Audio per sequence (s)", kind: "int", min: 0, max: 86400, auto: "0" },
};

/**
 * llama.cpp (and Ollama) load a vision or audio tower from a separate mmproj GGUF (tools/mtmd), which vramfit does not
 * size: with --images or --audio-seconds the answer would leave out the tower and the media tokens, so it refuses.
 */
export function assertNoMediaInput(workload: object, runtime = "llama.cpp"): void {
  const w = workload as { images?: unknown; audio_seconds?: unknown };
  const images = typeof w.images === "number" ? w.images : 0;
  const audio = typeof w.audio_seconds === "number" ? w.audio_seconds : 0;
  if (images > 0 || audio > 0) {
    throw new VramfitError("unsupported", `${runtime}: ${images > 0 ? "--images" : "--audio-seconds"} is not modelled (the tower comes from a separate mmproj file and its tokens are not counted)`, { suggestion: "use --runtime transformers or vllm, or leave images out for the text-only memory" });
  }
}

/**
 * Training a vision- or audio-language model with --images / --audio-seconds: the image tokens in the language model's
 * sequence and the tower's saved activations are not modelled in the training engine, so it refuses instead of
 * answering for text alone.
 */
export function assertNoMediaInTraining(workload: object): void {
  const w = workload as { images?: unknown; audio_seconds?: unknown };
  const images = typeof w.images === "number" ? w.images : 0;
  const audio = typeof w.audio_seconds === "number" ? w.audio_seconds : 0;
  if (images > 0 || audio > 0) {
    throw new VramfitError("unsupported", `training with ${images > 0 ? "--images" : "--audio-seconds"} is not modelled (the tower's saved activations and the media tokens)`, { suggestion: "count the image tokens in --seq for the language model's share, or estimate inference" });
  }
}

/** Parses --image-size (a side or WxH) into [width, height]; absent: the tower's native size (or 1024² for dynamic towers). */
export function imageDims(v: VisionTowerShape, size: unknown): [number, number] {
  if (size === undefined || size === null) {
    const side = v.imageSize > 0 ? v.imageSize : 1024;
    return [side, side];
  }
  if (typeof size === "number") return [size, size];
  const m = /^(\d+)(?:x(\d+))?$/.exec(String(size));
  if (!m) throw new VramfitError("invalid_option", `image_size '${String(size)}' is a side (1024) or WxH (1280x720)`, { details: { key: "image_size" } });
  const w = Number(m[1]);
  const h = m[2] ? Number(m[2]) : w;
  if (w < 1 || h < 1) throw new VramfitError("invalid_option", "image_size must be at least 1 pixel", { details: { key: "image_size" } });
  return [w, h];
}

export interface ImageTokens {
  /** Tokens the language model sees per image. */
  tokens: number;
  /** Patch tokens the tower runs over per image (what sizes its activations). */
  towerTokens: number;
  /** Images (tiles) the tower encodes per image. */
  towerImages: number;
  formula: string;
}

/** transformers' select_best_resolution (image_processing_utils.py): the pinpoint that keeps most of the image, then wastes least. */
export function selectBestResolution(h: number, w: number, pinpoints: readonly [number, number][]): [number, number] {
  let best: [number, number] = pinpoints[0];
  let maxEff = -1;
  let minWaste = Infinity;
  for (const [ph, pw] of pinpoints) {
    const scale = Math.min(pw / w, ph / h);
    const dw = Math.floor(w * scale);
    const dh = Math.floor(h * scale);
    const eff = Math.min(dw * dh, w * h);
    const waste = pw * ph - eff;
    if (eff > maxEff || (eff === maxEff && waste < minWaste)) {
      maxEff = eff;
      minWaste = waste;
      best = [ph, pw];
    }
  }
  return best;
}

/** InternVL's grid choice (crop_to_patches / find_closest_aspect_ratio): the i×j grid whose ratio is closest, larger on ties when the image is big enough. */
export function internVlGrid(w: number, h: number, maxTiles: number, tile: number): [number, number] {
  const ratio = w / h;
  const grids: [number, number][] = [];
  for (let n = 1; n <= maxTiles; n++) for (let i = 1; i <= n; i++) for (let j = 1; j <= n; j++) if (i * j <= maxTiles && i * j >= 1 && !grids.some(([a, b]) => a === i && b === j)) grids.push([i, j]);
  grids.sort((a, b) => a[0] * a[1] - b[0] * b[1]);
  let best: [number, number] = [1, 1];
  let bestDiff = Infinity;
  for (const [i, j] of grids) {
    const diff = Math.abs(ratio - i / j);
    if (diff < bestDiff) {
      bestDiff = diff;
      best = [i, j];
    } else if (diff === bestDiff && w * h > 0.5 * tile * tile * i * j) best = [i, j];
  }
  return best;
}

/** Tokens per image at a size, and the patches the tower runs over. */
export function imageTokens(v: VisionTowerShape, width: number, height: number): ImageTokens {
  const r: ImageTokenRule = v.tokens;
  const p = v.patchSize;
  switch (r.kind) {
    case "fixed": {
      const patches = (v.imageSize / p) ** 2 + (v.kind === "clip" ? 1 : 0);
      return { tokens: r.tokens, towerTokens: patches, towerImages: 1, formula: `${r.tokens} tokens at any size (image resized to ${v.imageSize} px; ${patches} patches through the tower)` };
    }
    case "qwen_vl": {
      const f = r.patch * r.merge;
      const min = r.minPixels ?? 56 * 56;
      const max = r.maxPixels ?? 28 * 28 * 1280;
      if (Math.max(width, height) / Math.min(width, height) > 200) throw new VramfitError("does_not_run", "the Qwen-VL processor refuses aspect ratios above 200", { details: { key: "image_size" } });
      let hb = Math.round(height / f) * f;
      let wb = Math.round(width / f) * f;
      if (hb * wb > max) {
        const beta = Math.sqrt((height * width) / max);
        hb = Math.max(f, Math.floor(height / beta / f) * f);
        wb = Math.max(f, Math.floor(width / beta / f) * f);
      } else if (hb * wb < min) {
        const beta = Math.sqrt(min / (height * width));
        hb = Math.ceil((height * beta) / f) * f;
        wb = Math.ceil((width * beta) / f) * f;
      }
      const patches = (hb / r.patch) * (wb / r.patch);
      return { tokens: patches / (r.merge * r.merge), towerTokens: patches, towerImages: 1, formula: `smart_resize ${width}×${height} → ${wb}×${hb} (multiples of ${f}, ${min}–${max} px): ${patches} patches ÷ ${r.merge}² = ${patches / (r.merge * r.merge)} tokens` };
    }
    case "llava_next": {
      const [bh, bw] = selectBestResolution(height, width, r.gridPinpoints);
      const side = v.imageSize / p;
      let ch = side * (bh / v.imageSize);
      let cw = side * (bw / v.imageSize);
      if (width / height > cw / ch) {
        const nh = Math.round(height * (cw / width) * 1e7) / 1e7;
        ch -= 2 * Math.floor((ch - Math.trunc(nh)) / 2);
      } else {
        const nw = Math.round(width * (ch / height) * 1e7) / 1e7;
        cw -= 2 * Math.floor((cw - Math.trunc(nw)) / 2);
      }
      const tiles = (bh / v.imageSize) * (bw / v.imageSize);
      const tokens = side * side + ch * cw + ch;
      return { tokens, towerTokens: side * side + 1, towerImages: tiles + 1, formula: `anyres grid ${bw}×${bh} (${tiles} tiles of ${v.imageSize} + base): ${side * side} base + ${ch}×${cw} unpadded + ${ch} newlines = ${tokens} tokens` };
    }
    case "tiles": {
      const t = r.tileSize;
      let rows: number;
      let cols: number;
      if (r.longestEdge) {
        // Idefics3: longest edge to longestEdge, then tiles of t (each side rounded up to a multiple of t)
        const s = Math.min(1, r.longestEdge / Math.max(width, height));
        rows = Math.ceil((height * s) / t);
        cols = Math.ceil((width * s) / t);
      } else {
        [cols, rows] = internVlGrid(width, height, r.maxTiles, t);
      }
      const n = rows * cols;
      const imgs = n + (r.thumbnail && n > 1 ? 1 : 0);
      const perTilePatches = (t / p) ** 2;
      return { tokens: imgs * r.tokensPerTile, towerTokens: perTilePatches, towerImages: imgs, formula: `${cols}×${rows} tiles of ${t} px${r.thumbnail && n > 1 ? " + 1 global" : ""} × ${r.tokensPerTile} tokens = ${imgs * r.tokensPerTile}` };
    }
    case "pixtral": {
      const s = Math.min(1, r.maxImageSize / Math.max(width, height));
      const unit = r.patch * r.merge;
      const rows = Math.ceil((height * s) / unit);
      const cols = Math.ceil((width * s) / unit);
      return { tokens: rows * cols + rows, towerTokens: rows * cols * r.merge * r.merge, towerImages: 1, formula: `${cols}×${rows} tokens of ${unit} px (fit into ${r.maxImageSize} px) + ${rows} row breaks = ${rows * cols + rows}` };
    }
    case "mllama": {
      const perTile = (r.tileSize / p) ** 2 + 1;
      return { tokens: r.maxTiles * perTile, towerTokens: perTile, towerImages: r.maxTiles, formula: `${r.maxTiles} tiles of ${r.tileSize} px (padded to max_num_tiles) × ${perTile} vision tokens, seen through cross-attention` };
    }
  }
}

export interface TowerPeak {
  bytes: number;
  formula: string;
}

/**
 * The live set of one tower layer over all patch tokens of a batch (no_grad): residual, normed input, q, k, v, the
 * attention output (+ eager per-image scores), or the MLP's (gated: 3·I; plain: 2·I) beside the residual streams.
 * The pixel values and the patch embeddings of the batch are alive beside it.
 */
export function towerForwardPeak(v: VisionTowerShape, opts: { towerImages: number; tokensPerImage: number; bytesPerValue: number; attention: Attention }): TowerPeak {
  const T = opts.towerImages * opts.tokensPerImage;
  const e = opts.bytesPerValue;
  const h = v.hidden;
  let attn = T * 6 * h * e;
  if (opts.attention === "eager") attn += opts.towerImages * v.heads * opts.tokensPerImage ** 2 * (2 * e + 4);
  const mlp = T * (2 * h + (v.mlp === "gated" ? 3 : 2) * v.intermediate) * e;
  const pixels = opts.towerImages * opts.tokensPerImage * 3 * v.patchSize * v.patchSize * (4 + e);
  const bytes = Math.max(attn, mlp) + pixels;
  return {
    bytes,
    formula: `${v.kind} tower over ${opts.towerImages} image(s) × ${opts.tokensPerImage} patches: max(attention ${T} × 6·${h}${opts.attention === "eager" ? " + eager scores" : ""}, MLP ${T} × (2·${h} + ${v.mlp === "gated" ? 3 : 2}·${v.intermediate})) × ${e} B + pixel values`,
  };
}

/** Audio tokens for `seconds` of audio, and the encoder positions the audio tower runs over. */
export function audioTokens(a: AudioTowerShape, seconds: number): { tokens: number; windows: number; formula: string } {
  const windows = Math.ceil(seconds / a.windowSeconds);
  return { tokens: windows * a.tokensPerWindow, windows, formula: `${windows} × ${a.windowSeconds} s windows × ${a.tokensPerWindow} tokens (${a.positions} encoder positions pooled)` };
}

// ---------------------------------------------------------------------------------------------------------------
// config.json → tower

type Cfg = Record<string, any>;
const n = (c: Cfg, k: string, def: number): number => {
  const x = c?.[k] ?? def;
  if (typeof x !== "number" || !Number.isFinite(x) || x < 0 || x > 2 ** 31) throw new VramfitError("invalid_file", `config.json: vision_config '${k}' must be a number`);
  return x;
};

/** The vision tower of a VLM `model_type` from its config.json (transformers 5.18.0 config classes), or null. */
export function visionFromConfig(modelType: string, c: Cfg): VisionTowerShape | null {
  const vc: Cfg = c.vision_config ?? {};
  switch (modelType) {
    case "llava":
    case "llava_next":
    case "vipllava": {
      const size = n(vc, "image_size", 336);
      const patch = n(vc, "patch_size", 14);
      const base = { kind: "clip" as const, layers: n(vc, "num_hidden_layers", 24), hidden: n(vc, "hidden_size", 1024), heads: n(vc, "num_attention_heads", 16), intermediate: n(vc, "intermediate_size", 4096), mlp: "plain" as const, patchSize: patch, imageSize: size };
      if (modelType === "llava_next") {
        const pins = Array.isArray(c.image_grid_pinpoints) ? (c.image_grid_pinpoints as [number, number][]) : [[336, 672], [672, 336], [672, 672], [1008, 336], [336, 1008]] as [number, number][];
        return { ...base, tokens: { kind: "llava_next", gridPinpoints: pins } };
      }
      return { ...base, tokens: { kind: "fixed", tokens: (size / patch) ** 2 } };
    }
    case "gemma3":
      return { kind: "siglip", layers: n(vc, "num_hidden_layers", 27), hidden: n(vc, "hidden_size", 1152), heads: n(vc, "num_attention_heads", 16), intermediate: n(vc, "intermediate_size", 4304), mlp: "plain", patchSize: n(vc, "patch_size", 14), imageSize: n(vc, "image_size", 896), tokens: { kind: "fixed", tokens: n(c, "mm_tokens_per_image", 256) } };
    case "qwen2_vl": {
      const h = n(vc, "embed_dim", 1280);
      return { kind: "qwen2_vl", layers: n(vc, "depth", 32), hidden: h, heads: n(vc, "num_heads", 16), intermediate: h * n(vc, "mlp_ratio", 4), mlp: "plain", patchSize: n(vc, "patch_size", 14), imageSize: 0, tokens: { kind: "qwen_vl", patch: n(vc, "patch_size", 14), merge: n(vc, "spatial_merge_size", 2), minPixels: 3136, maxPixels: 12845056 } };
    }
    case "qwen2_5_vl":
      return {
        kind: "qwen2_5_vl", layers: n(vc, "depth", 32), hidden: n(vc, "hidden_size", 1280), heads: n(vc, "num_heads", 16), intermediate: n(vc, "intermediate_size", 3420), mlp: "gated", patchSize: n(vc, "patch_size", 14), imageSize: 0,
        tokens: { kind: "qwen_vl", patch: n(vc, "patch_size", 14), merge: n(vc, "spatial_merge_size", 2), minPixels: 3136, maxPixels: 12845056 }, windowSize: n(vc, "window_size", 112), fullAttentionBlocks: Array.isArray(vc.fullatt_block_indexes) ? vc.fullatt_block_indexes : undefined,
      };
    case "qwen3_vl":
    case "qwen3_vl_moe":
    case "qwen3_5":
    case "qwen3_5_moe": {
      if (!c.vision_config) return null;
      const patch = n(vc, "patch_size", 16);
      return { kind: "qwen3_vl", layers: n(vc, "depth", 27), hidden: n(vc, "hidden_size", 1152), heads: n(vc, "num_heads", 16), intermediate: n(vc, "intermediate_size", 4304), mlp: "plain", patchSize: patch, imageSize: 0, tokens: { kind: "qwen_vl", patch, merge: n(vc, "spatial_merge_size", 2), minPixels: 65536, maxPixels: 16777216 } };
    }
    case "mllama": {
      const text: Cfg = c.text_config ?? {};
      const tile = n(vc, "image_size", 560);
      return {
        kind: "mllama", layers: n(vc, "num_hidden_layers", 32) + n(vc, "num_global_layers", 8), hidden: n(vc, "hidden_size", 1280), heads: n(vc, "attention_heads", 16), intermediate: n(vc, "intermediate_size", 5120), mlp: "plain",
        patchSize: n(vc, "patch_size", 14), imageSize: tile, tokens: { kind: "mllama", tileSize: tile, maxTiles: n(vc, "max_num_tiles", 4) },
        crossAttentionLayers: Array.isArray(text.cross_attention_layers) ? text.cross_attention_layers : [3, 8, 13, 18, 23, 28, 33, 38],
      };
    }
    case "idefics3":
    case "smolvlm": {
      const size = n(vc, "image_size", modelType === "smolvlm" ? 512 : 364);
      const patch = n(vc, "patch_size", 14);
      const scale = n(c, "scale_factor", modelType === "smolvlm" ? 4 : 2);
      return { kind: "siglip", layers: n(vc, "num_hidden_layers", 27), hidden: n(vc, "hidden_size", 1152), heads: n(vc, "num_attention_heads", 16), intermediate: n(vc, "intermediate_size", 4304), mlp: "plain", patchSize: patch, imageSize: size, tokens: { kind: "tiles", tileSize: size, tokensPerTile: (size / patch) ** 2 / (scale * scale), maxTiles: 16, thumbnail: true, longestEdge: 4 * size } };
    }
    case "mistral3":
    case "ministral3":
    case "pixtral": {
      const patch = n(vc, "patch_size", 14);
      const merge = n(c, "spatial_merge_size", modelType === "pixtral" ? 1 : 2);
      return { kind: "pixtral", layers: n(vc, "num_hidden_layers", 24), hidden: n(vc, "hidden_size", 1024), heads: n(vc, "num_attention_heads", 16), intermediate: n(vc, "intermediate_size", 4096), mlp: "gated", patchSize: patch, imageSize: 0, tokens: { kind: "pixtral", patch, merge, maxImageSize: n(vc, "image_size", 1540) } };
    }
    case "internvl":
    case "internvl_chat": {
      const size = n(vc, "image_size", 448);
      const patch = n(vc, "patch_size", 14);
      const down = n(c, "downsample_ratio", 0.5);
      return { kind: "intern_vit", layers: n(vc, "num_hidden_layers", 24), hidden: n(vc, "hidden_size", 1024), heads: n(vc, "num_attention_heads", 16), intermediate: n(vc, "intermediate_size", 4096), mlp: "plain", patchSize: patch, imageSize: size, tokens: { kind: "tiles", tileSize: size, tokensPerTile: Math.round((size / patch) ** 2 * down * down), maxTiles: n(c, "max_dynamic_patch", 12), thumbnail: c.use_thumbnail ?? true } };
    }
    default:
      return null;
  }
}

/** The audio tower of an audio-language `model_type` (Qwen2-Audio: a Whisper-large-v3-like encoder, pooled by 2). */
export function audioFromConfig(modelType: string, c: Cfg): AudioTowerShape | null {
  if (modelType !== "qwen2_audio") return null;
  const ac: Cfg = c.audio_config ?? {};
  const positions = n(ac, "max_source_positions", 1500);
  return { layers: n(ac, "encoder_layers", 32), hidden: n(ac, "d_model", 1280), heads: n(ac, "encoder_attention_heads", 20), intermediate: n(ac, "encoder_ffn_dim", 5120), melBins: n(ac, "num_mel_bins", 128), positions, tokensPerWindow: positions / 2, windowSeconds: 30 };
}

// ---------------------------------------------------------------------------------------------------------------
// A workload's images and audio

export interface MultimodalLoad {
  /** Tokens the images and audio add to each sequence of the language model (0 for mllama: cross-attention). */
  lmTokens: number;
  /** Persistent components: mllama's cross-attention K/V. */
  components: import("./estimate-types.js").Component[];
  /** The tower's forward peak for the batch, or null without images/audio. */
  towerPeak: TowerPeak | null;
  assumptions: string[];
}

export function multimodalLoad(
  shape: import("./model.js").TransformerShape,
  opts: { batch: number; images?: number; imageSize?: unknown; audioSeconds?: number; bytesPerValue: number; attention: Attention; kvDtype: string; kvBytes: (dtype: string, values: number) => number; shards?: number },
): MultimodalLoad {
  const out: MultimodalLoad = { lmTokens: 0, components: [], towerPeak: null, assumptions: [] };
  const images = opts.images ?? 0;
  const v = shape.vision;
  if (images > 0) {
    if (!v) throw new VramfitError("unsupported", "--images needs a vision-language model (this one has no vision tower)", { details: { key: "images" } });
    const [wd, ht] = imageDims(v, opts.imageSize);
    const it = imageTokens(v, wd, ht);
    out.towerPeak = towerForwardPeak(v, { towerImages: opts.batch * images * it.towerImages, tokensPerImage: it.towerTokens, bytesPerValue: opts.bytesPerValue, attention: opts.attention });
    if (v.tokens.kind === "mllama") {
      const layers = v.crossAttentionLayers?.length ?? 0;
      const tokens = images * it.tokens;
      const bytes = Math.ceil((opts.kvBytes(opts.kvDtype, 2 * shape.kvHeads * shape.headDim * tokens) * layers * opts.batch) / (opts.shards ?? 1));
      out.components.push({ id: "cross_kv_cache", label: "Cross-attention KV cache (images)", bytes, formula: `${layers} cross-attention layers × 2 × ${shape.kvHeads} kv_heads × ${shape.headDim} × ${tokens} vision tokens (${images} image(s): ${it.formula}) × batch ${opts.batch} × ${opts.kvDtype}`, level: "allocated" });
    } else {
      out.lmTokens += images * it.tokens;
    }
    out.assumptions.push(`${images} image(s) of ${wd}×${ht} per sequence: ${it.formula}`);
  }
  const secs = opts.audioSeconds ?? 0;
  if (secs > 0) {
    const a = shape.audio;
    if (!a) throw new VramfitError("unsupported", "--audio-seconds needs an audio-language model (this one has no audio tower)", { details: { key: "audio_seconds" } });
    const at = audioTokens(a, secs);
    out.lmTokens += at.tokens;
    const T = opts.batch * at.windows * a.positions;
    const e = opts.bytesPerValue;
    const audioPeak = Math.max(T * 6 * a.hidden * e, T * (2 * a.hidden + 2 * a.intermediate) * e) + opts.batch * at.windows * a.melBins * 2 * a.positions * (4 + e);
    if (!out.towerPeak || audioPeak > out.towerPeak.bytes) out.towerPeak = { bytes: audioPeak, formula: `audio encoder over ${opts.batch * at.windows} window(s) × ${a.positions} positions: one layer's live set + mel features` };
    out.assumptions.push(`${secs} s of audio per sequence: ${at.formula}`);
  }
  return out;
}

/** The largest image a processor produces (what vLLM's dummy multimodal inputs use: the most tokens per item). */
export function largestImage(v: VisionTowerShape): [number, number] {
  const r = v.tokens;
  switch (r.kind) {
    case "qwen_vl": {
      const side = Math.floor(Math.sqrt(r.maxPixels ?? 28 * 28 * 1280));
      return [side, side];
    }
    case "pixtral":
      return [r.maxImageSize, r.maxImageSize];
    case "llava_next": {
      const [h, w] = r.gridPinpoints.reduce((a, b) => (b[0] * b[1] > a[0] * a[1] ? b : a));
      return [w, h];
    }
    case "tiles":
      return r.longestEdge ? [r.longestEdge, r.longestEdge] : [r.tileSize * r.maxTiles, r.tileSize];
    default:
      return [v.imageSize || 1024, v.imageSize || 1024];
  }
}
