/**
 * `vramfit estimate --config train.yaml [--config ds.json] [--set key=value] [--gpu ID] [--gpus N]`: a training
 * framework's own configuration (axolotl, LLaMA-Factory, torchtune, LitGPT, TRL / TrainingArguments, DeepSpeed,
 * accelerate) → the per-GPU estimate with that framework's profile, what the file asks for that vramfit does not
 * model, and — when it does not fit — what to change in the file's own keys. Loaded only for --config.
 */
import fs from "node:fs";
import path from "node:path";
import pc from "picocolors";
import { VramfitError } from "../core/errors.js";
import type { EstimateInput } from "../core/profile.js";
import { defaultEstimator as est } from "../default-estimator.js";
import { describeEdits } from "../frameworks/config-advice.js";
import { adviceLines, estimateTrainingConfig, type ConfigEstimate, type ConfigFile } from "../frameworks/config-estimate.js";
import { resolveModelArg } from "./model-source.js";
import { toEstimateOptions } from "./options.js";
import { renderEstimate } from "./render.js";

/** Configuration files are small; anything larger is not one (readTrainingConfig refuses beyond 256 Ki characters). */
const MAX_FILE_BYTES = 1024 * 1024;

function readFile(p: string): ConfigFile {
  let size: number;
  try {
    const st = fs.statSync(p);
    if (!st.isFile()) throw new VramfitError("invalid_file", `${p}: not a file`);
    size = st.size;
  } catch (e) {
    if (e instanceof VramfitError) throw e;
    throw new VramfitError("not_found", `${p}: no such configuration file`, { cause: e });
  }
  if (size > MAX_FILE_BYTES) throw new VramfitError("invalid_file", `${p}: ${size} bytes is too large for a training configuration`);
  return { name: path.basename(p), text: fs.readFileSync(p, "utf8") };
}

export async function runConfigEstimate(spec: string | undefined, o: Record<string, unknown>, print: (s: string) => void): Promise<void> {
  const paths = (Array.isArray(o.config) ? o.config : [o.config]).filter((x): x is string => typeof x === "string");
  const files = paths.map(readFile);
  const overrides = (Array.isArray(o.set) ? o.set : []).filter((x): x is string => typeof x === "string");
  const flags = toEstimateOptions({ ...o, gpu: undefined }, est) as Record<string, unknown>;
  const r = await estimateTrainingConfig(files, {
    gpu: typeof o.gpu === "string" ? o.gpu : undefined,
    overrides,
    ...(spec !== undefined ? { model: await resolveModelArg(spec) } : {}),
    resolveModel: (s) => resolveModelArg(s),
    options: flags as EstimateInput,
  });
  if (o.json) {
    print(JSON.stringify({ ...r.estimate, config: configJson(r) }, null, 2));
    return;
  }
  print(renderConfig(r, Boolean(o.formulas)));
}

function configJson(r: ConfigEstimate) {
  return {
    files: r.workload.files,
    framework: r.workload.framework,
    model: r.model,
    from_files: Object.fromEntries(Object.entries(r.workload.origin).map(([k, v]) => [k, { value: v.value, file: v.file, key: v.key }])),
    unmodelled: r.unmodelled,
    unknown: r.unknown,
    notes: r.notes,
    advice: r.advice,
  };
}

export function renderConfig(r: ConfigEstimate, formulas = false): string {
  const out: string[] = [];
  const files = r.workload.files.map((f) => `${f.name} (${f.format})`).join(" + ");
  out.push(pc.dim(`config: ${files} → framework ${r.estimate.workload.framework} ${r.estimate.workload.framework_version ?? ""}`.trimEnd()));
  out.push(pc.dim(`model: ${r.model.spec}${r.model.spec !== r.model.resolved ? ` → ${r.model.resolved}` : ""} (${r.model.from})`));
  if (r.model.note) out.push(pc.dim(`  ${r.model.note}`));
  const from = Object.entries(r.workload.origin);
  if (from.length) out.push(pc.dim(`from the file: ${from.map(([k, v]) => `${k}=${String(v.value)} (${v.key})`).join(", ")}`));
  out.push("");
  const first = r.advice.find((a) => a.verdict === "fits");
  out.push(renderEstimate(r.estimate, { formulas, lever: first ? `${describeEdits(first.edits)} (below)` : undefined }));
  if (r.unmodelled.length) {
    out.push("");
    out.push(pc.yellow("  not modelled (they change memory; the estimate ignores them):"));
    for (const u of r.unmodelled) out.push(pc.yellow(`    ${u.file}: ${u.key} — ${u.why}`));
  }
  for (const u of r.unknown) out.push(pc.dim(`  not recognised in ${u.file}: ${u.keys.slice(0, 12).join(", ")}${u.keys.length > 12 ? `, … (${u.keys.length})` : ""}`));
  for (const n of r.notes) out.push(pc.dim(`  note: ${n}`));
  if (r.advice.length) {
    out.push("");
    const fits = r.advice.some((a) => a.verdict === "fits");
    out.push(pc.bold(fits ? "  to make it fit, change in your file:" : "  nothing the framework offers makes it fit; closest:"));
    for (const l of adviceLines(r)) out.push(`    ${l}`);
  }
  return out.join("\n");
}
