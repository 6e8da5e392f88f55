/**
 * The page: inputs on the left (model, GPU, option groups), the answer on the right. All state lives in
 * one PageState mirrored to the URL, so any view is a link.
 */
import { useCallback, useEffect, useMemo, useState } from "preact/hooks";
import { MemoryChart } from "./chart.js";
import { addDroppedModel, contextOf, ensureFull, ensureFor, fetchHubModel, GPUS, HF_ID, isLoaded, limitsOf, modelFor, needsLoading, runEstimate, sweep, type Estimate, type Outcome } from "./engine.js";
import type { Value } from "./fields.js";
import { gib, short, soldAs, tokens } from "./format.js";
import { ModelPicker } from "./model-picker.js";
import { OptionsForm } from "./options-form.js";
import { MultiGpuPlans } from "./plans.js";
import { Components, Notes, Serving, StackedBar, Totals, Verdict } from "./results.js";
import { applyChange, suggestions } from "./suggest.js";
import { cloneConfig, encodeState, MAX_CONFIGS, type Config, type PageState } from "./url-state.js";

export interface AppProps {
  initial: PageState;
  notes: string[];
}

export function App({ initial, notes: initialNotes }: AppProps) {
  const [state, setState] = useState<PageState>(initial);
  const [notes, setNotes] = useState<string[]>(initialNotes);
  const [fileNote, setFileNote] = useState<{ ok: boolean; text: string } | null>(null);
  const [copied, setCopied] = useState(false);
  const [dragging, setDragging] = useState(false);

  useEffect(() => {
    const q = encodeState(state);
    history.replaceState(null, "", `${location.pathname}?${q}`);
  }, [state]);

  const cfg = state.configs[state.active];
  const update = useCallback((fn: (c: Config) => Config) => {
    setState((s) => ({ ...s, configs: s.configs.map((c, i) => (i === s.active ? fn(c) : c)) }));
  }, []);
  const setOpt = (key: string, v: Value | undefined) => update((c) => applyChange(c, { [key]: v }));

  // Models read from the Hub arrive later; `loaded` re-runs the estimates when one does.
  const [loaded, setLoaded] = useState(0);
  const [hubErrors, setHubErrors] = useState<Record<string, string>>({});
  useEffect(() => {
    for (const c of state.configs) {
      if (!c.model.startsWith("hf:") || isLoaded(c.model) || hubErrors[c.model] !== undefined) continue;
      const spec = c.model;
      setHubErrors((h) => ({ ...h, [spec]: "" })); // in flight
      fetchHubModel(spec.slice(3)).then(
        () => setLoaded((n) => n + 1),
        (e) => setHubErrors((h) => ({ ...h, [spec]: `${e.message}${e.suggestion ? ` — ${e.suggestion}` : ""}` })),
      );
    }
  }, [state.configs, hubErrors]);
  // The training stacks, the vision and diffusion built-ins and the catalog's configs load on demand
  // (./estimator.ts, ../catalog-split.ts): a configuration that needs them loads them, then the estimates re-run.
  const [loadError, setLoadError] = useState<string | null>(null);
  useEffect(() => {
    const wanted = state.configs.filter((c) => needsLoading(c));
    if (wanted.length === 0) return;
    Promise.all(wanted.map((c) => ensureFor(c))).then(
      () => setLoaded((n) => n + 1),
      (e) => setLoadError(`part of the page could not be loaded (${e instanceof Error ? e.message : String(e)}); reload the page`),
    );
  }, [state.configs]);
  const outcomes = useMemo(
    () =>
      state.configs.map((c): Outcome => {
        const err = hubErrors[c.model] || (loadError && needsLoading(c) ? loadError : "");
        return err ? { ok: false, message: err } : runEstimate(c);
      }),
    [state.configs, loaded, hubErrors, loadError],
  );
  const outcome = outcomes[state.active];

  const onFiles = async (files: File[]) => {
    if (files.length === 0) return;
    setFileNote({ ok: true, text: `Reading ${files.map((f) => f.name).join(", ")}…` });
    try {
      // The readers (GGUF, ONNX, safetensors) load only when a file arrives: they are most of the code.
      const { readDroppedFiles, isTrainingConfigDrop, readDroppedConfig } = await import("./files.js");
      if (isTrainingConfigDrop(files)) {
        // A training framework's config (axolotl, LLaMA-Factory, torchtune, TRL, DeepSpeed, accelerate): its model and settings.
        const t = await readDroppedConfig(files);
        update((c) => ({ ...c, model: t.model ?? c.model, opts: { mode: "train", ...t.opts } }));
        setFileNote({ ok: true, text: [`${t.name}: ${t.read}. Nothing was uploaded.`, ...t.notes].join(" · ") });
        return;
      }
      const d = await readDroppedFiles(files);
      if (d.model.family !== "transformer") await ensureFull(); // an .onnx graph is a vision model
      const spec = addDroppedModel(d.name, d.model);
      update((c) => ({ ...c, model: spec }));
      setFileNote({ ok: true, text: `${d.name}: ${d.read}. Nothing was uploaded.` });
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      const sug = (e as { suggestion?: string }).suggestion;
      setFileNote({ ok: false, text: sug ? `${msg} — ${sug}` : msg });
    }
  };

  useEffect(() => {
    const over = (e: DragEvent) => {
      if (!e.dataTransfer?.types.includes("Files")) return;
      e.preventDefault();
      setDragging(true);
    };
    const leave = (e: DragEvent) => {
      if (e.relatedTarget === null) setDragging(false);
    };
    const drop = (e: DragEvent) => {
      e.preventDefault();
      setDragging(false);
      void onFiles([...(e.dataTransfer?.files ?? [])]);
    };
    window.addEventListener("dragover", over);
    window.addEventListener("dragleave", leave);
    window.addEventListener("drop", drop);
    return () => {
      window.removeEventListener("dragover", over);
      window.removeEventListener("dragleave", leave);
      window.removeEventListener("drop", drop);
    };
  }, []);

  const share = async () => {
    try {
      await navigator.clipboard.writeText(location.href);
      setCopied(true);
      setTimeout(() => setCopied(false), 2000);
    } catch {
      window.prompt("Copy this link", location.href);
    }
  };
  const addCompare = () =>
    setState((s) => (s.configs.length >= MAX_CONFIGS ? s : { configs: [...s.configs, cloneConfig(s.configs[s.active])], active: s.configs.length }));
  const removeConfig = (i: number) =>
    setState((s) => {
      if (s.configs.length <= 1) return s;
      const configs = s.configs.filter((_, j) => j !== i);
      return { configs, active: Math.min(s.active > i ? s.active - 1 : s.active, configs.length - 1) };
    });

  const ctx = contextOf(cfg);

  return (
    <div class={`app${dragging ? " dragging" : ""}`}>
      <header>
        <h1>
          vramfit <span>will it fit?</span>
        </h1>
        <p class="tagline">GPU memory for inference and training, computed in your browser. Nothing leaves this page.</p>
        <div class="header-actions">
          <button type="button" onClick={share} data-testid="share">
            {copied ? "Link copied" : "Copy link"}
          </button>
          <button type="button" onClick={addCompare} disabled={state.configs.length >= MAX_CONFIGS} data-testid="add-compare">
            + Compare
          </button>
        </div>
      </header>
      {notes.length > 0 && (
        <div class="link-notes" role="alert" data-testid="link-notes">
          <strong>Some of this link could not be used:</strong>
          <ul>
            {notes.map((n) => (
              <li key={n}>{n}</li>
            ))}
          </ul>
          <button type="button" class="link-button" onClick={() => setNotes([])}>
            Dismiss
          </button>
        </div>
      )}
      {state.configs.length > 1 && (
        <Compare
          configs={state.configs}
          outcomes={outcomes}
          active={state.active}
          onEdit={(i) => setState((s) => ({ ...s, active: i }))}
          onRemove={removeConfig}
        />
      )}
      <main>
        <form class="inputs" onSubmit={(e) => e.preventDefault()} aria-label={`Configuration ${state.active + 1}`}>
          {state.configs.length > 1 && <p class="editing">Editing configuration {state.active + 1}</p>}
          <fieldset class="group">
            <legend>Model</legend>
            <ModelPicker value={cfg.model} onPick={(spec) => update((c) => ({ ...c, model: spec }))} />
            <div class="drop">
              <label for="file-input">Or open a model file</label>
              <input id="file-input" type="file" multiple accept=".json,.safetensors,.gguf,.onnx" data-testid="file-input" onChange={(e) => void onFiles([...((e.currentTarget as HTMLInputElement).files ?? [])])} />
              <small class="help">config.json, *.safetensors, model.safetensors.index.json, *.gguf or *.onnx — or drop it anywhere on the page. Headers are read here; nothing is uploaded.</small>
              {fileNote && (
                <p class={fileNote.ok ? "file-note" : "file-note error"} role="status" data-testid="file-note">
                  {fileNote.text}
                </p>
              )}
            </div>
          </fieldset>
          <fieldset class="group">
            <legend>GPU</legend>
            <div class="field">
              <label for="gpu-select">GPU</label>
              <select id="gpu-select" value={cfg.gpu} onChange={(e) => update((c) => ({ ...c, gpu: (e.currentTarget as HTMLSelectElement).value }))}>
                {!GPUS.some((g) => g.id === cfg.gpu) && <option value={cfg.gpu}>{cfg.gpu}</option>}
                {GPUS.map((g) => (
                  <option key={g.id} value={g.id}>
                    {g.name} ({soldAs(g)})
                  </option>
                ))}
              </select>
            </div>
          </fieldset>
          <OptionsForm ctx={ctx} onChange={setOpt} />
          <p>
            <button type="button" class="link-button" onClick={() => update((c) => ({ ...c, opts: {} }))}>
              Reset options to defaults
            </button>
          </p>
        </form>
        <section class="results" id="results" aria-label="Estimate" aria-live="polite">
          {outcome.ok ? (
            <Answer cfg={cfg} e={outcome.estimate} onApply={(ch) => update((c) => applyChange(c, ch))} />
          ) : (
            <>
              <ErrorBox o={outcome} hubId={HF_ID.test(cfg.model) ? cfg.model : undefined} onHub={(id) => update((c) => ({ ...c, model: `hf:${id}` }))} />
              {/* The single-GPU estimate refuses multi-GPU training (no sharding model): the planner is the answer. */}
              {ctx.family === "llm" && Number(cfg.opts.gpus ?? 1) >= 2 && <MultiGpuPlans cfg={cfg} pageGpus={Number(cfg.opts.gpus)} fits={false} />}
            </>
          )}
        </section>
      </main>
      {outcome.ok && outcome.estimate.gpu && (
        <a class="sticky-verdict" href="#results" data-fits={String(outcome.estimate.gpu.fits)}>
          <strong>{outcome.estimate.gpu.fits ? (outcome.estimate.gpu.verdict === "tight" ? "Tight" : "Fits") : "Does not fit"}</strong> {gib(outcome.estimate.totals.device_bytes)} of{" "}
          {gib(outcome.estimate.gpu.memory_bytes)} — see the estimate ↓
        </a>
      )}
      <footer>
        <p>
          vramfit — the same estimator as the <code>vramfit</code> command line. Figures are per GPU; GiB = 2<sup>30</sup> bytes. Ranges are the measured error bands.
        </p>
      </footer>
    </div>
  );
}

function ErrorBox({ o, hubId, onHub }: { o: Outcome & { ok: false }; hubId?: string; onHub(id: string): void }) {
  const loading = o.message.startsWith("reading ");
  return (
    <div class={loading ? "loading-box" : "error-box"} role={loading ? "status" : "alert"} data-testid={loading ? "loading" : "error"}>
      {loading ? o.message : <><strong>Cannot estimate this:</strong> {o.message}</>}
      {o.suggestion && <p>{o.suggestion}</p>}
      {hubId && !loading && (
        <p>
          <button type="button" onClick={() => onHub(hubId)} data-testid="hub-fetch">
            Read {hubId}/config.json from huggingface.co
          </button>{" "}
          <small class="help">This asks the Hub for that one public file; nothing about you or your settings is sent.</small>
        </p>
      )}
    </div>
  );
}

function Answer({ cfg, e, onApply }: { cfg: Config; e: Estimate; onApply(change: Record<string, Value | undefined>): void }) {
  // Image models (vision, diffusion): memory against the image side, and the largest image that fits.
  const vision = e.model.family === "vision" || e.model.family === "diffusion";
  const limits = useMemo(() => limitsOf(cfg), [cfg]);
  const sugg = useMemo(() => suggestions(cfg, e), [cfg, e]);
  const maxPos = useMemo(() => {
    try {
      const m = modelFor(cfg.model);
      return m.family === "transformer" ? m.transformer.maxPositions : undefined;
    } catch {
      return undefined;
    }
  }, [cfg.model]);
  const batch = Number(e.workload.batch ?? 1);
  const batchPts = useMemo(() => sweep(cfg, "batch", Math.max(64, 2 ** Math.ceil(Math.log2(Math.max(1, limits.batch ?? 1) * 2)))), [cfg, limits.batch]);
  const seqPts = useMemo(
    () => (vision ? sweep(cfg, "image", 2048, 64) : sweep(cfg, "seq", Math.min(maxPos ?? 131072, 1 << 20), Math.min(128, maxPos ?? 128))),
    [cfg, maxPos, vision],
  );
  const seq = Number(e.workload.seq ?? 0);
  // Keep the charts readable: stop a few points past the GPU line, but always show the current value.
  const trim = (pts: typeof batchPts, current: number | undefined) => {
    const mem = e.gpu?.memory_bytes;
    if (!mem) return pts;
    const cut = pts.findIndex((q) => (q.device ?? 0) > 3 * mem && q.x > (current ?? 0));
    return cut < 0 ? pts : pts.slice(0, Math.max(cut + 1, 4));
  };
  const image = Array.isArray(e.workload.image) ? Number((e.workload.image as number[])[0]) : undefined;
  const batchShown = useMemo(() => trim(batchPts, batch), [batchPts, batch, e.gpu?.memory_bytes]);
  const seqShown = useMemo(() => trim(seqPts, vision ? image : seq), [seqPts, vision, image, seq, e.gpu?.memory_bytes]);
  const fits = e.gpu?.fits ?? true;
  return (
    <>
      <Verdict e={e} />
      <StackedBar e={e} />
      <Totals e={e} />
      <div class="limits" data-testid="limits">
        <div data-testid="max-batch" data-value={limits.batch ?? ""}>
          <span>Largest batch that fits</span>
          <strong class="num">{limits.batch === undefined ? "—" : limits.batch === 0 ? "none (even 1 is over)" : limits.batch}</strong>
        </div>
        {vision && (
          <div data-testid="max-image" data-value={limits.image ? limits.image.join("x") : ""}>
            <span>Largest image that fits</span>
            <strong class="num">{limits.image === undefined ? "—" : limits.image[0] === 0 ? `none at batch ${batch}` : `${limits.image[1]}×${limits.image[0]} px`}</strong>
          </div>
        )}
        {!vision && (
          <div data-testid="max-seq" data-value={limits.seq ?? ""}>
            <span>Longest context that fits</span>
            <strong class="num">
              {limits.seq === undefined ? "—" : limits.seq === 0 ? `none at batch ${batch}` : `${tokens(limits.seq)}${limits.seqCap && limits.seq >= limits.seqCap ? " (model max)" : ""}`}
            </strong>
          </div>
        )}
      </div>
      {sugg.length > 0 && (
        <section class={`fit-suggest${fits ? " optional" : ""}`} aria-labelledby="sugg-title" data-testid="suggestions">
          <h3 id="sugg-title">{fits ? "Ways to use less memory" : "Make it fit"}</h3>
          <ul>
            {sugg.slice(0, fits ? 4 : 8).map((s) => (
              <li key={s.label}>
                <span class={`dot ${s.fits ? "yes" : "no"}`} aria-label={s.fits ? "fits" : "still does not fit"} />
                <span class="sugg-label">{s.label}</span>
                <span class="num">−{short(s.saving_bytes)} → {short(s.device_bytes)}</span>
                <button type="button" onClick={() => onApply(s.change)}>
                  Apply
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
      {!vision && <MultiGpuPlans cfg={cfg} pageGpus={Number(cfg.opts.gpus ?? 1)} fits={fits} />}
      <div class="charts">
        <MemoryChart id="chart-batch" title="Memory vs batch size" xLabel="batch" points={batchShown} gpuBytes={e.gpu?.memory_bytes} current={batch} />
        <MemoryChart id="chart-seq" title={vision ? "Memory vs image size" : "Memory vs sequence length"} xLabel={vision ? "image side (px)" : "tokens"} points={seqShown} gpuBytes={e.gpu?.memory_bytes} current={vision ? image : seq} />
      </div>
      <Serving e={e} />
      <Components e={e} />
      <Notes e={e} />
    </>
  );
}

function describe(c: Config): string {
  const o = c.opts;
  const bits = [String(o.mode ?? "infer"), `batch ${o.batch ?? 1}`];
  if (o.seq) bits.push(`seq ${tokens(Number(o.seq))}`);
  for (const k of ["quant", "dtype", "precision", "kv_dtype", "runtime"]) if (o[k] !== undefined) bits.push(String(o[k]));
  if (o.lora_rank) bits.push(`LoRA r${o.lora_rank}`);
  if (o.qlora) bits.push("QLoRA");
  if (o.checkpointing) bits.push("ckpt");
  if (o.gpus && o.gpus !== 1) bits.push(`×${o.gpus} GPUs`);
  return bits.join(", ");
}

function Compare({ configs, outcomes, active, onEdit, onRemove }: { configs: Config[]; outcomes: Outcome[]; active: number; onEdit(i: number): void; onRemove(i: number): void }) {
  const cell = (o: Outcome, f: (e: Estimate) => string) => (o.ok ? f(o.estimate) : "—");
  return (
    <section class="compare" aria-label="Compare configurations" data-testid="compare">
      <table>
        <thead>
          <tr>
            <th scope="col">
              <span class="sr-only">Field</span>
            </th>
            {configs.map((_, i) => (
              <th scope="col" key={i} class={i === active ? "active" : ""}>
                Configuration {i + 1}{" "}
                <button type="button" class="small" onClick={() => onEdit(i)} aria-pressed={i === active}>
                  {i === active ? "Editing" : "Edit"}
                </button>{" "}
                <button type="button" class="small" onClick={() => onRemove(i)} aria-label={`Remove configuration ${i + 1}`}>
                  ×
                </button>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          <tr>
            <th scope="row">Model</th>
            {configs.map((c, i) => <td key={i}>{c.model.replace(/^file:/, "")}</td>)}
          </tr>
          <tr>
            <th scope="row">GPU</th>
            {configs.map((c, i) => <td key={i}>{c.gpu}</td>)}
          </tr>
          <tr>
            <th scope="row">Settings</th>
            {configs.map((c, i) => <td key={i}>{describe(c)}</td>)}
          </tr>
          {(["allocated", "reserved", "device"] as const).map((k) => (
            <tr key={k}>
              <th scope="row">{k[0].toUpperCase() + k.slice(1)}</th>
              {outcomes.map((o, i) => (
                <td key={i} class="num" data-testid={`compare-${k}-${i + 1}`}>
                  {cell(o, (e) => gib(e.totals[`${k}_bytes`]))}
                </td>
              ))}
            </tr>
          ))}
          <tr>
            <th scope="row">Verdict</th>
            {outcomes.map((o, i) => (
              <td key={i}>{o.ok ? (o.estimate.gpu?.verdict === "does_not_fit" ? "✗ does not fit" : o.estimate.gpu?.verdict === "tight" ? "≈ tight" : "✓ fits") : o.message}</td>
            ))}
          </tr>
        </tbody>
      </table>
    </section>
  );
}
