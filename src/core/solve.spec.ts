import { describe, expect, it } from "vitest";
import { estimate, leverForTight, maxBatch, maxSeq } from "../index.js";

describe("solvers answer at the high bound", () => {
  it("max-batch: the answer's high bound fits and the next batch's does not", () => {
    const r = maxBatch("qwen2.5-7b", { seq: 4096, gpu: "a100-80gb" });
    expect(r.value).toBeGreaterThan(1);
    expect(estimate("qwen2.5-7b", { seq: 4096, batch: r.value, gpu: "a100-80gb" }).gpu!.verdict).toBe("fits");
    expect(estimate("qwen2.5-7b", { seq: 4096, batch: r.value + 1, gpu: "a100-80gb" }).gpu!.verdict).not.toBe("fits");
    expect(r.central_value).toBeGreaterThanOrEqual(r.value);
  });
  it("max-seq works for training too", () => {
    const r = maxSeq("llama-3.2-1b", { mode: "train", gpu: "a100-80gb" });
    expect(r.value).toBeGreaterThan(0);
    expect(estimate("llama-3.2-1b", { mode: "train", seq: r.value, gpu: "a100-80gb" }).gpu!.verdict).toBe("fits");
  });
});

describe("a tight verdict names the change that closes it", () => {
  it("the lever's options make even the high bound fit", () => {
    const opts = { seq: 32768, gpu: "rtx-4090" } as const;
    expect(estimate("llama-3.1-8b", opts).gpu!.verdict).toBe("tight");
    const lever = leverForTight("llama-3.1-8b", opts)!;
    expect(lever).not.toBeNull();
    expect(estimate("llama-3.1-8b", lever.options).gpu!.verdict).toBe("fits");
  });
  it("a tight job at sequence 1 and batch 1 is not an error (full fine-tuning of a 1B model on 24 GB)", () => {
    const opts = { mode: "train", seq: 1, gpu: "rtx-4090" } as const;
    expect(estimate("llama-3.2-1b", opts).gpu!.verdict).toBe("tight");
    expect(() => leverForTight("llama-3.2-1b", opts)).not.toThrow();
  });
  it("no lever is offered when the verdict is not tight", () => {
    expect(leverForTight("llama-3.2-1b", { seq: 1024, gpu: "a100-80gb" })).toBeNull();
  });
});
