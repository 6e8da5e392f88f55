// Checks the measurement case files (bench/cases/*.json) that the Python harness in bench/measure runs
// and the accuracy script estimates: ids unique, workloads in vramfit's own vocabulary (values that
// vramfit's workload schema accepts), models that both sides can resolve, and a GPU matrix that covers
// what issue 8 asks to measure.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { defaultEstimator } from "../../src/index.js";
import { workloadSchema } from "../../src/core/workload.js";

const schema = workloadSchema(defaultEstimator.options);

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "../..");
const catalogDir = path.join(repoRoot, "src/catalog/models");

/** Workload keys from the training and vision issues that vramfit's schema may not carry yet. */
const EXTENSION_KEYS: Record<string, (v: unknown) => boolean> = {
  precision: (v) => ["fp32", "amp-bf16", "amp-fp16", "bf16"].includes(v as string),
  optimizer: (v) => ["adamw", "sgd", "sgd-momentum", "adamw-8bit"].includes(v as string),
  optimizer_impl: (v) => ["foreach", "fused", "for-loop"].includes(v as string),
  checkpointing: (v) => typeof v === "boolean",
  qlora: (v) => typeof v === "boolean",
  lora_rank: (v) => Number.isSafeInteger(v) && (v as number) > 0,
  lora_alpha: (v) => typeof v === "number" && v > 0,
  lora_dropout: (v) => typeof v === "number" && v >= 0 && v <= 1,
  // PEFT target_modules: "all-linear" or a comma-separated list of module names.
  lora_targets: (v) => typeof v === "string" && /^(all-linear|[a-z_0-9]+(,[a-z_0-9]+)*)$/.test(v),
  // --image 640 or --image 1333x800 (width x height).
  image: (v) => (Number.isSafeInteger(v) && (v as number) > 0) || (typeof v === "string" && /^\d+x\d+$/.test(v)),
};

/** torchvision model names (torchvision.models.list_models()) that case files may use. */
const TORCHVISION_MODELS = new Set([
  "resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "vit_b_16", "vit_b_32", "vit_l_16",
  "convnext_tiny", "convnext_small", "convnext_base", "efficientnet_b0", "mobilenet_v3_large",
  "mobilenet_v3_small", "swin_t", "fasterrcnn_resnet50_fpn", "maskrcnn_resnet50_fpn",
  "retinanet_resnet50_fpn",
]);
/** timm model names (timm.list_models()) that case files may use. */
const TIMM_MODELS = new Set(["convnext_tiny", "convnext_small", "resnet50", "vit_base_patch16_224", "efficientnet_b0"]);

const CASE_KEYS = new Set(["id", "kind", "source", "model", "layers", "new_tokens", "workload", "note"]);
const KINDS = ["llm_infer", "llm_train", "vision_infer", "vision_train"];

interface Case {
  id: string;
  kind: string;
  source: string;
  model: string;
  layers: number | null;
  new_tokens: number | null;
  workload: Record<string, unknown>;
}

const caseFiles = fs.readdirSync(here).filter((f) => f.endsWith(".json")).sort();

function readCases(file: string): Case[] {
  const doc = JSON.parse(fs.readFileSync(path.join(here, file), "utf8")) as { cases?: unknown };
  if (!Array.isArray(doc.cases)) throw new Error(`${file}: no 'cases' array`);
  return doc.cases as Case[];
}

/** Problems with one case, as readable strings (empty when the case is fine). */
function problems(c: Case): string[] {
  const out: string[] = [];
  for (const k of Object.keys(c)) if (!CASE_KEYS.has(k)) out.push(`unknown case key ${k}`);
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(c.id)) out.push("id must be lower-case letters, digits, . _ -");
  if (!KINDS.includes(c.kind)) out.push(`unknown kind ${c.kind}`);
  const llm = c.kind.startsWith("llm");
  const train = c.kind.endsWith("_train");
  if (c.layers !== null && !(Number.isSafeInteger(c.layers) && c.layers > 0)) out.push("layers must be null or > 0");
  // Models: an LLM is a vramfit catalog id (the harness builds it from that entry's config).
  if (llm) {
    if (c.source !== "transformers") out.push("LLM cases use source transformers");
    if (!fs.existsSync(path.join(catalogDir, `${c.model}.json`))) out.push(`no catalog entry for ${c.model}`);
  } else if (c.source === "torchvision") {
    if (!TORCHVISION_MODELS.has(c.model)) out.push(`unknown torchvision model ${c.model}`);
  } else if (c.source === "timm") {
    if (!TIMM_MODELS.has(c.model)) out.push(`unknown timm model ${c.model}`);
  } else out.push(`unknown source ${c.source}`);
  // Workload: vramfit's keys, values its schema accepts; null means "does not apply".
  const shape = schema.shape as Record<string, { safeParse(v: unknown): { success: boolean } }>;
  for (const [k, v] of Object.entries(c.workload)) {
    if (v === null) continue;
    if (k in shape) {
      if (!shape[k].safeParse(v).success) out.push(`workload.${k}=${JSON.stringify(v)} rejected by vramfit's schema`);
    } else if (k in EXTENSION_KEYS) {
      if (!EXTENSION_KEYS[k](v)) out.push(`workload.${k}=${JSON.stringify(v)} is not a valid value`);
    } else out.push(`unknown workload key ${k}`);
  }
  const w = c.workload;
  if (w.mode !== (train ? "train" : "infer")) out.push(`workload.mode must be ${train ? "train" : "infer"}`);
  if (llm && typeof w.seq !== "number") out.push("LLM cases need workload.seq");
  if (!llm && w.image == null) out.push("vision cases need workload.image");
  if (train && (w.precision == null || w.optimizer == null)) out.push("training cases need precision and optimizer");
  if (c.new_tokens !== null) {
    if (c.kind !== "llm_infer") out.push("new_tokens is for llm_infer only");
    else if (!(typeof w.seq === "number" && w.seq > c.new_tokens)) out.push("seq (prompt + new tokens) must exceed new_tokens");
    if (w.logits !== "last") out.push("generate() keeps logits for the last position only: logits must be 'last'");
  } else if (c.kind === "llm_infer" && w.logits !== "all") {
    out.push("a plain forward returns logits for every position: logits must be 'all'");
  }
  if ((w.quant != null || w.qlora === true) && c.kind === "llm_train" && w.lora_rank == null) {
    out.push("a quantized base trains with LoRA only");
  }
  return out;
}

describe.each(caseFiles)("case file %s", (file) => {
  const cases = readCases(file);

  it("has unique ids", () => {
    const ids = cases.map((c) => c.id);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
    expect(cases.length).toBeGreaterThan(0);
  });

  it("uses vramfit's workload vocabulary and resolvable models", () => {
    const bad = cases.flatMap((c) => problems(c).map((p) => `${c.id}: ${p}`));
    expect(bad).toEqual([]);
  });
});

describe("the checker itself", () => {
  const good: Case = {
    id: "x", kind: "llm_train", source: "transformers", model: "llama-3.2-1b", layers: null, new_tokens: null,
    workload: { mode: "train", batch: 1, seq: 128, dtype: "bf16", precision: "bf16", optimizer: "adamw" },
  };
  it("accepts a well-formed case and rejects each kind of mistake", () => {
    expect(problems(good)).toEqual([]);
    expect(problems({ ...good, model: "no-such-model" })).toHaveLength(1);
    expect(problems({ ...good, workload: { ...good.workload, dtype: "fp8" } })).toHaveLength(1);
    expect(problems({ ...good, workload: { ...good.workload, batchsize: 4 } })).toHaveLength(1);
    expect(problems({ ...good, workload: { ...good.workload, precision: "fp16" } })).toHaveLength(1);
    expect(problems({ ...good, workload: { ...good.workload, qlora: true } })).toHaveLength(1);
    expect(problems({ ...good, kind: "vision_train", source: "torchvision", model: "resnet50" }).length).toBeGreaterThan(0);
  });
});

describe("gpu-h100.json covers what issue 8 asks to measure", () => {
  const cases = readCases("gpu-h100.json");
  const w = (c: Case) => c.workload;
  const has = (pred: (c: Case) => boolean) => cases.some(pred);

  it("LLM inference: prefill at several batch sizes and context lengths, and generate with a KV cache", () => {
    const prefill = cases.filter((c) => c.kind === "llm_infer" && c.new_tokens === null);
    expect(new Set(prefill.map((c) => w(c).batch)).size).toBeGreaterThanOrEqual(3);
    expect(new Set(prefill.map((c) => w(c).seq)).size).toBeGreaterThanOrEqual(3);
    expect(has((c) => c.kind === "llm_infer" && c.new_tokens !== null)).toBe(true);
  });

  it("LLM training: fp32, AMP bf16, pure bf16; AdamW, SGD, 8-bit AdamW; checkpointing on and off; LoRA; QLoRA", () => {
    const train = cases.filter((c) => c.kind === "llm_train");
    const full = train.filter((c) => w(c).lora_rank == null);
    for (const p of ["fp32", "amp-bf16", "bf16"]) expect(full.some((c) => w(c).precision === p)).toBe(true);
    for (const o of ["adamw", "sgd", "adamw-8bit"]) expect(full.some((c) => w(c).optimizer === o)).toBe(true);
    expect(full.some((c) => w(c).checkpointing === true)).toBe(true);
    expect(full.some((c) => w(c).checkpointing === false)).toBe(true);
    expect(train.some((c) => w(c).lora_rank != null && w(c).qlora === false)).toBe(true);
    expect(train.some((c) => w(c).lora_rank != null && w(c).qlora === true)).toBe(true);
  });

  it("vision: torchvision and timm models and a detector, inference and training at several image sizes", () => {
    const vision = cases.filter((c) => c.kind.startsWith("vision"));
    expect(vision.some((c) => c.source === "timm")).toBe(true);
    expect(vision.some((c) => c.model.startsWith("fasterrcnn") && c.kind === "vision_train")).toBe(true);
    for (const kind of ["vision_infer", "vision_train"]) {
      const sizes = new Set(vision.filter((c) => c.kind === kind).map((c) => String(w(c).image)));
      expect(sizes.size).toBeGreaterThanOrEqual(3);
    }
  });
});

describe("bench/measurements/cpu-dry-run.jsonl matches cpu-smoke.json", () => {
  const file = path.join(repoRoot, "bench/measurements/cpu-dry-run.jsonl");
  const smoke = readCases("cpu-smoke.json");
  it.skipIf(!fs.existsSync(file))("has one line per smoke case, none failed, and no memory figures", () => {
    const lines = fs.readFileSync(file, "utf8").split("\n").filter((l) => l.trim());
    const results = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(results.map((r) => r.id).sort()).toEqual(smoke.map((c) => c.id).sort());
    for (const r of results) {
      expect(["dry-run-ok", "skipped"], `${r.id}: ${r.reason}`).toContain(r.status);
      expect(r.dry_run).toBe(true);
      expect(r.allocated_peak_bytes).toBeNull();
      if (r.status === "skipped") expect(typeof r.reason).toBe("string");
    }
  });
});
