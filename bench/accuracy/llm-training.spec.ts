/**
 * Published training measurements (bench/accuracy/llm-training-published.jsonl): every case is estimated
 * with its exact configuration and compared at the level the source measured, against the issue's
 * targets: every case within 10 %, the median within 5 %.
 */
import { describe, expect, it } from "vitest";
import { loadTrainingCases, median, trainingAccuracyRows } from "./llm-training.js";

describe("training accuracy against published measurements", () => {
  const cases = loadTrainingCases();
  const rows = trainingAccuracyRows(cases);

  it("every case cites its source and quotes the measured line", () => {
    expect(cases.length).toBeGreaterThanOrEqual(12);
    for (const c of cases) {
      expect(c.source_url).toMatch(/^https:\/\/github\.com\/.+\/blob\/[0-9a-f]{40}\//);
      expect(c.quote.length).toBeGreaterThan(5);
      expect(c.measured.bytes).toBeGreaterThan(0);
    }
  });

  it("every case within 10 %, the median within 5 %", () => {
    for (const r of rows) expect(Math.abs(r.error), r.id).toBeLessThan(0.1);
    expect(median(rows.map((r) => Math.abs(r.error)))).toBeLessThan(0.05);
  });
});
