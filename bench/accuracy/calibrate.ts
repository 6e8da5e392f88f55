/**
 * Derives the error bands in src/core/bands.json from the accuracy cases, calibrated out of source.
 *
 * Per band category (the one the estimator reports: llm_inference, vllm, llamacpp, lora_qlora, ...):
 *  1. Each active case that calibrates (not low confidence, not an engine's own estimate, not flagged
 *     impossible) gives one observation. A component a source measured on its own (vLLM's weights line,
 *     llama.cpp's KV buffer) gives its ratio measured/estimate; a total gives, as before,
 *     measured ≈ exact·(1+e) + uncertain·k: where the uncertain components (activations, workspaces,
 *     allocator, context) are ≥ 10 % of the measurement it tells k, otherwise e.
 *  2. A band is fitted from observations by weighted quantiles (each source weighs the same, however many
 *     cases it has) at a quantile level q, then stretched away from "exact" by a factor s. A component id
 *     measured on its own by at least 3 sources gets its own range; a pool (k, e) resting on fewer than 3
 *     sources gets the wide default band (or its envelope stretched, if wider), labelled as such.
 *  3. Out-of-source protocol: every source in turn is left out (all its cases together), the band is fitted
 *     on the others, and its cases are checked against it, with the band applied exactly as the estimator
 *     applies it (componentRange; widened when no attention was stated). For each (q, s) on a grid this
 *     gives each case's out-of-source range; the low and high sides are chosen apart, the narrowest pair
 *     whose misses leave 90 % inside wins, and the committed band takes each side from the fit on all
 *     sources at its (q, s).
 *
 *   npx tsx bench/accuracy/calibrate.ts          writes src/core/bands.json
 *   npx tsx bench/accuracy/calibrate.ts --check  prints the coverage only, writes nothing
 */
import fs from "node:fs";
import path from "node:path";
import type { Band, Category } from "../../src/core/uncertainty.js";
import { componentClass, componentRange, DEFAULT_BAND, widen } from "../../src/core/uncertainty.js";
import { ACCURACY_DIR, evaluateAll, type CaseResult } from "./cases.js";

/** Out-of-source coverage every category aims for. */
export const TARGET = 0.9;
/** Below this many independent sources a pool (or a category) is not calibrated: wide default band. */
export const MIN_SOURCES = 3;
/** Uncertain components at least this share of a measured total: the case tells k, else e. */
export const UNCERTAIN_SHARE = 0.1;
/** Relative slack always allowed: published figures are rounded (llama.cpp prints MiB to 2 decimals, vLLM GiB). */
export const EXACT_FLOOR = 0.001;
/** The attention-unstated widening the estimator applies (src/core/estimator.ts withBands). */
export const ATTENTION_WIDEN = 1.25;

/** Grid of quantile levels, widest first: where candidates tie (a pool never fitted out of source), the envelope stays. */
export const QUANTILES = [1, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.6, 0.5] as const;
export const STRETCHES = [1, 1.1, 1.25, 1.5, 2, 3, 4] as const;

export interface Part {
  id: string;
  bytes: number;
}

/** One measured figure, reduced to what calibration needs. */
export interface Observation {
  id: string;
  source: string;
  category: Category;
  /** The component measured on its own, or null for a total. */
  component: string | null;
  /** The estimate's components that make up the measured figure. */
  parts: Part[];
  measured: number;
  estimate: number;
  /** The estimator widens this case's band (no attention implementation stated). */
  widened: boolean;
  /** Why it is scored but does not calibrate (null: it calibrates). */
  excluded: string | null;
}

const LEVELS: Record<string, string[]> = { allocated: ["allocated"], reserved: ["allocated", "reserved"], device: ["allocated", "reserved", "device"] };

export function observe(r: CaseResult): Observation {
  const lv = r.case.measured.level;
  let parts: Part[];
  if (lv === "component") {
    parts = [{ id: r.case.measured.component!, bytes: r.estimateBytes }];
  } else {
    const levels = LEVELS[lv];
    parts = r.estimate.components.filter((c) => c.location !== "cpu" && levels.includes(c.level)).map((c) => ({ id: c.id, bytes: c.bytes }));
  }
  return {
    id: r.case.id,
    source: r.case.source,
    category: r.bandCategory,
    component: lv === "component" ? r.case.measured.component! : null,
    parts,
    measured: r.measuredBytes,
    estimate: r.estimateBytes,
    widened: r.attentionUnstated,
    excluded: r.excluded,
  };
}

const isExact = (id: string) => componentClass({ id } as never) === "exact";

// ---------------------------------------------------------------------------------------------------
// Fitting

interface Sample {
  value: number;
  source: string;
}

/** Weighted quantile, each source weighing the same: the smallest value whose cumulative weight reaches t. */
export function sourceQuantile(samples: Sample[], t: number): number {
  const perSource = new Map<string, number>();
  for (const s of samples) perSource.set(s.source, (perSource.get(s.source) ?? 0) + 1);
  const sorted = [...samples].sort((a, b) => a.value - b.value);
  const total = perSource.size;
  let cum = 0;
  for (const s of sorted) {
    cum += 1 / perSource.get(s.source)! / total;
    if (cum >= t - 1e-12) return s.value;
  }
  return sorted[sorted.length - 1].value;
}

const nSources = (samples: Sample[]) => new Set(samples.map((s) => s.source)).size;

/** A multiplier range around 1 from samples of measured/estimate. */
function multiplierRange(samples: Sample[], q: number, s: number): [number, number] {
  const lo = Math.min(1 - EXACT_FLOOR, sourceQuantile(samples, 1 - q));
  const hi = Math.max(1 + EXACT_FLOOR, sourceQuantile(samples, q));
  return [Math.max(0, 1 - (1 - lo) * s), 1 + (hi - 1) * s];
}

/** A relative-slack range around 0 from samples of (measured − estimate)/estimate. */
function slackRange(samples: Sample[], q: number, s: number): [number, number] {
  const lo = Math.min(-EXACT_FLOOR, sourceQuantile(samples, 1 - q));
  const hi = Math.max(EXACT_FLOOR, sourceQuantile(samples, q));
  return [Math.max(-1, lo * s), hi * s];
}

/**
 * Fits one category's band on the given (calibrating) observations at quantile level q and stretch s. A pool
 * (k, e, or one component measured on its own) resting on fewer than MIN_SOURCES sources is not fitted: it
 * gets the wide default range, the same inside the out-of-source protocol as in the committed band. A
 * category on fewer than MIN_SOURCES sources is the default band throughout. `final` adds the notes.
 */
export function fitBand(obs: Observation[], q: number, s: number, final = false): Band {
  const sources = new Set(obs.map((o) => o.source));
  const few = sources.size < MIN_SOURCES;
  const byComponent = new Map<string, Sample[]>();
  for (const o of obs) {
    if (o.component === null || o.estimate <= 0) continue;
    const list = byComponent.get(o.component) ?? [];
    list.push({ value: o.measured / o.estimate, source: o.source });
    byComponent.set(o.component, list);
  }
  // A component measured on its own calibrates its own range, never the class pools of the totals (a
  // component whose meaning differs between versions must not widen every other overhead).
  const components: Record<string, [number, number]> = {};
  const fewComponents: string[] = [];
  for (const [id, samples] of byComponent) {
    if (!few && nSources(samples) >= MIN_SOURCES) components[id] = multiplierRange(samples, q, s);
    else {
      fewComponents.push(`${id} (${nSources(samples)})`);
      components[id] = isExact(id) ? [1 + DEFAULT_BAND.exact[0], 1 + DEFAULT_BAND.exact[1]] : ([...DEFAULT_BAND.uncertain] as [number, number]);
    }
  }

  const k: Sample[] = [];
  const e: Sample[] = [];
  for (const o of obs) {
    if (o.component !== null) continue;
    let exact = 0;
    let uncertain = 0;
    for (const p of o.parts) {
      if (Object.hasOwn(components, p.id) || isExact(p.id)) exact += p.bytes;
      else uncertain += p.bytes;
    }
    if (uncertain >= UNCERTAIN_SHARE * o.measured) k.push({ value: (o.measured - exact) / uncertain, source: o.source });
    else if (exact > 0) e.push({ value: (o.measured - exact - uncertain) / exact, source: o.source });
  }
  const kFit = !few && nSources(k) >= MIN_SOURCES;
  const eFit = !few && nSources(e) >= MIN_SOURCES;
  const band: Band = {
    uncertain: kFit ? multiplierRange(k, q, s) : ([...DEFAULT_BAND.uncertain] as [number, number]),
    exact: eFit ? slackRange(e, q, s) : ([...DEFAULT_BAND.exact] as [number, number]),
    ...(Object.keys(components).length ? { components: sortKeys(components) } : {}),
    cases: obs.length,
    sources: sources.size,
    source: few ? "default" : "measured",
  };
  if (final) {
    const notes: string[] = [];
    if (few) notes.push(`rests on ${sources.size} source(s) (${obs.length} case(s)): a wide default band, not calibrated out of source`);
    else {
      if (!kFit) notes.push(`activations and overheads: ${k.length ? `measured totals from ${nSources(k)} source(s) only` : "no measured total"}, so their range is the wide default`);
      if (!eFit && e.length) notes.push(`weights-dominated totals from ${nSources(e)} source(s) only: their slack is the default`);
      if (fewComponents.length) notes.push(`components measured on their own by fewer than 3 sources keep the default range: ${fewComponents.join(", ")}`);
    }
    if (notes.length) band.note = notes.join("; ");
  }
  return band;
}

function union(a: [number, number], b: [number, number]): [number, number] {
  return [Math.min(a[0], b[0]), Math.max(a[1], b[1])];
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

// ---------------------------------------------------------------------------------------------------
// Checking

/** The [low, high] the estimator would give this observation's measured figure under a band. */
export function rangeOf(o: Observation, band: Band): [number, number] {
  const b = o.widened ? widen(band, ATTENTION_WIDEN) : band;
  let lo = 0;
  let hi = 0;
  for (const p of o.parts) {
    const [l, h] = componentRange(p, b);
    lo += l;
    hi += h;
  }
  return [lo, hi];
}

export function inside(o: Observation, band: Band): boolean {
  const [lo, hi] = rangeOf(o, band);
  return o.measured >= lo && o.measured <= hi;
}

export interface CategoryCalibration {
  category: Category;
  band: Band;
  /** Calibrating observations and how many fell inside the band fitted without their source. */
  n: number;
  covered: number;
  sources: number;
  /** Mean width score under the out-of-source bands (what the narrowest choice minimises). */
  meanWidth: number;
  /** Quantile level and stretch of the low side and of the high side. */
  quantile: [number, number];
  stretch: [number, number];
  outside: string[];
  /** Scored-only observations (excluded from calibration) inside the committed band. */
  excludedN: number;
  excludedCovered: number;
}

/**
 * How far a bound lies from the estimate, for the figure it brackets: log(1 + |bound − estimate| / measured).
 * Scale-free, and a component whose band is many times its size (vLLM's non-torch memory) does not drown
 * the rest. The width of a range is the sum of its two sides.
 */
export function sideScore(bound: number, estimate: number, measured: number): number {
  return Math.log1p(Math.abs(bound - estimate) / measured);
}

/** Each observation's out-of-source range at (q, s): every source left out in turn, its cases checked against the band fitted on the others. */
export function leaveSourceOut(obs: Observation[], q: number, s: number): [number, number][] {
  const ranges: [number, number][] = new Array(obs.length);
  for (const src of new Set(obs.map((o) => o.source))) {
    const band = fitBand(
      obs.filter((o) => o.source !== src),
      q,
      s,
    );
    obs.forEach((o, i) => {
      if (o.source === src) ranges[i] = rangeOf(o, band);
    });
  }
  return ranges;
}

const estimateOf = (o: Observation) => o.parts.reduce((a, p) => a + p.bytes, 0);

/**
 * The narrowest band reaching the target out of source. The low and the high side are chosen apart (a
 * low bound only misses figures below it, a high bound only those above): over the (q, s) grid, the pair of
 * sides with the smallest summed width whose misses together leave at least 90 % inside; where no pair
 * reaches it, the pair with the fewest misses. The committed band takes each side from the fit on all
 * sources at its (q, s).
 */
export function calibrateCategory(category: Category, all: Observation[]): CategoryCalibration {
  const obs = all.filter((o) => o.category === category && o.excluded === null);
  const scoredOnly = all.filter((o) => o.category === category && o.excluded !== null);
  const grid: { q: number; s: number; ranges: [number, number][] }[] = [];
  for (const q of QUANTILES) for (const s of STRETCHES) grid.push({ q, s, ranges: leaveSourceOut(obs, q, s) });
  const side = (g: (typeof grid)[number], which: 0 | 1) => {
    let miss = 0;
    let width = 0;
    obs.forEach((o, i) => {
      const b = g.ranges[i][which];
      if (which === 0 ? o.measured < b : o.measured > b) miss++;
      width += sideScore(b, estimateOf(o), o.measured);
    });
    return { miss, width };
  };
  const lows = grid.map((g) => side(g, 0));
  const highs = grid.map((g) => side(g, 1));
  const allowed = Math.floor((1 - TARGET) * obs.length + 1e-9);
  let best: { a: number; b: number; miss: number; width: number } | null = null;
  for (let a = 0; a < grid.length; a++) {
    for (let b = 0; b < grid.length; b++) {
      const miss = lows[a].miss + highs[b].miss;
      const width = lows[a].width + highs[b].width;
      const cand = { a, b, miss, width };
      if (!best) best = cand;
      else if (miss <= allowed) {
        if (best.miss > allowed || width < best.width - 1e-12) best = cand;
      } else if (best.miss > allowed && (miss < best.miss || (miss === best.miss && width < best.width - 1e-12))) best = cand;
    }
  }
  const lo = grid[best!.a];
  const hi = grid[best!.b];
  const band = combine(fitBand(obs, lo.q, lo.s, true), fitBand(obs, hi.q, hi.s, true));
  const outside = obs.filter((o, i) => o.measured < lo.ranges[i][0] || o.measured > hi.ranges[i][1]).map((o) => o.id);
  band.fit = { quantile: [lo.q, hi.q], stretch: [lo.s, hi.s], inside: obs.length - outside.length, checked: obs.length };
  return {
    category,
    band,
    n: obs.length,
    covered: obs.length - outside.length,
    sources: new Set(obs.map((o) => o.source)).size,
    meanWidth: best!.width / Math.max(1, obs.length),
    quantile: [lo.q, hi.q],
    stretch: [lo.s, hi.s],
    outside,
    excludedN: scoredOnly.length,
    excludedCovered: scoredOnly.filter((o) => inside(o, band)).length,
  };
}

/** The low side of one band with the high side of another (both fitted on the same observations). */
function combine(low: Band, high: Band): Band {
  const components = low.components
    ? Object.fromEntries(Object.entries(low.components).map(([id, r]) => [id, [r[0], high.components![id][1]] as [number, number]]))
    : undefined;
  return {
    ...high,
    uncertain: [low.uncertain[0], high.uncertain[1]],
    exact: [low.exact[0], high.exact[1]],
    ...(components ? { components } : {}),
  };
}

export function calibrateAll(obs: Observation[]): CategoryCalibration[] {
  const cats = [...new Set(obs.filter((o) => o.excluded === null).map((o) => o.category))].sort();
  return cats.map((c) => calibrateCategory(c, obs));
}

export function bandsOf(cals: CategoryCalibration[]): Record<Category, Band> {
  return Object.fromEntries(cals.map((c) => [c.category, c.band]));
}

export function collectObservations(): Observation[] {
  return evaluateAll().results.map(observe);
}

export const BANDS_FILE = path.resolve(ACCURACY_DIR, "../../src/core/bands.json");

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(ACCURACY_DIR, "calibrate.ts")) {
  const cals = calibrateAll(collectObservations());
  let n = 0;
  let covered = 0;
  for (const r of cals) {
    n += r.n;
    covered += r.covered;
    console.log(
      `${r.category.padEnd(18)} ${String(r.covered).padStart(4)}/${String(r.n).padEnd(4)} inside out of source (${r.sources} sources; low q ${r.quantile[0]} × ${r.stretch[0]}, high q ${r.quantile[1]} × ${r.stretch[1]}), width score ${r.meanWidth.toFixed(3)}${r.band.source === "default" ? " [wide default]" : ""}`,
    );
  }
  console.log(`all                ${covered}/${n} (${((covered / Math.max(1, n)) * 100).toFixed(1)}%)`);
  if (!process.argv.includes("--check")) {
    fs.writeFileSync(BANDS_FILE, JSON.stringify(bandsOf(cals), null, 2) + "\n");
    console.log(`wrote ${path.relative(process.cwd(), BANDS_FILE)}`);
  }
}
