/**
 * config.json → which layers are recurrent and what state they keep, for every hybrid / recurrent `model_type`
 * vramfit knows. The config reader (src/models) calls `hybridLayout(modelType, config)` and stores the result in
 * `TransformerShape.layerMixers` / `.state`; it returns null for ordinary transformers.
 *
 * Keys and defaults: transformers 5.18.0 configuration_<type>.py (MambaConfig, Mamba2Config, JambaConfig,
 * BambaConfig, GraniteMoeHybridConfig, FalconH1Config, NemotronHConfig, Qwen3NextConfig, KimiLinearConfig,
 * Lfm2Config, MiniMaxConfig, RwkvConfig); remote types (rwkv5/6/7) from their configs' keys.
 * Configs are user input: every list and count is validated.
 */
import { VramfitError } from "./errors.js";
import type { LayerMixer, StateShape } from "./model.js";
import { gatedDeltaNetState, kdaState, lightningState, mamba2State, mambaState, rwkvState, shortConvState } from "./state-cache.js";

export interface HybridLayout {
  /** Length = layers. */
  layerMixers: LayerMixer[];
  state: StateShape;
  /** Layers of the model (Nemotron-H: the pattern's length, which some configs state only that way). */
  layers: number;
}

type Cfg = Record<string, unknown>;

function num(c: Cfg, key: string, def?: number): number {
  const v = c[key];
  if (v === undefined || v === null) {
    if (def === undefined) throw new VramfitError("invalid_file", `config.json: '${key}' is missing`);
    return def;
  }
  if (typeof v !== "number" || !Number.isFinite(v)) throw new VramfitError("invalid_file", `config.json: '${key}' must be a number`);
  return v;
}

function layersOf(c: Cfg): number {
  const L = num(c, "num_hidden_layers", typeof c.n_layer === "number" ? (c.n_layer as number) : undefined);
  if (!Number.isSafeInteger(L) || L < 1 || L > 100_000) throw new VramfitError("invalid_file", `config.json: num_hidden_layers ${L} is not a layer count`);
  return L;
}

function stringList(c: Cfg, key: string, n: number): string[] | null {
  const v = c[key];
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || v.length !== n || v.some((x) => typeof x !== "string")) {
    throw new VramfitError("invalid_file", `config.json: '${key}' must list one string per layer (${n})`);
  }
  return v as string[];
}

function indexList(c: Cfg, key: string, n: number, base = 0): Set<number> | null {
  const v = c[key];
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || v.some((x) => !Number.isSafeInteger(x) || (x as number) - base < 0 || (x as number) - base >= n)) {
    throw new VramfitError("invalid_file", `config.json: '${key}' must list layer indices below ${n}`);
  }
  return new Set((v as number[]).map((x) => x - base));
}

/** The mixers from a transformers `layer_types` list (names vary by model). */
function fromLayerTypes(types: string[], attention: readonly string[], state: readonly string[], key: string): LayerMixer[] {
  return types.map((t) => {
    if (attention.includes(t)) return "attention";
    if (state.includes(t)) return "state";
    throw new VramfitError("invalid_file", `config.json: unknown layer type '${t}' in ${key}`);
  });
}

/** Hybrid / recurrent layout of a config, or null when the model_type has no recurrent layers. */
export function hybridLayout(modelType: string, raw: Cfg): HybridLayout | null {
  const c = raw;
  switch (modelType) {
    case "mamba":
    case "falcon_mamba": {
      const L = layersOf(c);
      const h = num(c, "hidden_size");
      const inner = num(c, "intermediate_size", num(c, "expand", 2) * h);
      return { layers: L, layerMixers: new Array<LayerMixer>(L).fill("state"), state: mambaState({ inner, dState: num(c, "state_size", 16), dConv: num(c, "conv_kernel", 4) }) };
    }
    case "mamba2": {
      const L = layersOf(c);
      const heads = num(c, "num_heads", 128);
      const hd = num(c, "head_dim", 64);
      return {
        layers: L, layerMixers: new Array<LayerMixer>(L).fill("state"),
        state: mamba2State({ inner: heads * hd, heads, headDim: hd, groups: num(c, "n_groups", 8), dState: num(c, "state_size", 128), dConv: num(c, "conv_kernel", 4) }),
      };
    }
    case "jamba": {
      const L = layersOf(c);
      const h = num(c, "hidden_size");
      const types = stringList(c, "layers_block_type", L);
      const period = num(c, "attn_layer_period", 8);
      const offset = num(c, "attn_layer_offset", 4);
      const mixers: LayerMixer[] = types
        ? fromLayerTypes(types, ["attention"], ["mamba"], "layers_block_type")
        : Array.from({ length: L }, (_, i) => (i % period === offset ? "attention" : "state"));
      return { layers: L, layerMixers: mixers, state: mambaState({ inner: num(c, "mamba_expand", 2) * h, dState: num(c, "mamba_d_state", 16), dConv: num(c, "mamba_d_conv", 4) }) };
    }
    case "bamba":
    case "granitemoehybrid": {
      const L = layersOf(c);
      const h = num(c, "hidden_size");
      const inner = num(c, "mamba_expand", 2) * h;
      const heads = num(c, "mamba_n_heads", 128);
      const hd = typeof c.mamba_d_head === "number" ? (c.mamba_d_head as number) : inner / heads;
      let mixers: LayerMixer[];
      if (modelType === "bamba") {
        const attn = indexList(c, "attn_layer_indices", L) ?? new Set<number>();
        mixers = Array.from({ length: L }, (_, i) => (attn.has(i) ? "attention" : "state"));
      } else {
        const types = stringList(c, "layer_types", L) ?? stringList(c, "layers_block_type", L);
        mixers = types ? fromLayerTypes(types, ["attention", "full_attention"], ["mamba", "linear_attention"], "layer_types") : new Array<LayerMixer>(L).fill("state");
      }
      return {
        layers: L, layerMixers: mixers,
        state: mamba2State({ inner, heads, headDim: hd, groups: num(c, "mamba_n_groups", 1), dState: num(c, "mamba_d_state", 256), dConv: num(c, "mamba_d_conv", 4) }),
      };
    }
    case "falcon_h1": {
      // Every layer runs attention and a Mamba-2 mixer in parallel (FalconH1Config.layers_block_type: "hybrid").
      const L = layersOf(c);
      const h = num(c, "hidden_size");
      const inner = typeof c.mamba_d_ssm === "number" ? (c.mamba_d_ssm as number) : num(c, "mamba_expand", 2) * h;
      const heads = num(c, "mamba_n_heads", 128);
      const hd = typeof c.mamba_d_head === "number" ? (c.mamba_d_head as number) : inner / heads;
      return {
        layers: L, layerMixers: new Array<LayerMixer>(L).fill("attention+state"),
        state: mamba2State({ inner, heads, headDim: hd, groups: num(c, "mamba_n_groups", 1), dState: num(c, "mamba_d_state", 256), dConv: num(c, "mamba_d_conv", 4) }),
      };
    }
    case "nemotron_h": {
      const pattern = c.hybrid_override_pattern;
      if (typeof pattern !== "string" || !/^[M*\-E]+$/.test(pattern)) throw new VramfitError("invalid_file", "config.json: nemotron_h needs hybrid_override_pattern (M, *, -, E per layer)");
      const mixers: LayerMixer[] = [...pattern].map((ch) => (ch === "M" ? "state" : ch === "*" ? "attention" : "none"));
      const heads = num(c, "mamba_num_heads", 128);
      const hd = num(c, "mamba_head_dim", 64);
      const ssmDtype = typeof c.mamba_ssm_cache_dtype === "string" ? dtypeName(c.mamba_ssm_cache_dtype) : undefined;
      return {
        layers: pattern.length, layerMixers: mixers,
        state: mamba2State({ inner: heads * hd, heads, headDim: hd, groups: num(c, "n_groups", 8), dState: num(c, "ssm_state_size", 128), dConv: num(c, "conv_kernel", 4), ssmDtype }),
      };
    }
    case "qwen3_next":
    case "qwen3_5_text":
    case "qwen3_5_moe_text": {
      const L = layersOf(c);
      const types = stringList(c, "layer_types", L);
      const interval = num(c, "full_attention_interval", 4);
      const mixers: LayerMixer[] = types
        ? fromLayerTypes(types, ["full_attention"], ["linear_attention"], "layer_types")
        : Array.from({ length: L }, (_, i) => ((i + 1) % interval === 0 ? "attention" : "state"));
      const st = gatedDeltaNetState({
        kHeads: num(c, "linear_num_key_heads", 16), vHeads: num(c, "linear_num_value_heads", 32),
        kDim: num(c, "linear_key_head_dim", 128), vDim: num(c, "linear_value_head_dim", 128), dConv: num(c, "linear_conv_kernel_dim", 4),
      });
      if (typeof c.mamba_ssm_dtype === "string") st.ssmDtype = dtypeName(c.mamba_ssm_dtype);
      return { layers: L, layerMixers: mixers, state: st };
    }
    case "kimi_linear": {
      const L = layersOf(c);
      const lin = (c.linear_attn_config && typeof c.linear_attn_config === "object" ? c.linear_attn_config : {}) as Cfg;
      let mixers: LayerMixer[];
      const types = stringList(c, "layer_types", L);
      if (types) mixers = fromLayerTypes(types, ["full_attention"], ["linear_attention"], "layer_types");
      else {
        const full = indexList(lin, "full_attn_layers", L, 1); // 1-indexed in the checkpoint (KimiLinearConfig)
        mixers = Array.from({ length: L }, (_, i) => (full ? (full.has(i) ? "attention" : "state") : i && i % 4 === 0 ? "attention" : "state"));
      }
      return {
        layers: L, layerMixers: mixers,
        state: kdaState({ heads: num(lin, "num_heads", num(c, "linear_num_heads", 32)), headDim: num(lin, "head_dim", num(c, "linear_head_dim", 128)), dConv: num(lin, "short_conv_kernel_size", num(c, "linear_conv_kernel_dim", 4)) }),
      };
    }
    case "lfm2":
    case "lfm2_moe": {
      const L = layersOf(c);
      const types = stringList(c, "layer_types", L);
      let mixers: LayerMixer[];
      if (types) mixers = fromLayerTypes(types, ["full_attention"], ["conv"], "layer_types");
      else {
        const attn = indexList(c, "full_attn_idxs", L) ?? new Set<number>();
        mixers = Array.from({ length: L }, (_, i) => (attn.has(i) ? "attention" : "state"));
      }
      return { layers: L, layerMixers: mixers, state: shortConvState({ hidden: num(c, "conv_dim", num(c, "hidden_size")), lCache: num(c, "conv_L_cache", 3) }) };
    }
    case "minimax": {
      const L = layersOf(c);
      const types = stringList(c, "layer_types", L);
      const list = c.attn_type_list;
      let mixers: LayerMixer[];
      if (types) mixers = fromLayerTypes(types, ["full_attention"], ["linear_attention"], "layer_types");
      else if (Array.isArray(list) && list.length === L) mixers = list.map((x) => (x === 1 ? "attention" : "state"));
      else mixers = Array.from({ length: L }, (_, i) => ((i + 1) % 2 ? "attention" : "state"));
      const heads = num(c, "num_attention_heads");
      const hd = num(c, "head_dim", num(c, "hidden_size") / heads);
      return { layers: L, layerMixers: mixers, state: lightningState({ heads, headDim: hd }) };
    }
    case "rwkv":
    case "rwkv5":
    case "rwkv6":
    case "rwkv7": {
      const L = layersOf(c);
      const h = num(c, "hidden_size");
      const version = modelType === "rwkv" ? 4 : (Number(modelType.slice(4)) as 5 | 6 | 7);
      const hs = num(c, "head_size", num(c, "head_dim", 64));
      return { layers: L, layerMixers: new Array<LayerMixer>(L).fill("state"), state: rwkvState({ version, hidden: h, headSize: hs }) };
    }
    default:
      return null;
  }
}

/** torch dtype names in configs → vramfit dtypes. */
function dtypeName(s: string): string {
  const t = s.replace(/^torch\./, "");
  if (t === "float32" || t === "fp32") return "fp32";
  if (t === "bfloat16" || t === "bf16") return "bf16";
  if (t === "float16" || t === "fp16") return "fp16";
  throw new VramfitError("invalid_file", `config.json: unknown state dtype '${s}'`);
}

/**
 * GGUF metadata → the same layout, for recurrent / hybrid GGUF files (keys as llama.cpp's loader reads them:
 * src/models/<arch>.cpp load_arch_hparams of the llama.cpp bundled in node-llama-cpp 3.22.1). A layer is recurrent
 * where llama.cpp says so: Jamba / LFM2 / Granite-H / Kimi-Linear: head_count_kv[il] == 0; Nemotron-H: also
 * feed_forward_length[il] == 0 (else an MLP layer); Qwen3-Next / Qwen3.5: not every full_attention_interval-th;
 * Mamba / Mamba-2 / RWKV: all; Falcon-H1: all, beside attention. Returns null for other architectures.
 */
export function hybridLayoutFromGguf(arch: string, meta: Record<string, unknown>): HybridLayout | null {
  const key = (k: string) => meta[`${arch}.${k}`];
  const num = (k: string, def?: number): number => {
    const v = key(k);
    if (v === undefined || v === null) {
      if (def === undefined) throw new VramfitError("invalid_file", `GGUF: '${arch}.${k}' is missing`);
      return def;
    }
    const x = typeof v === "bigint" ? Number(v) : v;
    if (typeof x !== "number" || !Number.isSafeInteger(x) || x < 0 || x > 2 ** 31) throw new VramfitError("invalid_file", `GGUF: '${arch}.${k}' is not a count`);
    return x;
  };
  const L = num("block_count");
  if (L < 1 || L > 100_000) throw new VramfitError("invalid_file", `GGUF: block_count ${L} is not a layer count`);
  const perLayer = (k: string): number[] | null => {
    const v = key(k);
    if (!Array.isArray(v)) return null;
    if (v.length < L) throw new VramfitError("invalid_file", `GGUF: '${arch}.${k}' lists ${v.length} values for ${L} layers`);
    return v.slice(0, L).map((x) => Number(x));
  };
  const ssm = () => ({ conv: num("ssm.conv_kernel"), inner: num("ssm.inner_size"), state: num("ssm.state_size"), rank: num("ssm.time_step_rank"), groups: num("ssm.group_count", 1) });
  const all = (m: LayerMixer) => new Array<LayerMixer>(L).fill(m);
  const byKv = (): LayerMixer[] => {
    const kv = perLayer("attention.head_count_kv");
    if (!kv) throw new VramfitError("invalid_file", `GGUF: ${arch} needs a per-layer attention.head_count_kv`);
    return kv.map((x) => (x === 0 ? "state" : "attention"));
  };
  switch (arch) {
    case "mamba": {
      const s = ssm();
      return { layers: L, layerMixers: all("state"), state: mambaState({ inner: s.inner, dState: s.state, dConv: s.conv }) };
    }
    case "jamba": {
      const s = ssm();
      return { layers: L, layerMixers: byKv(), state: mambaState({ inner: s.inner, dState: s.state, dConv: s.conv }) };
    }
    case "mamba2":
    case "falcon-h1":
    case "granitehybrid":
    case "nemotron_h":
    case "nemotron_h_moe": {
      const s = ssm();
      const state = mamba2State({ inner: s.inner, heads: s.rank, headDim: s.inner / s.rank, groups: s.groups, dState: s.state, dConv: s.conv });
      let mixers: LayerMixer[];
      if (arch === "mamba2") mixers = all("state");
      else if (arch === "falcon-h1") mixers = all("attention+state");
      else if (arch === "granitehybrid") mixers = byKv();
      else {
        const kv = perLayer("attention.head_count_kv") ?? new Array<number>(L).fill(0);
        const ff = perLayer("feed_forward_length") ?? new Array<number>(L).fill(0);
        mixers = kv.map((x, i) => (x > 0 ? "attention" : ff[i] > 0 ? "none" : "state"));
      }
      return { layers: L, layerMixers: mixers, state };
    }
    case "qwen3next":
    case "qwen35":
    case "qwen35moe": {
      const s = ssm();
      const interval = num("full_attention_interval", 4);
      // llama.cpp: d_inner = value_dim, d_state = head dim (k = v), n_group = key heads, dt_rank = value heads
      const state = gatedDeltaNetState({ kHeads: s.groups, vHeads: s.rank, kDim: s.state, vDim: s.inner / s.rank, dConv: s.conv });
      return { layers: L, layerMixers: Array.from({ length: L }, (_, i) => ((i + 1) % interval === 0 ? "attention" : "state")), state };
    }
    case "kimi-linear": {
      const hd = num("kda.head_dim");
      return { layers: L, layerMixers: byKv(), state: kdaState({ heads: num("attention.head_count"), headDim: hd, dConv: num("ssm.conv_kernel") }) };
    }
    case "lfm2":
    case "lfm2moe":
      return { layers: L, layerMixers: byKv(), state: shortConvState({ hidden: num("embedding_length"), lCache: num("shortconv.l_cache") }) };
    case "rwkv6":
    case "rwkv7":
      return { layers: L, layerMixers: all("state"), state: rwkvState({ version: arch === "rwkv6" ? 6 : 7, hidden: num("embedding_length"), headSize: num("wkv.head_size"), tokenShiftCount: num("token_shift_count", 2) }) };
    default:
      return null;
  }
}
