/**
 * The page's first load has the inference runtimes only: the training stacks and the model families
 * (vision, diffusion) load on demand (./estimator.ts). These checks are what make that invisible: a
 * language model's inference numbers, the fields it shows, and the meaning of every name the first load
 * resolves are the same as with everything loaded; training waits for its stacks.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { catalogModelEntries } from "../../src/catalog/models.js";
import { defaultEstimator } from "../../src/default-estimator.js";
import { parseParameterCount } from "../../src/models/param-count.js";
import { FAMILIES, TRAINING } from "../../src/profiles.js";
import { ensureFull, isKnownModel, modelFor, needsFamilies, needsLoading, searchModels } from "./engine.js";
import { DEFERRED_TRAINING, est, fullLoaded, LOADING_TRAINING } from "./estimator.js";
import { FIELDS, visibleFields, type Field, type FieldContext } from "./fields.js";
import { linkNeedsMore } from "./url-state.js";

const firstLoad = est;

/** Language-model inference workloads across runtimes and the options with the most effect. */
const WORKLOADS: Record<string, unknown>[] = [
  {},
  { batch: 4, seq: 8192, kv_dtype: "fp8" },
  { runtime: "vllm" },
  { runtime: "llama.cpp", quant: "q4_k_m" },
  { runtime: "sglang", quant: "awq" },
  { runtime: "ollama", seq: 32768 },
];

const sameOutcome = (a: () => unknown, b: () => unknown) => {
  const run = (f: () => unknown) => {
    try {
      return { ok: f() };
    } catch (e) {
      return { err: e instanceof Error ? `${e.constructor.name}: ${e.message}` : String(e) };
    }
  };
  expect(run(a)).toEqual(run(b));
};

describe("first load (no model families)", () => {
  it("knows the catalog and parameter counts; family names wait for the families", () => {
    expect(fullLoaded()).toBe(false);
    expect(DEFERRED_TRAINING.id).toBe(TRAINING[0].id);
    expect(needsLoading({ model: "llama-3.1-8b", opts: {} })).toBe(false);
    expect(needsLoading({ model: "llama-3.1-8b", opts: { mode: "train" } })).toBe(true);
    expect(() => firstLoad.estimate("llama-3.1-8b", { mode: "train", gpu: "rtx-4090" })).toThrow(LOADING_TRAINING);
    expect(needsFamilies("llama-3.1-8b")).toBe(false);
    expect(needsFamilies("7b")).toBe(false);
    expect(needsFamilies("hf:acme/model-1")).toBe(false);
    expect(needsFamilies("resnet50")).toBe(true);
    expect(isKnownModel("llama-3.1-8b")).toBe(true);
    expect(() => modelFor("resnet50")).toThrow(/^reading the vision and diffusion models/);
    expect(searchModels("yolov8")).toEqual([]);
    expect(linkNeedsMore("model=llama-3.1-8b&gpu=rtx-4090&batch=4&runtime=vllm", needsFamilies)).toBe(false);
    expect(linkNeedsMore("model=llama-3.1-8b&2.model=resnet50", needsFamilies)).toBe(true);
    expect(linkNeedsMore("model=llama-3.1-8b&image=640", needsFamilies)).toBe(true);
    expect(linkNeedsMore("model=llama-3.1-8b&runtime=llama.cpp&quant=q4_k_m", needsFamilies)).toBe(false);
    expect(linkNeedsMore("model=llama-3.1-8b&mode=train&lora_rank=16", needsFamilies)).toBe(true); // a training field
  });

  it("no catalog name (id, Hub id, alias, variant) and no parameter count is a family's name", () => {
    const keys = catalogModelEntries().flatMap((e) => [e.id, e.hf_id, ...(e.aliases ?? []), ...(e.variants ?? []).flatMap((v) => [v.id, v.hf_id, ...(v.aliases ?? [])])]);
    for (const k of keys) for (const f of FAMILIES) expect(f.resolveName?.(k), `${k} is also a ${f.id} name`).toBeUndefined();
    for (const f of FAMILIES) for (const b of f.builtins?.() ?? []) expect(parseParameterCount(b.id), b.id).toBeNull();
    fc.assert(
      fc.property(fc.tuple(fc.integer({ min: 1, max: 9999 }), fc.constantFrom("", ".5", ".25"), fc.constantFrom("m", "b", "k", "M", "B", "t")), ([n, frac, unit]) => {
        const s = `${n}${frac}${unit}`;
        fc.pre(parseParameterCount(s) != null);
        for (const f of FAMILIES) expect(f.resolveName?.(s), s).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });

  it("gives every catalog model the default estimator's inference numbers (and the same refusals)", () => {
    // Every model with the page's defaults; the other workloads and the batch limit on every 8th model (the suite's time budget).
    for (const [i, e] of catalogModelEntries().entries()) {
      for (const w of i % 8 === 0 ? WORKLOADS : WORKLOADS.slice(0, 1)) {
        const o = { ...w, gpu: "a100-80gb" };
        sameOutcome(() => firstLoad.estimate(e.id, o), () => defaultEstimator.estimate(e.id, o));
      }
      if (i % 8 === 0) sameOutcome(() => firstLoad.maxBatch(e.id, { gpu: "rtx-4090" }, 1 << 14).value, () => defaultEstimator.maxBatch(e.id, { gpu: "rtx-4090" }, 1 << 14).value);
    }
    for (const spec of ["7b", "350m", "70b"]) sameOutcome(() => firstLoad.estimate(spec, { gpu: "rtx-4090" }), () => defaultEstimator.estimate(spec, { gpu: "rtx-4090" }));
  });

  it("loading the rest changes no inference field of a language model, and adds the training and family fields", async () => {
    // Compared as shown: the choices offered here (a select's full list, which a link may name, also holds the
    // families' values once they load), the rest of the field less its help text (a tooltip that joins every
    // owner's line, so it grows by the families' once they load).
    const strip = (f: Field) => JSON.stringify({ ...f, help: undefined, choices: undefined, when: undefined, choicesFor: undefined, pattern: "pattern" in f ? String(f.pattern) : undefined });
    const contexts: FieldContext[] = WORKLOADS.map((w) => ({ family: "llm", mode: String(w.mode ?? "infer"), runtime: String(w.runtime ?? ""), opts: w as FieldContext["opts"] }));
    const view = () => contexts.map((c) => visibleFields(c).map((f) => [strip(f), f.kind === "select" ? (f.choicesFor?.(c) ?? f.choices) : null]));
    const before = view();
    const keysBefore = FIELDS.map((f) => f.key);
    await ensureFull();
    expect(est).toBe(defaultEstimator);
    expect(view()).toEqual(before);
    expect(FIELDS.map((f) => f.key)).toEqual(expect.arrayContaining([...keysBefore, "image", "lora_rank", "framework"]));
    expect(needsLoading({ model: "llama-3.1-8b", opts: { mode: "train" } })).toBe(false);
    expect(searchModels("yolov8")[0].family).toBe("vision");
    expect(modelFor("resnet50").family).toBe("vision");
    expect(needsFamilies("resnet50")).toBe(false);
  });
});
