/**
 * "Multi-GPU plans": the library's planner (src/planner, the same search as `vramfit plan`) for the page's
 * model, GPU and workload on 2+ GPUs, with the engine configuration of the chosen plan ready to copy.
 *
 * Lazy on purpose: the planner is loaded (a separate chunk) and run only after the user asks for plans, so
 * the first estimate does not wait for it. Training plans keep the page's job: effective batch =
 * batch × gradient accumulation (batch alone at the default accumulation of 1).
 */
import { useEffect, useState } from "preact/hooks";
import { gpuUsableBytes } from "../../src/core/gpu.js";
import type { PlanOptions } from "../../src/planner/index.js";
import { errorOutcome, modelFor } from "./engine.js";
import { gib } from "./format.js";
import type { Config } from "./url-state.js";

/** GPU counts offered when the page's count is 1 and the job does not fit on one GPU. */
export const OFFERED_COUNTS = [2, 4, 8] as const;
/** Plans shown (the planner ranks them; the rest are rarely better). */
export const PLANS_SHOWN = 5;

export interface PlanRow {
  summary: string;
  perGpuBytes: number;
  /** Host memory per GPU for offloaded states (training). */
  cpuBytes: number;
  tight: boolean;
  speedFactor: number;
  /** Why it is slower than the plain layout, one reason each. */
  costs: string[];
  engine: { kind: string; file: string; text: string; notes: string[] };
}

export type PlansData =
  | { ok: true; mode: "train" | "infer"; gpus: number; batch: number; seq: number; evaluated: number; rows: PlanRow[]; nearest?: string; advice: string[] }
  | { ok: false; message: string; suggestion?: string };

const num = (v: unknown): number | undefined => (v === undefined || v === "" ? undefined : Number(v));

/** The planner options for the page's configuration on `gpus` GPUs (what the page passes to plan()). */
export function planOptionsOf(cfg: Config, gpus: number): PlanOptions {
  const o = cfg.opts;
  const train = o.mode === "train";
  const batch = num(o.batch) ?? 1;
  const attention = (["sdpa", "flash", "eager"] as const).find((a) => a === o.attention);
  const common = { gpu: cfg.gpu, gpus, seq: num(o.seq), attention, limit: PLANS_SHOWN };
  if (train) {
    return {
      ...common,
      mode: "train",
      batch: batch * (num(o.grad_accum) ?? 1),
      precision: o.precision as PlanOptions["precision"],
      optimizer: o.optimizer === undefined ? undefined : String(o.optimizer),
      loraRank: num(o.lora_rank),
    };
  }
  return {
    ...common,
    mode: "infer",
    batch,
    quant: o.quant === undefined ? undefined : String(o.quant),
    kvDtype: o.kv_dtype === undefined ? undefined : String(o.kv_dtype),
    gpuMemoryUtilization: num(o.gpu_memory_utilization),
  };
}

/** Runs the planner (loading it on first use) and keeps what the panel shows. */
export async function findPlans(cfg: Config, gpus: number): Promise<PlansData> {
  try {
    const { plan, engineConfigFor } = await import("../../src/planner/index.js");
    const r = plan(modelFor(cfg.model), planOptionsOf(cfg, gpus));
    const usable = gpuUsableBytes(r.gpu); // the planner's and `vramfit plan`'s tight line
    const rows = r.plans.slice(0, PLANS_SHOWN).map((p): PlanRow => {
      const e = engineConfigFor(r, p);
      return {
        summary: p.summary,
        perGpuBytes: p.totals.device_bytes,
        cpuBytes: p.cpuBytes,
        tight: p.headroomBytes < 0.03 * usable,
        speedFactor: p.speedFactor,
        costs: p.costs.map((c) => c.what),
        engine: { kind: e.kind, file: e.file, text: e.text, notes: e.notes },
      };
    });
    return {
      ok: true,
      mode: r.mode,
      gpus: r.gpus,
      batch: r.batch,
      seq: r.seq,
      evaluated: r.evaluated,
      rows,
      nearest: r.nearest ? `${r.nearest.summary} — ${gib(r.nearest.totals.device_bytes)} per GPU` : undefined,
      advice: r.advice.slice(0, 4).map((s) => `${s.change} (${s.cost})${s.fits ? " — fits" : ""}`),
    };
  } catch (e) {
    return errorOutcome(e);
  }
}

const ENGINE_NAMES: Record<string, string> = { deepspeed: "DeepSpeed", "accelerate-fsdp": "Accelerate FSDP", "accelerate-ddp": "Accelerate DDP", megatron: "Megatron-LM", vllm: "vLLM" };

/** The panel, under the single-GPU answer. `pageGpus`: the page's "Number of GPUs"; `fits`: the single-GPU verdict. */
export function MultiGpuPlans({ cfg, pageGpus, fits }: { cfg: Config; pageGpus: number; fits: boolean }) {
  const [offered, setOffered] = useState<number>(OFFERED_COUNTS[0]);
  const [asked, setAsked] = useState(false);
  const [result, setResult] = useState<{ key: string; data: PlansData } | null>(null);
  const [selected, setSelected] = useState(0);
  const [copied, setCopied] = useState(false);
  const gpus = pageGpus >= 2 ? pageGpus : offered;
  const key = JSON.stringify([cfg.model, cfg.gpu, cfg.opts, gpus]);

  // Once asked, follow the inputs: re-plan when the configuration changes (stale results are not shown).
  useEffect(() => {
    if (!asked || result?.key === key) return;
    let live = true;
    void findPlans(cfg, gpus).then((data) => {
      if (!live) return;
      setResult({ key, data });
      setSelected(0);
    });
    return () => {
      live = false;
    };
  }, [asked, key]);

  if (pageGpus < 2 && fits) return null;
  const data = result?.key === key ? result.data : null;
  const copy = async (text: string) => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
      setTimeout(() => setCopied(false), 2000);
    } catch {
      window.prompt("Copy this configuration", text);
    }
  };

  return (
    <section class="plans" aria-labelledby="plans-title" data-testid="plans">
      <h3 id="plans-title">Multi-GPU plans</h3>
      <p class="help">
        {pageGpus >= 2 ? `Ways to run this on ${gpus} GPUs` : "This does not fit on one GPU. Ways to run it on several"}, best first (the planner of <code>vramfit plan</code>): {cfg.opts.mode === "train" ? "DeepSpeed ZeRO, FSDP, DDP and Megatron layouts" : "vLLM tensor parallel and replicas"}.
      </p>
      <div class="plans-ask">
        {pageGpus < 2 && (
          <label>
            GPUs{" "}
            <select value={offered} onChange={(e) => setOffered(Number((e.currentTarget as HTMLSelectElement).value))} data-testid="plans-count">
              {OFFERED_COUNTS.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          </label>
        )}
        {!asked && (
          <button type="button" onClick={() => setAsked(true)} data-testid="plans-find">
            Find multi-GPU plans
          </button>
        )}
        {asked && !data && <span role="status">Searching…</span>}
      </div>
      {data && !data.ok && (
        <p class="error-box" role="alert" data-testid="plans-error">
          {data.message}
          {data.suggestion ? ` — ${data.suggestion}` : ""}
        </p>
      )}
      {data?.ok && (
        <>
          <p class="help" data-testid="plans-summary">
            {data.evaluated} configurations evaluated for {data.mode === "train" ? `effective batch ${data.batch}` : `${data.batch} sequence(s)`} × {data.seq} tokens on {data.gpus} GPUs;{" "}
            {data.rows.length ? `${data.rows.length} shown that fit.` : "none fits."}
          </p>
          {data.rows.length > 0 && (
            <ol class="plan-list">
              {data.rows.map((p, i) => (
                <li key={p.summary} class={i === selected ? "selected" : ""} data-testid="plan">
                  <div class="plan-head">
                    <span class="plan-summary">{p.summary}</span>
                    <span class="num" data-testid="plan-per-gpu">
                      {gib(p.perGpuBytes)}
                    </span>
                    <span class="num plan-extra">
                      per GPU{p.tight ? " (tight)" : ""}
                      {p.cpuBytes > 0 ? `, host ${gib(p.cpuBytes)}/GPU` : ""} · speed ×{p.speedFactor.toFixed(2)}
                    </span>
                    <button type="button" class="small" aria-pressed={i === selected} onClick={() => setSelected(i)}>
                      {i === selected ? "Config below" : "Show config"}
                    </button>
                  </div>
                  {p.costs.length > 0 && (
                    <ul class="plan-costs">
                      {p.costs.map((c) => (
                        <li key={c}>{c}</li>
                      ))}
                    </ul>
                  )}
                </li>
              ))}
            </ol>
          )}
          {data.rows[selected] && <EngineBox row={data.rows[selected]} index={selected} copied={copied} onCopy={copy} />}
          {data.nearest && <p data-testid="plans-nearest">Closest: {data.nearest}</p>}
          {data.advice.length > 0 && (
            <ul class="plan-advice">
              {data.advice.map((a) => (
                <li key={a}>{a}</li>
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}

function EngineBox({ row, index, copied, onCopy }: { row: PlanRow; index: number; copied: boolean; onCopy(text: string): void }) {
  const e = row.engine;
  return (
    <div class="engine-config" data-testid="plan-config">
      <div class="engine-head">
        <strong>
          Plan {index + 1}: {ENGINE_NAMES[e.kind] ?? e.kind}, {e.file}
        </strong>
        <button type="button" class="small" onClick={() => onCopy(e.text)} data-testid="plan-copy">
          {copied ? "Copied" : "Copy"}
        </button>
      </div>
      <pre>{e.text.trimEnd()}</pre>
      {e.notes.length > 0 && (
        <ul class="plan-notes">
          {e.notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
