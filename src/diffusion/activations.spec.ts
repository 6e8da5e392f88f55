/**
 * The diffusion layer graphs' inference live peak against CPU ground truth: bench/diffusion/activations.py
 * builds each component (diffusers 0.35.1 / transformers 5.18.0 modules from the catalog configs, some with
 * fewer layers) under torch 2.13 CPU and records, with bench/torch2/memtrack.py's LiveTracker, the peak of
 * the bytes of live storages during one no_grad forward: every tensor an ATen op returns (the inputs, which
 * the script creates inside the tracker, every intermediate, the output), each storage counted once while a
 * Python or C++ reference holds it; parameters and buffers excluded; scratch that lives only inside one op
 * (oneDNN buffers, the flash kernel's tiles) not seen — on a GPU that is workspace, reported apart.
 *
 * The graphs follow the modules op by op, including which Python locals keep a tensor alive, so the peak
 * should be the same bytes. The tolerance, 0.1 %, covers only inputs whose dtype the script chose differently
 * from what vramfit models for a pipeline: token ids are int64 there (the graph's input placeholder has the
 * model dtype), and Flux's img_ids/txt_ids/timestep are fp32 there (the pipeline passes them in the model dtype);
 * each is a few KiB against peaks of 7–380 MB. Residuals per case are in docs/diffusion.md.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { inferencePeak } from "../vision/analysis.js";
import { decoderGraph, denoiserGraph, textEncoderGraph, type GraphOpts } from "./components.js";
import type { ComponentArch, ComponentSpec } from "./pipelines.js";

const here = path.dirname(fileURLToPath(import.meta.url));
interface Case {
  id: string;
  kind: "vae_decoder" | "unet" | "flux" | "sd3" | "wan" | "clip" | "t5";
  class: string;
  config: string;
  override?: Record<string, unknown>;
  dtype: "fp32" | "bf16";
  batch: number;
  h?: number;
  w?: number;
  frames?: number;
  ctx?: number;
  txt?: number;
  seq?: number;
  peak_bytes: number;
  output_bytes: number;
}
const truth = JSON.parse(fs.readFileSync(path.join(here, "../../bench/diffusion/activations.json"), "utf8")) as { cases: Case[] };

const ARCH: Record<Case["kind"], ComponentArch> = { vae_decoder: "vae", unet: "unet", flux: "flux", sd3: "sd3", wan: "wan", clip: "clip", t5: "t5" };

function spec(c: Case): ComponentSpec {
  const config = { ...JSON.parse(fs.readFileSync(path.join(here, "../catalog/diffusion", c.config), "utf8")), ...(c.override ?? {}) };
  const arch = c.kind === "clip" && c.class === "CLIPTextModelWithProjection" ? "clip_proj" : ARCH[c.kind];
  const role = c.kind === "clip" || c.kind === "t5" ? "text_encoder" : c.kind === "vae_decoder" ? "vae" : "denoiser";
  return { name: c.id, role, arch, config };
}

function ours(c: Case): { peak: number; output: number | null } {
  const opts: GraphOpts = { precision: c.dtype, eager: false, device: "cpu" };
  const s = spec(c);
  let built;
  if (c.kind === "clip" || c.kind === "t5") built = textEncoderGraph(s, c.batch, c.seq ?? s.config.max_position_embeddings, { ...opts, woFp32: false });
  else if (c.kind === "vae_decoder") built = decoderGraph(s, c.batch, c.h!, c.w!, opts);
  else built = denoiserGraph(s, { batch: c.batch, h: c.h!, w: c.w!, frames: c.frames, txtLen: c.ctx ?? c.txt! }, opts);
  const g = built.graph;
  // A text encoder's graph ends in its pooled output; the script returns last_hidden_state.
  const output = c.kind === "clip" || c.kind === "t5" ? null : g.storages[g.tensors[g.outputs[0]].storage].bytes;
  return { peak: inferencePeak(g, "cpu").bytes, output };
}

describe("diffusion graphs vs CPU live-peak ground truth (bench/diffusion/activations.json)", () => {
  it("has the cases", () => expect(truth.cases.length).toBeGreaterThanOrEqual(10));
  for (const c of truth.cases) {
    it(`${c.id}: peak within 0.1 %`, () => {
      const r = ours(c);
      if (r.output != null) expect(r.output).toBe(c.output_bytes);
      expect(Math.abs(r.peak / c.peak_bytes - 1)).toBeLessThan(0.001);
    });
  }
});
