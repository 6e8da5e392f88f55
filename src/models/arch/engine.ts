/**
 * The one interpreter of architecture entries (spec.ts): config.json + entry → tensor groups and the
 * transformer shape. Everything model-specific lives in the entries; this file only knows the layouts.
 */
import { VramfitError } from "../../core/errors.js";
import { hybridLayout } from "../../core/hybrid-config.js";
import type { LayerMixer, MlaShape, MoeShape, StateShape, TransformerShape } from "../../core/model.js";
import { ConfigReader } from "../config-reader.js";
import { TensorList } from "../tensor-list.js";
import type { ArchEntry, ArchSpec, Dims, Flag, KeyMap, MlpSpec, MoeLayerRule, MoeSpec, Names, NormKind, StateMixerSpec } from "./spec.js";

export interface Built {
  shape: TransformerShape;
  tensors: TensorList;
  warnings: string[];
}

/** The keys every entry understands unless it names its own (HF spellings across model families). */
export const STANDARD_KEYS: KeyMap = {
  h: ["hidden_size"],
  L: ["num_hidden_layers"],
  H: ["num_attention_heads"],
  kv: ["num_key_value_heads"],
  d: ["head_dim"],
  V: ["vocab_size"],
  I: ["intermediate_size"],
  maxPos: ["max_position_embeddings"],
  act: ["hidden_act"],
  tie: ["tie_word_embeddings"],
};

/** An entry with its base chain folded in (fields of the entry win). */
export function flatten(entry: ArchEntry): ArchSpec {
  const base: Partial<ArchSpec> = entry.base ? flatten(entry.base) : {};
  const { base: _, ...own } = entry;
  const spec = { ...base, ...own, defaults: { ...base.defaults, ...own.defaults }, keys: { ...base.keys, ...own.keys } } as ArchSpec;
  for (const f of ["embed", "layer", "attention", "mlp", "norms", "head"] as const) {
    if (spec[f] === undefined) throw new Error(`architecture entry ${entry.types.join("/")} lacks "${f}"`);
  }
  return spec;
}

/** The config seen through the entry's config class: absent keys take the class defaults. */
export function withDefaults(spec: ArchSpec, raw: Record<string, unknown>, where: string, nested = true): ConfigReader {
  const merged: Record<string, unknown> = { ...spec.defaults };
  if (!nested) {
    const k: KeyMap = { ...STANDARD_KEYS, ...spec.keys };
    for (const key of [...k.h, ...k.L, ...k.H]) delete merged[key];
  }
  for (const [k, v] of Object.entries(raw)) merged[k] = v;
  return new ConfigReader(merged, where);
}

export function flag(c: ConfigReader, f: Flag | undefined, fallback = false): boolean {
  if (f === undefined) return fallback;
  if (typeof f === "boolean") return f;
  if (f.startsWith("!")) return !c.bool(f.slice(1), !fallback);
  return c.bool(f, fallback);
}

export function readDims(spec: ArchSpec, c: ConfigReader): Dims {
  const k: KeyMap = { ...STANDARD_KEYS, ...spec.keys };
  const h = c.int([...k.h]);
  const L = c.int([...k.L], spec.layersFallback?.(c));
  const H = c.int([...k.H], spec.attention.layout === "none" ? 1 : undefined);
  if (H === 0) throw new VramfitError("invalid_file", `${where(c)}: "${k.H[0]}" must be positive`);
  const dims: Dims = {
    h,
    L,
    H,
    kv: c.int([...k.kv], H) || H,
    d: c.int([...k.d], Math.floor(h / H)) || Math.floor(h / H),
    V: c.int([...k.V]),
    I: c.int([...k.I], (spec.ffnMult ?? 4) * h) || (spec.ffnMult ?? 4) * h,
    // An entry that names no position key (Mamba: no positions at all) has no context limit (issue #18 audit).
    maxPos: k.maxPos.length ? c.int([...k.maxPos], 2048) : 0,
    act: firstString(c, k.act, "silu"),
    tie: firstBool(c, k.tie, false),
  };
  return spec.dims ? spec.dims(c, dims) : dims;
}

function where(c: ConfigReader): string {
  return c.where;
}

function firstString(c: ConfigReader, keys: readonly string[], fallback: string): string {
  for (const key of keys) if (typeof c.raw[key] === "string") return c.raw[key] as string;
  return fallback;
}

function firstBool(c: ConfigReader, keys: readonly string[], fallback: boolean): boolean {
  for (const key of keys) if (c.has(key)) return c.bool(key, fallback);
  return fallback;
}

/** Parameters of one norm: RMSNorm has a weight, LayerNorm a weight and a bias. */
export function addNorm(t: TensorList, name: string, dim: number, count: number, kind: NormKind) {
  if (kind === "none") return;
  t.norm(name, dim, count, kind === "layer");
}

function names(c: ConfigReader, n: Names | undefined): readonly string[] {
  return typeof n === "function" ? n(c) : (n ?? []);
}

/** Joins module path parts, skipping empty ones (OPT's MLP sits directly in the layer). */
export function join(...parts: string[]): string {
  return parts.filter(Boolean).join(".");
}

/**
 * `nested`: a sub-config (text_config) saved by transformers as a diff against its class defaults, so even
 * the core widths may be absent. A top-level config.json always names them; a missing one is an error.
 */
export function buildFromSpec(entry: ArchEntry, raw: Record<string, unknown>, where: string, nested = false, modelType = entry.types[0]): Built {
  const spec = flatten(entry);
  const c = withDefaults(spec, spec.normalize ? spec.normalize(raw) : raw, where, nested);
  const dims = readDims(spec, c);
  const { h, L, H, kv, d, V, I } = dims;

  // Hybrid / recurrent models: which layers hold attention, which the recurrent mixer.
  let mixers: LayerMixer[] | null = null;
  let state: StateShape | null = null;
  if (spec.state) {
    const layout = hybridLayout(modelType, c.raw);
    if (!layout) throw new VramfitError("unsupported", `${where}: no recurrent layout for model_type "${modelType}"`);
    if (layout.layers !== L) throw new VramfitError("invalid_file", `${where}: the layer pattern has ${layout.layers} layers, the config ${L}`);
    mixers = layout.layerMixers;
    state = layout.state;
  }
  const attnLayers = mixers ? mixers.filter((m) => m === "attention" || m === "attention+state").length : spec.attention.layout === "none" ? 0 : L;
  const stateLayers = mixers ? mixers.filter((m) => m === "state" || m === "attention+state").length : 0;
  const t = new TensorList();
  const warnings: string[] = [];
  const P = spec.layer;
  const nk = spec.norms.kind;

  // Embeddings.
  t.add(`${spec.embed.tokens}.weight`, "embedding", [V, spec.embed.widthKey ? c.int(spec.embed.widthKey, h) || h : h]);
  if (spec.embed.positions) t.add(`${spec.embed.positions.name}.weight`, "embedding", [dims.maxPos + (spec.embed.positions.offset ?? 0), h]);
  if (spec.embed.tokenTypes) t.add(`${spec.embed.tokenTypes.name}.weight`, "embedding", [c.int(spec.embed.tokenTypes.key), h]);
  if (spec.embed.norm) addNorm(t, spec.embed.norm, h, 1, nk);

  // Which layers carry experts.
  const moe = spec.moe ? readMoe(spec.moe, c, L) : null;
  const moeLayers = moe?.moeLayers ?? 0;

  if (spec.custom) {
    const own = spec.custom(t, c, dims);
    const shape: TransformerShape = { ...baseShape(spec, c, dims, readLayerTypes(spec, c, L), null, null), ...own };
    for (const n of spec.notes ?? []) if (c.has(n.when) && c.raw[n.when] !== false && c.raw[n.when] !== 0) warnings.push(n.text);
    return { shape, tensors: t, warnings };
  }
  for (const n of names(c, spec.norms.pre)) addNorm(t, `${P}.${n}`, h, L, nk);
  const mla = addAttention(t, spec, c, dims, attnLayers);
  if (spec.state && state && stateLayers > 0) addStateMixer(t, join(P, spec.state.prefix), spec.state, state, c, h, stateLayers);
  for (const n of names(c, spec.norms.mid)) addNorm(t, `${P}.${n}`, h, L, nk);
  const denseLayers = spec.denseLayers ? moeMask(spec.denseLayers, c, L).filter(Boolean).length : L - moeLayers;
  addMlp(t, join(P, spec.mlp.prefix), spec.mlp, c, h, I, denseLayers);
  if (moe && spec.moe && moeLayers > 0) addExperts(t, P, spec.moe, moe, c, h);
  for (const n of names(c, spec.norms.post)) addNorm(t, `${P}.${n}`, h, L, nk);

  const finalNorm = typeof spec.norms.final === "function" ? spec.norms.final(c) : spec.norms.final;
  if (finalNorm) addNorm(t, finalNorm, h, 1, nk);
  const tie = spec.head.alwaysTied ? true : dims.tie;
  if (!spec.head.none && !tie) t.add(`${spec.head.name}.weight`, "lm_head", [V, h], 1, { module: lastPart(spec.head.name) });
  if (!spec.head.none && spec.head.bias) t.add(`${spec.head.name}.bias`, "bias", [V], 1, { module: lastPart(spec.head.name) });
  spec.extra?.(t, c, dims);

  for (const n of spec.notes ?? []) if (c.has(n.when) && c.raw[n.when] !== false && c.raw[n.when] !== 0) warnings.push(n.text);

  const layerTypes = readLayerTypes(spec, c, L);
  const shape: TransformerShape = {
    ...baseShape(spec, c, dims, layerTypes, moe, mla),
    tiedEmbeddings: tie,
    ...(mixers && state ? { layerMixers: mixers, state } : {}),
  };
  return { shape, tensors: t, warnings };
}

function baseShape(spec: ArchSpec, c: ConfigReader, dims: Dims, layerTypes: ("full" | "sliding")[], moe: MoeShape | null, mla: MlaShape | null): TransformerShape {
  return {
    layers: dims.L,
    hidden: dims.h,
    heads: dims.H,
    kvHeads: mla ? 1 : dims.kv,
    headDim: mla ? mla.kvLoraRank + mla.qkRopeHeadDim : dims.d,
    vocab: dims.V,
    intermediate: dims.I,
    mlp: spec.mlp.kind === "plain" ? "plain" : "gated",
    activation: dims.act,
    norm: spec.norms.kind === "rms" ? "rms" : "layer",
    tiedEmbeddings: spec.head.alwaysTied ? true : dims.tie,
    maxPositions: dims.maxPos,
    layerTypes,
    slidingWindow: layerTypes.includes("sliding") ? c.int(spec.slidingWindow?.key ?? "sliding_window", spec.slidingWindow?.fallback ?? 4096) : null,
    moe,
    mla,
    encoderOnly: spec.encoderOnly ?? false,
    attentionDropout: firstNum(c, spec.dropout?.attention ?? ["attention_dropout"], 0),
    hiddenDropout: firstNum(c, spec.dropout?.hidden ?? [], 0),
  };
}

function firstNum(c: ConfigReader, keys: readonly string[], fallback: number): number {
  for (const k of keys) if (c.has(k)) return c.num(k, fallback);
  return fallback;
}

function lastPart(name: string): string {
  const parts = name.split(".");
  return parts[parts.length - 1];
}

/** Attention projections of every layer; returns the MLA shape when the layer uses latent attention. */
function addAttention(t: TensorList, spec: ArchSpec, c: ConfigReader, dims: Dims, L: number): MlaShape | null {
  const a = spec.attention;
  const { h, H, kv, d } = dims;
  if (a.layout === "none" || L === 0) return null;
  const A = join(spec.layer, a.prefix);
  const qkvBias = flag(c, a.qkvBias);
  const oBias = a.oBias === undefined ? qkvBias : flag(c, a.oBias);
  // DeepSeek-V2 configs with use_mla false (or without kv_lora_rank) use plain multi-head attention.
  if (a.layout === "mla" && c.has("kv_lora_rank") && c.bool("use_mla", true)) {
    const mla: MlaShape = {
      kvLoraRank: c.int("kv_lora_rank"),
      qLoraRank: c.has("q_lora_rank") ? c.int("q_lora_rank") : null,
      qkRopeHeadDim: c.int("qk_rope_head_dim"),
      qkNopeHeadDim: c.int("qk_nope_head_dim"),
      vHeadDim: c.int("v_head_dim"),
    };
    const qHead = mla.qkNopeHeadDim + mla.qkRopeHeadDim;
    if (mla.qLoraRank) {
      t.linear(`${A}.q_a_proj`, mla.qLoraRank, h, L, qkvBias);
      t.norm(`${A}.q_a_layernorm`, mla.qLoraRank, L);
      t.linear(`${A}.q_b_proj`, H * qHead, mla.qLoraRank, L);
    } else {
      t.linear(`${A}.q_proj`, H * qHead, h, L);
    }
    t.linear(`${A}.kv_a_proj_with_mqa`, mla.kvLoraRank + mla.qkRopeHeadDim, h, L, qkvBias);
    t.norm(`${A}.kv_a_layernorm`, mla.kvLoraRank, L);
    t.linear(`${A}.kv_b_proj`, H * (mla.qkNopeHeadDim + mla.vHeadDim), mla.kvLoraRank, L);
    t.linear(`${A}.o_proj`, h, H * mla.vHeadDim, L, oBias);
    return mla;
  }
  const qRows = (a.gatedQuery ? 2 : 1) * H * d;
  if (a.layout === "fused") {
    t.linear(`${A}.${a.qkv ?? "qkv_proj"}`, qRows + 2 * kv * d, h, L, qkvBias);
    t.linear(`${A}.${a.o ?? "o_proj"}`, h, H * d, L, oBias);
  } else {
    const kBias = a.kBias === undefined ? qkvBias : flag(c, a.kBias);
    t.linear(`${A}.${a.q ?? "q_proj"}`, qRows, h, L, qkvBias);
    t.linear(`${A}.${a.k ?? "k_proj"}`, kv * d, h, L, kBias);
    t.linear(`${A}.${a.v ?? "v_proj"}`, kv * d, h, L, qkvBias);
    t.linear(`${A}.${a.o ?? "o_proj"}`, h, H * d, L, oBias);
  }
  if (a.qkNorm && flag(c, a.qkNorm.when, true)) {
    const kind = a.qkNorm.kind ?? "rms";
    const [qn, kn] = a.qkNorm.names;
    addNorm(t, `${A}.${qn}`, a.qkNorm.width === "head" ? d : H * d, L, kind);
    addNorm(t, `${A}.${kn}`, a.qkNorm.width === "head" ? d : kv * d, L, kind);
  }
  if (a.sinks) t.add(`${A}.sinks`, "other", [H], L);
  return null;
}

/** A dense MLP of `width` on `count` layers. */
export function addMlp(t: TensorList, M: string, m: MlpSpec, c: ConfigReader, h: number, width: number, count: number, extra: { kind?: "other" } = {}) {
  const bias = flag(c, m.bias);
  if (m.kind === "none" || count <= 0) return;
  if (m.kind === "gated") {
    t.linear(`${M}.${m.gate ?? "gate_proj"}`, width, h, count, bias, extra);
    t.linear(`${M}.${m.up ?? "up_proj"}`, width, h, count, bias, extra);
  } else if (m.kind === "fused-gated") {
    t.linear(`${M}.${m.up ?? "gate_up_proj"}`, 2 * width, h, count, bias, extra);
  } else {
    t.linear(`${M}.${m.up ?? "up_proj"}`, width, h, count, bias, extra);
  }
  t.linear(`${M}.${m.down ?? "down_proj"}`, h, width, count, bias, extra);
}

function addExperts(t: TensorList, P: string, s: MoeSpec, moe: MoeShape, c: ConfigReader, hidden: number) {
  const { experts: E, expertIntermediate: Ie, moeLayers: n } = moe;
  const B = join(P, s.prefix);
  // Latent MoE (Nemotron-H): experts read and write a narrower width, projected from and to the hidden size.
  const h = s.latent && c.has(s.latent) ? c.int(s.latent) : hidden;
  if (h !== hidden) {
    t.linear(`${B}.fc1_latent_proj`, h, hidden, n);
    t.linear(`${B}.fc2_latent_proj`, hidden, h, n);
  }
  const X = join(B, s.expertsPath ?? "experts");
  const ex = { expert: true };
  t.linear(`${B}.${s.router}`, E, hidden, n, s.routerBias ?? false, { kind: "router" });
  const when = s.correctionBias?.when;
  if (s.correctionBias && (when === undefined || (typeof when === "function" ? when(c) : flag(c, when, true)))) {
    t.add(`${B}.${s.correctionBias.name}`, "router", [E], n);
  }
  if (s.layout === "by-extra") {
    // the entry's `extra` lays the experts out
  } else if (s.layout === "fused") {
    const gu = s.gate ?? "gate_up_proj";
    const dn = s.down ?? "down_proj";
    t.add(`${X}.${gu}`, "linear", [E * 2 * Ie, h], n, { expert: true, module: leafModule(gu) });
    if (s.expertBias) t.add(`${X}.${gu}_bias`, "bias", [E, 2 * Ie], n, { expert: true, module: leafModule(gu) });
    t.add(`${X}.${dn}`, "linear", [E * h, Ie], n, { expert: true, module: leafModule(dn) });
    if (s.expertBias) t.add(`${X}.${dn}_bias`, "bias", [E, h], n, { expert: true, module: leafModule(dn) });
  } else {
    if (s.layout === "per-expert") t.linear(`${X}.{E}.${s.gate ?? "gate_proj"}`, Ie, h, n * E, false, ex);
    t.linear(`${X}.{E}.${s.up ?? "up_proj"}`, Ie, h, n * E, false, ex);
    t.linear(`${X}.{E}.${s.down ?? "down_proj"}`, h, Ie, n * E, false, ex);
  }
  if (s.shared) {
    const sh = s.shared;
    const width = sh.width ? c.int([...sh.width], 0) : Ie * (sh.count ? c.int(sh.count, 0) : 1);
    if (width > 0) {
      const m: MlpSpec = { prefix: sh.name, kind: sh.kind ?? "gated", gate: sh.gateName, up: sh.up, down: sh.down };
      addMlp(t, `${B}.${sh.name}`, m, c, hidden, width, n);
      if (sh.gate) t.linear(`${B}.${sh.gate}`, 1, hidden, n, false, { kind: "router" });
    }
  }
}

function leafModule(name: string): string {
  const parts = name.split(".");
  const last = parts[parts.length - 1];
  return last === "weight" || last === "bias" ? (parts[parts.length - 2] ?? last) : last;
}

/** The MoE shape: experts, top-k, shared experts, expert width and how many layers carry experts. */
export function readMoe(s: MoeSpec, c: ConfigReader, L: number): MoeShape | null {
  const E = c.int([...s.experts], 0);
  if (E === 0) return null;
  const mask = moeMask(s.layers, c, L);
  const moeLayers = mask.filter(Boolean).length;
  const sharedCount = s.shared ? (s.shared.count ? c.int(s.shared.count, 0) : s.shared.width ? (c.int([...s.shared.width], 0) > 0 ? 1 : 0) : 1) : 0;
  return {
    experts: E,
    expertsPerToken: c.int([...s.topK], 2),
    sharedExperts: sharedCount,
    expertIntermediate: c.int([...s.width]),
    moeLayers,
  };
}

export function moeMask(r: MoeLayerRule, c: ConfigReader, L: number): boolean[] {
  const all = (f: (i: number) => boolean) => Array.from({ length: L }, (_, i) => f(i));
  switch (r.rule) {
    case "all":
      return all(() => true);
    case "sparse-step": {
      const step = Math.max(1, c.int(r.step, 1));
      const only = new Set((r.only ? c.array(r.only) ?? [] : []).map(Number));
      return all((i) => !only.has(i) && (i + 1) % step === 0);
    }
    case "first-dense": {
      const first = c.int(r.first, 0);
      const freq = r.freq ? Math.max(1, intOrOne(c, r.freq)) : 1;
      return all((i) => i >= first && i % freq === 0);
    }
    case "list-or-step": {
      const list = c.array(r.list);
      if (list) {
        const set = new Set(list.map(Number));
        return all((i) => set.has(i));
      }
      const step = Math.max(1, c.int(r.step, 1));
      return all((i) => (i + 1) % step === 0);
    }
    case "start-interval": {
      const start = c.int(r.start, 0);
      const interval = Math.max(1, c.int(r.interval, 1));
      const rawEnd = r.end ? c.raw[r.end] : undefined;
      const end = typeof rawEnd === "number" && rawEnd >= 0 ? c.int(r.end!) : L - 1;
      return all((i) => (i + 1) % interval === 0 && i >= start && i <= end);
    }
    case "period": {
      const period = Math.max(1, c.int(r.period, 1));
      const offset = c.int(r.offset, 0);
      return all((i) => i % period === offset);
    }
    case "mask": {
      const list = c.array(r.key);
      if (!list || list.length !== L) return r.otherwise ? moeMask(r.otherwise, c, L) : all(() => true);
      return list.map((x) => x === true || x === 1 || x === "sparse" || x === "moe");
    }
    case "pattern": {
      const p = c.raw[r.key];
      if (typeof p !== "string" || p.length !== L) return all(() => false);
      return [...p].map((ch) => ch === r.char);
    }
    case "none":
      return all(() => false);
  }
}

/** moe_layer_freq is an integer in DeepSeek configs (a per-layer list in MiMo-V2, handled by its entry). */
function intOrOne(c: ConfigReader, key: string): number {
  const v = c.raw[key];
  return typeof v === "number" ? c.int(key, 1) : 1;
}

/** Sliding-window layers as transformers builds them (an explicit `layer_types` list always wins). */
export function readLayerTypes(spec: ArchSpec, c: ConfigReader, L: number): ("full" | "sliding")[] {
  const explicit = c.array("layer_types");
  // Llama 4's chunked_attention layers keep at most attention_chunk_size tokens: read as a window of that size.
  if (explicit && explicit.length === L) return explicit.map((x) => (/sliding|chunked/.test(String(x)) ? "sliding" : "full"));
  const r = spec.layerTypes;
  const all = (f: (i: number) => boolean) => Array.from({ length: L }, (_, i) => (f(i) ? ("sliding" as const) : ("full" as const)));
  if (!r || r.rule === "explicit") return all(() => false);
  switch (r.rule) {
    case "alternate":
      return all((i) => i % 2 === 0);
    case "pattern": {
      const raw = c.raw[r.key];
      if (typeof raw === "string" && /^[LG]+$/i.test(raw)) return all((i) => raw[i % raw.length].toUpperCase() === "L");
      const pattern = (typeof raw === "number" ? c.int(r.key) : r.fallback) || r.fallback;
      return all((i) => (i + 1) % pattern !== 0);
    }
    case "from-layer": {
      if (!c.bool(r.when, false) || !c.has("sliding_window")) return all(() => false);
      const from = c.int(r.from, L);
      return all((i) => i >= from);
    }
  }
}

/** The tensors of `count` recurrent mixers (recipes in spec.ts StateMixerSpec), widths from the state shape. */
function addStateMixer(t: TensorList, M: string, s: StateMixerSpec, st: StateShape, c: ConfigReader, h: number, count: number) {
  const projBias = flag(c, s.projBias);
  const convBias = flag(c, s.convBias, true);
  const K = st.convKernel;
  switch (s.layout) {
    case "mamba": {
      const I = st.inner;
      const N = st.stateSize;
      const rank = s.dtRank ? c.raw[s.dtRank] : undefined;
      const R = typeof rank === "number" ? c.int(s.dtRank!) : Math.ceil(h / 16);
      t.linear(`${M}.in_proj`, 2 * I, h, count, projBias);
      t.add(`${M}.conv1d.weight`, "other", [I, 1, K], count);
      if (convBias) t.add(`${M}.conv1d.bias`, "bias", [I], count);
      t.linear(`${M}.x_proj`, R + 2 * N, I, count);
      t.linear(`${M}.dt_proj`, I, R, count, true);
      t.add(`${M}.A_log`, "other", [I, N], count);
      t.add(`${M}.D`, "other", [I], count);
      t.linear(`${M}.out_proj`, h, I, count, projBias);
      if (s.dtNorms) {
        t.norm(`${M}.dt_layernorm`, R, count);
        t.norm(`${M}.b_layernorm`, N, count);
        t.norm(`${M}.c_layernorm`, N, count);
      }
      return;
    }
    case "mamba2": {
      const I = st.inner;
      const conv = st.convChannels;
      const nh = st.heads;
      t.linear(`${M}.in_proj`, I + conv + nh, h, count, projBias);
      t.add(`${M}.conv1d.weight`, "other", [conv, 1, K], count);
      if (convBias) t.add(`${M}.conv1d.bias`, "bias", [conv], count);
      for (const p of ["dt_bias", "A_log", "D"]) t.add(`${M}.${p}`, "other", [nh], count);
      if (flag(c, s.gatedNorm, true)) t.norm(`${M}.norm`, I, count);
      t.linear(`${M}.out_proj`, h, I, count, projBias);
      return;
    }
    case "gdn":
    case "gdn-split": {
      // StateShape for gated DeltaNet: conv over 2·key_dim + value_dim; recurrent [v_heads, dk, dv].
      const [vHeads, , dv] = st.recurrentShape;
      const valueDim = vHeads * dv;
      const keyDim = (st.convChannels - valueDim) / 2;
      if (s.layout === "gdn") {
        t.linear(`${M}.in_proj_qkvz`, 2 * keyDim + 2 * valueDim, h, count);
        t.linear(`${M}.in_proj_ba`, 2 * vHeads, h, count);
      } else {
        t.linear(`${M}.in_proj_qkv`, 2 * keyDim + valueDim, h, count);
        t.linear(`${M}.in_proj_z`, valueDim, h, count);
        t.linear(`${M}.in_proj_b`, vHeads, h, count);
        t.linear(`${M}.in_proj_a`, vHeads, h, count);
      }
      t.add(`${M}.conv1d.weight`, "other", [st.convChannels, 1, K], count);
      t.add(`${M}.dt_bias`, "other", [vHeads], count);
      t.add(`${M}.A_log`, "other", [vHeads], count);
      t.norm(`${M}.norm`, dv, count);
      t.linear(`${M}.out_proj`, h, valueDim, count);
      return;
    }
    case "short_conv": {
      t.linear(`${M}.in_proj`, 3 * h, h, count, convBias);
      t.add(`${M}.conv.weight`, "other", [h, 1, K], count);
      if (convBias) t.add(`${M}.conv.bias`, "bias", [h], count);
      t.linear(`${M}.out_proj`, h, h, count, convBias);
      return;
    }
    case "by-extra":
      return;
    case "lightning": {
      const [heads, hd] = st.recurrentShape;
      const w = heads * hd;
      t.linear(`${M}.qkv_proj`, 3 * w, h, count);
      t.linear(`${M}.output_gate`, w, h, count);
      t.norm(`${M}.norm`, w, count);
      t.linear(`${M}.out_proj`, h, w, count);
      return;
    }
  }
}
