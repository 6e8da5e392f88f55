/**
 * The estimator is built from the profiles it is given: nothing registers itself. These tests build one
 * from fakes and check the wiring: runtime choice, options as data, echo, defaults, levers, errors.
 */
import { z } from "zod";
import { describe, expect, it } from "vitest";
import { VramfitError } from "./errors.js";
import { createEstimator } from "./estimator.js";
import type { TransformerModel } from "./model.js";
import type { PartialEstimate, RuntimeProfile, TrainingProfile } from "./profile.js";

const model: TransformerModel = {
  id: "tiny",
  family: "transformer",
  architecture: "llama",
  parameters: 1000,
  activeParameters: 1000,
  tensors: [{ name: "w", module: "q_proj", kind: "linear", shape: [10, 100], count: 1 }],
  source: { kind: "param-count", ref: "tiny" },
  warnings: [],
  transformer: {
    layers: 1, hidden: 100, heads: 1, kvHeads: 1, headDim: 100, vocab: 10, intermediate: 10, mlp: "gated", activation: "silu",
    norm: "rms", tiedEmbeddings: false, maxPositions: 64, layerTypes: ["full"], slidingWindow: null, moe: null, mla: null,
    encoderOnly: false, attentionDropout: 0, hiddenDropout: 0,
  },
};

const part = (bytes: number): PartialEstimate => ({
  components: [{ id: "activations", label: "Activations", bytes, formula: "fake", level: "allocated" }],
  peak: { phase: "fake", description: "fake" },
  warnings: [],
  assumptions: [],
});

const slots = z.number().int().min(1).optional();
const fakeRuntime: RuntimeProfile<{ slots?: number }> = {
  id: "fake",
  label: "a fake runtime",
  category: "fake_category",
  allowsLongContext: true,
  options: [{ key: "slots", schema: slots, help: "parallel slots", group: "Fake", scope: { families: ["transformer"], modes: ["infer"], runtimes: ["fake"] }, cli: { arg: "int" } }],
  defaults: () => ({ kv_dtype: "fp8" }),
  estimate: (_m, w) => part(1000 * w.batch * (w.slots ?? 1)),
  levers: (w) => (w.batch > 1 ? [{ change: "one sequence", patch: { batch: 1 } }] : []),
};
const otherRuntime: RuntimeProfile = { ...fakeRuntime, id: "other", options: [], allowsLongContext: false, defaults: undefined, claims: (m) => (m.source.kind === "gguf" ? "claimed" : undefined), estimate: () => part(7) };
const fakeTraining: TrainingProfile = { id: "faketrain", label: "fake training", category: () => "fake_train", options: [], estimate: () => part(3) };

describe("createEstimator from fakes", () => {
  const est = createEstimator({ runtimes: [fakeRuntime, otherRuntime], training: [fakeTraining] });

  it("runs the first runtime by default with its own options and defaults, and echoes only what applies", () => {
    const e = est.estimate(model, { batch: 2, slots: 3 });
    expect(e.components[0].bytes).toBe(6000);
    expect(e.workload.runtime).toBe("fake");
    expect(e.workload.slots).toBe(3);
    expect(e.workload.kv_dtype).toBe("fp8");
    expect(e.assumptions).toContain("kv_dtype fp8: fake's default");
    expect(e.uncertainty?.category).toBe("fake_category");
    expect(e.uncertainty?.source).toBe("default"); // no measured band for a fake category: the wide labelled default
  });

  it("validates a profile's options with its schema, and names unknown runtimes", () => {
    expect(() => est.estimate(model, { slots: 0 })).toThrow(VramfitError);
    const err = (() => {
      try {
        est.estimate(model, { runtime: "fakee" });
      } catch (e) {
        return e as VramfitError;
      }
    })();
    expect(err?.code).toBe("invalid_option");
    expect(err?.suggestion).toMatch(/fake/);
  });

  it("a runtime may claim a model; another runtime's options are refused, not dropped (issue #15: strict options)", () => {
    const gguf = { ...model, source: { kind: "gguf" as const, ref: "x.gguf" } };
    const e = est.estimate(gguf, {});
    expect(e.workload.runtime).toBe("other");
    expect(e.assumptions).toContain("claimed");
    expect(e.workload).not.toHaveProperty("slots");
    expect(() => est.estimate(gguf, { slots: 2 })).toThrow(/slots does not apply to other inference.*fake/);
    expect(() => est.estimate(model, { slot: 2 })).toThrow(/unknown option 'slot'/);
  });

  it("refuses a sequence past the context unless the runtime allows it", () => {
    expect(est.estimate(model, { seq: 128 }).workload.seq).toBe(128);
    expect(() => est.estimate(model, { runtime: "other", seq: 128 })).toThrow(/longer than tiny's context/);
  });

  it("trains through the training profile", () => {
    const e = est.estimate(model, { mode: "train" });
    expect(e.components[0].bytes).toBe(3);
    expect(e.uncertainty?.category).toBe("fake_train");
  });

  it("merges every profile's options into one list for the front ends", () => {
    expect(est.options.map((o) => o.key)).toContain("slots");
    expect(est.options.find((o) => o.key === "runtime")?.web?.choices).toEqual(["fake", "other"]);
  });

  it("resolves no names without a resolver, and rejects duplicate profile ids", () => {
    expect(() => est.estimate("tiny")).toThrow(/resolves no names/);
    expect(() => createEstimator({ runtimes: [fakeRuntime, fakeRuntime], training: [fakeTraining] })).toThrow(/two profiles named 'fake'/);
  });

  it("offers the runtime's levers for a tight verdict", () => {
    const gpu = { id: "g", name: "G", vendor: "nvidia", memory_bytes: 12_000, arch: "x" };
    const lever = est.leverForTight(model, { batch: 2, slots: 5, gpu });
    // batch 2 × 5 slots = 10000 B of activations: the wide default band's high bound exceeds 12000; batch 1 fits.
    expect(est.estimate(model, { batch: 2, slots: 5, gpu }).gpu?.verdict).toBe("tight");
    expect(lever?.change).toMatch(/batch 2 → 1|one sequence/);
  });
});
