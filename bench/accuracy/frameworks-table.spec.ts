import { describe, expect, it } from "vitest";
import type { CategoryCalibration } from "./calibrate.js";
import type { CaseResult, Evaluation } from "./cases.js";
import { frameworkOf, frameworkTable } from "./frameworks-table.js";

const result = (id: string, framework: string | undefined, source: string, error: number, category = "lora_qlora", workloadFramework?: string): CaseResult =>
  ({
    case: { id, source, framework, workload: workloadFramework ? { framework: workloadFramework } : {} },
    error,
    bandCategory: category,
    excluded: null,
  }) as unknown as CaseResult;

describe("accuracy per training framework", () => {
  it("groups calibrating training cases by the framework modelled, with out-of-source coverage", () => {
    const ev = {
      results: [
        result("a", "trl", "s1", 0.1),
        result("b", "trl", "s2", -0.3),
        result("c", "peft", "s3", 0.05, "lora_qlora", "unsloth"),
        result("d", "vllm", "s4", 0.5, "vllm"), // not training: left out
      ],
      pending: [],
    } as unknown as Evaluation;
    const cals = [{ category: "lora_qlora", outside: ["b"] }] as unknown as CategoryCalibration[];
    const rows = frameworkTable(ev, cals);
    expect(rows).toHaveLength(4);
    expect(rows[2]).toBe("| trl | 2 | 2 | 20.0% | -30.0% | 1/2 (50%) |");
    expect(rows[3]).toBe("| unsloth | 1 | 1 | 5.0% | +5.0% | 1/1 (100%) |");
    expect(frameworkOf(ev.results[2])).toBe("unsloth");
  });
});
