/**
 * The one interpreter of architecture entries (spec.ts): config.json + entry → tensor groups and the
 * transformer shape. Everything model-specific lives in the entries; this file only knows the layouts.
 */
import { VramfitError } from "../../core/errors.js";
import type { MlaShape, MoeShape, TransformerShape } from "../../core/model.js";
import { ConfigReader } from "../config-reader.js";
import { TensorList } from "../tensor-list.js";
import type { ArchEntry, ArchSpec, Dims, Flag, KeyMap, MlpSpec, MoeLayerRule, MoeSpec, Names, NormKind } from "./spec.js";

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
  const L = c.int([...k.L]);
  const H = c.int([...k.H]);
  if (H === 0) throw new VramfitError("invalid_file", `${where(c)}: "${k.H[0]}" must be positive`);
  const dims: Dims = {
    h,
    L,
    H,
    kv: c.int([...k.kv], H) || H,
    d: c.int([...k.d], Math.floor(h / H)) || Math.floor(h / H),
    V: c.int([...k.V]),
    I: c.int([...k.I], (spec.ffnMult ?? 4) * h) || (spec.ffnMult ?? 4) * h,
    maxPos: c.int([...k.maxPos], 2048),
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
export function buildFromSpec(entry: ArchEntry, raw: Record<string, unknown>, where: string, nested = false): Built {
  const spec = flatten(entry);
  const c = withDefaults(spec, raw, where, nested);
  const dims = readDims(spec, c);
  const { h, L, H, kv, d, V, I } = dims;
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

  for (const n of names(c, spec.norms.pre)) addNorm(t, `${P}.${n}`, h, L, nk);
  const mla = addAttention(t, spec, c, dims);
  for (const n of names(c, spec.norms.mid)) addNorm(t, `${P}.${n}`, h, L, nk);
  addMlp(t, join(P, spec.mlp.prefix), spec.mlp, c, h, I, L - moeLayers);
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
    layers: L,
    hidden: h,
    heads: H,
    kvHeads: mla ? 1 : kv,
    headDim: mla ? mla.kvLoraRank + mla.qkRopeHeadDim : d,
    vocab: V,
    intermediate: I,
    mlp: spec.mlp.kind === "plain" ? "plain" : "gated",
    activation: dims.act,
    norm: nk === "rms" ? "rms" : "layer",
    tiedEmbeddings: tie,
    maxPositions: dims.maxPos,
    layerTypes,
    slidingWindow: layerTypes.includes("sliding") ? c.int(spec.slidingWindow?.key ?? "sliding_window", spec.slidingWindow?.fallback ?? 4096) : null,
    moe,
    mla,
    encoderOnly: spec.encoderOnly ?? false,
    attentionDropout: firstNum(c, spec.dropout?.attention ?? ["attention_dropout"], 0),
    hiddenDropout: firstNum(c, spec.dropout?.hidden ?? [], 0),
  };
  return { shape, tensors: t, warnings };
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
function addAttention(t: TensorList, spec: ArchSpec, c: ConfigReader, dims: Dims): MlaShape | null {
  const a = spec.attention;
  const { h, L, H, kv, d } = dims;
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

function addExperts(t: TensorList, P: string, s: MoeSpec, moe: MoeShape, c: ConfigReader, h: number) {
  const { experts: E, expertIntermediate: Ie, moeLayers: n } = moe;
  const B = join(P, s.prefix);
  const X = join(B, s.expertsPath ?? "experts");
  const ex = { expert: true };
  t.linear(`${B}.${s.router}`, E, h, n, s.routerBias ?? false, { kind: "router" });
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
      addMlp(t, `${B}.${sh.name}`, m, c, h, width, n);
      if (sh.gate) t.linear(`${B}.${sh.gate}`, 1, h, n, false, { kind: "router" });
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
      if (!list || list.length !== L) return all(() => true);
      return list.map((x) => x === true || x === 1 || x === "sparse" || x === "moe");
    }
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
  if (explicit && explicit.length === L) return explicit.map((x) => (String(x).includes("sliding") ? "sliding" : "full"));
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
