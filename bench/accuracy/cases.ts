/**
 * Accuracy cases: published or measured peak memory with the exact configuration, in one schema
 * shared by every category. A case file is any bench/accuracy/*.jsonl whose lines have `workload` and
 * `measured`. Each case is estimated with the library and compared with what was measured.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { estimate } from "../../src/index.js";
import type { Estimate } from "../../src/core/estimate-types.js";
import type { ModelDescription } from "../../src/core/model.js";
import { modelFromHfConfig } from "../../src/models/hf-config.js";

export const ACCURACY_DIR = path.dirname(fileURLToPath(import.meta.url));

export interface AccuracyCase {
  id: string;
  category: string;
  source_url?: string;
  quote?: string;
  /** A catalog id, or a config.json under bench/accuracy/configs. */
  model: string | { config: string; id?: string } | { catalog: string };
  workload: Record<string, unknown>;
  /** What was measured: a total (allocated/reserved/device) or one component's bytes. */
  measured: { level: "allocated" | "reserved" | "device" | "component"; component?: string; bytes: number };
  gpu?: string;
  notes?: string;
  file?: string;
}

export interface CaseResult {
  case: AccuracyCase;
  estimateBytes: number;
  measuredBytes: number;
  /** (estimate − measured) / measured */
  error: number;
  baselineBytes: number | null;
  baselineError: number | null;
  estimate: Estimate;
}

export function loadCases(dir = ACCURACY_DIR): AccuracyCase[] {
  const cases: AccuracyCase[] = [];
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith(".jsonl")).sort()) {
    for (const line of fs.readFileSync(path.join(dir, f), "utf8").split("\n")) {
      if (!line.trim()) continue;
      const c = JSON.parse(line);
      if (c.workload && c.measured && typeof c.measured.bytes === "number") cases.push({ ...c, file: f });
    }
  }
  return cases;
}

const configCache = new Map<string, ModelDescription>();

export function caseModel(c: AccuracyCase): string | ModelDescription {
  if (typeof c.model === "string") return c.model;
  if ("catalog" in c.model) return c.model.catalog;
  const file = path.join(ACCURACY_DIR, c.model.config);
  let m = configCache.get(file);
  if (!m) {
    const raw = JSON.parse(fs.readFileSync(file, "utf8"));
    m = modelFromHfConfig(raw, { kind: "config", ref: c.model.config }, { id: c.model.id ?? path.basename(file, ".json") });
    configCache.set(file, m);
  }
  return m;
}

/** The rule of thumb people use today: weights × 1.2 for inference, weights × 4 for training. */
export function ruleOfThumb(e: Estimate): number | null {
  const weights = e.components.find((c) => c.id === "weights")?.bytes;
  if (weights == null) return null;
  return Math.round(weights * (e.workload.mode === "train" ? 4 : 1.2));
}

export function evaluateCase(c: AccuracyCase): CaseResult {
  const e = estimate(caseModel(c), { ...(c.workload as object), ...(c.gpu ? { gpu: c.gpu } : {}) });
  let est: number;
  if (c.measured.level === "component") {
    const comp = e.components.find((x) => x.id === c.measured.component);
    if (!comp) throw new Error(`${c.id}: the estimate has no component '${c.measured.component}'`);
    est = comp.bytes;
  } else {
    est = e.totals[`${c.measured.level}_bytes`];
  }
  const meas = c.measured.bytes;
  const baseline = c.measured.level === "component" ? null : ruleOfThumb(e);
  return {
    case: c,
    estimateBytes: est,
    measuredBytes: meas,
    error: (est - meas) / meas,
    baselineBytes: baseline,
    baselineError: baseline == null ? null : (baseline - meas) / meas,
    estimate: e,
  };
}

export function median(xs: number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
