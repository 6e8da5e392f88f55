/**
 * Derives the error bands in src/core/bands.json from the accuracy cases (no guessing):
 * for each case, measured ≈ exact·(1+e) + uncertain·k, where "exact" are the components computed from
 * shapes and dtypes (weights, KV cache, gradients, optimizer states) and "uncertain" the rest
 * (activations, workspaces, allocator, context). Cases where the uncertain part is ≥ 10 % of the
 * measurement tell k; the others tell e. A category's band spans the observed values (and always 1 / 0).
 *   npx tsx bench/accuracy/calibrate.ts          writes src/core/bands.json
 *   npx tsx bench/accuracy/calibrate.ts --check  leave-one-out coverage only, writes nothing
 */
import fs from "node:fs";
import path from "node:path";
import type { Band, Category } from "../../src/core/uncertainty.js";
import { componentClass, DEFAULT_BAND } from "../../src/core/uncertainty.js";
import { ACCURACY_DIR, evaluateCase, loadCases, type CaseResult } from "./cases.js";

export interface Observation {
  id: string;
  category: Category;
  kind: "k" | "e";
  value: number;
  exact: number;
  uncertain: number;
  measured: number;
}

/** Relative slack always allowed on exact components: the rounding of published figures. */
export const EXACT_FLOOR = 0.001;

/**
 * Below this many cases the observed spread understates the true one (and some constants were fitted on
 * the same logs, e.g. llama.cpp's CUDA compute buffer): the uncertain band is at least ±10 %.
 */
export const SMALL_SAMPLE = 10;
export const SMALL_SAMPLE_FLOOR = 0.1;

/** Minimum measured cases before a category's band is trusted over the labelled default. */
export const MIN_CASES = 3;

export function observe(r: CaseResult): Observation | null {
  const lv = r.case.measured.level;
  const category = r.estimate.uncertainty!.category;
  if (lv === "component") {
    // One component measured on its own: it calibrates its own class directly.
    const comp = r.estimate.components.find((c) => c.id === r.case.measured.component);
    if (!comp || r.estimateBytes <= 0) return null;
    const meas = r.measuredBytes;
    return componentClass(comp) === "exact"
      ? { id: r.case.id, category, kind: "e", value: (meas - r.estimateBytes) / r.estimateBytes, exact: r.estimateBytes, uncertain: 0, measured: meas }
      : { id: r.case.id, category, kind: "k", value: meas / r.estimateBytes, exact: 0, uncertain: r.estimateBytes, measured: meas };
  }
  const levels = lv === "allocated" ? ["allocated"] : lv === "reserved" ? ["allocated", "reserved"] : ["allocated", "reserved", "device"];
  let exact = 0;
  let uncertain = 0;
  for (const c of r.estimate.components) {
    if (c.location === "cpu" || !levels.includes(c.level)) continue;
    if (componentClass(c) === "exact") exact += c.bytes;
    else uncertain += c.bytes;
  }
  const meas = r.measuredBytes;
  if (uncertain >= 0.1 * meas) return { id: r.case.id, category, kind: "k", value: (meas - exact) / uncertain, exact, uncertain, measured: meas };
  if (exact <= 0) return null;
  return { id: r.case.id, category, kind: "e", value: (meas - exact - uncertain) / exact, exact, uncertain, measured: meas };
}

export function fitBands(obs: Observation[]): Partial<Record<Category, Band>> {
  const out: Partial<Record<Category, Band>> = {};
  const cats = new Set(obs.map((o) => o.category));
  for (const cat of cats) {
    const o = obs.filter((x) => x.category === cat);
    const ks = o.filter((x) => x.kind === "k").map((x) => x.value);
    const es = o.filter((x) => x.kind === "e").map((x) => x.value);
    const band: Band = {
      uncertain:
        ks.length >= MIN_CASES
          ? ks.length >= SMALL_SAMPLE
            ? [Math.min(1, ...ks), Math.max(1, ...ks)]
            : [Math.min(1 - SMALL_SAMPLE_FLOOR, ...ks), Math.max(1 + SMALL_SAMPLE_FLOOR, ...ks)]
          : DEFAULT_BAND.uncertain,
      // ±0.1 % at least: published figures are rounded (llama.cpp prints MiB to 2 decimals, vLLM GiB).
      exact: es.length ? [Math.min(-EXACT_FLOOR, ...es), Math.max(EXACT_FLOOR, ...es)] : DEFAULT_BAND.exact,
      cases: o.length,
      source: o.length >= MIN_CASES ? "measured" : "default",
    };
    if (ks.length < MIN_CASES) band.note = `${ks.length} case(s) constrain activations and overheads: their band is the wide default`;
    out[cat] = band;
  }
  return out;
}

export function inside(o: Observation, b: Band): boolean {
  const lo = o.exact * (1 + Math.min(0, b.exact[0])) + o.uncertain * Math.min(1, b.uncertain[0]);
  const hi = o.exact * (1 + Math.max(0, b.exact[1])) + o.uncertain * Math.max(1, b.uncertain[1]);
  return o.measured >= lo && o.measured <= hi;
}

/** Leave-one-out: each case is checked against a band fitted without it (honest coverage). */
export function leaveOneOut(obs: Observation[]): { category: Category; n: number; covered: number; outside: string[]; meanWidth: number }[] {
  const cats = [...new Set(obs.map((o) => o.category))].sort();
  return cats.map((cat) => {
    const o = obs.filter((x) => x.category === cat);
    let covered = 0;
    let width = 0;
    const outside: string[] = [];
    for (const x of o) {
      const band = fitBands(obs.filter((y) => y !== x))[cat] ?? DEFAULT_BAND;
      if (inside(x, band)) covered++;
      else outside.push(x.id);
      const lo = x.exact * (1 + Math.min(0, band.exact[0])) + x.uncertain * Math.min(1, band.uncertain[0]);
      const hi = x.exact * (1 + Math.max(0, band.exact[1])) + x.uncertain * Math.max(1, band.uncertain[1]);
      width += (hi - lo) / x.measured;
    }
    return { category: cat, n: o.length, covered, outside, meanWidth: width / Math.max(1, o.length) };
  });
}

export function collectObservations(): Observation[] {
  const obs: Observation[] = [];
  for (const c of loadCases()) {
    try {
      const o = observe(evaluateCase(c));
      if (o) obs.push(o);
    } catch {
      /* reported by report.ts */
    }
  }
  return obs;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(ACCURACY_DIR, "calibrate.ts")) {
  const obs = collectObservations();
  const bands = fitBands(obs);
  for (const r of leaveOneOut(obs)) {
    console.log(`${r.category.padEnd(18)} ${r.covered}/${r.n} inside (leave-one-out), mean width ${(r.meanWidth * 100).toFixed(1)}% ${r.outside.length ? `outside: ${r.outside.join(", ")}` : ""}`);
  }
  if (!process.argv.includes("--check")) {
    const file = path.resolve(ACCURACY_DIR, "../../src/core/bands.json");
    fs.writeFileSync(file, JSON.stringify(bands, null, 2) + "\n");
    console.log(`wrote ${path.relative(process.cwd(), file)}`);
  }
}
