/**
 * Published single-GPU training measurements (bench/accuracy/llm-training-published.jsonl), through the
 * case loader: every active case within 10 %, the median within 5 % (transformers' perf-doc BERT-large
 * runs today; torchtune's rows wait on options for torch.compile and packing).
 */
import { describe, expect, it } from "vitest";
import { median, trainingResults } from "./llm-training.js";

describe("training accuracy against published measurements", () => {
  const { results, pending } = trainingResults();

  it("every case cites its source and quotes the measured line", () => {
    for (const r of [...results.map((x) => x.case), ...pending.map((x) => x.case)]) {
      expect(r.source_url).toMatch(/^https:\/\/github\.com\/.+\/blob\/[0-9a-f]{40}\//);
      expect(r.quote!.length).toBeGreaterThan(5);
    }
    expect(results.length + pending.length).toBe(12);
    expect(results.length).toBeGreaterThanOrEqual(9);
  });

  it("every active case within 10 %, the median within 5 %", () => {
    for (const r of results) expect(Math.abs(r.error), r.case.id).toBeLessThan(0.1);
    expect(median(results.map((r) => Math.abs(r.error)))).toBeLessThan(0.05);
  });
});
