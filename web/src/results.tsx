/** The answer: verdict, stacked bar against the GPU, the three totals, and each component with its formula. */
import type { Estimate } from "./engine.js";
import { count, gib, precise, short } from "./format.js";

const COLORS = ["#3b82f6", "#10b981", "#f59e0b", "#8b5cf6", "#ec4899", "#14b8a6", "#f97316", "#6366f1", "#84cc16", "#06b6d4", "#a855f7", "#eab308"];
export const colorOf = (i: number) => COLORS[i % COLORS.length];

export function Verdict({ e }: { e: Estimate }) {
  const g = e.gpu;
  if (!g) return null;
  const perGpu = g.count > 1 ? ` per GPU (${g.count} GPUs)` : "";
  const cls = g.verdict === "does_not_fit" || !g.fits ? "no" : g.verdict === "tight" ? "tight" : "yes";
  const head = cls === "no" ? "Does not fit" : cls === "tight" ? "Fits, but tight" : "Fits";
  return (
    <div class={`verdict verdict-${cls}`} role="status" aria-live="polite" data-testid="verdict" data-fits={String(g.fits)} data-verdict={g.verdict ?? ""}>
      <span class="verdict-head">{head}</span>
      <span class="verdict-detail">
        {gib(e.totals.device_bytes)} of {gib(g.memory_bytes)} on {g.name}
        {perGpu} — {g.headroom_bytes >= 0 ? `${short(g.headroom_bytes)} free` : `${short(-g.headroom_bytes)} over`}
        {cls === "tight" && g.headroom_high_bytes !== undefined ? `; the high bound is ${short(-g.headroom_high_bytes)} over` : ""}
      </span>
    </div>
  );
}

/** Horizontal stacked bar of the GPU components, scaled so the GPU's memory and the high bound both show. */
export function StackedBar({ e }: { e: Estimate }) {
  const comps = e.components.filter((c) => c.location !== "cpu" && c.bytes > 0);
  const mem = e.gpu?.memory_bytes ?? 0;
  const high = e.totals.device_range?.[1] ?? e.totals.device_bytes;
  const scale = Math.max(mem, high, e.totals.device_bytes) * 1.02;
  const pct = (b: number) => `${((b / scale) * 100).toFixed(3)}%`;
  return (
    <div class="bar-wrap">
      <div class="bar" role="img" aria-label={`Breakdown: ${comps.map((c) => `${c.label} ${short(c.bytes)}`).join(", ")}; GPU memory ${short(mem)}`}>
        {comps.map((c, i) => (
          <div key={c.id} class="seg" style={{ width: pct(c.bytes), background: colorOf(i) }} title={`${c.label}: ${gib(c.bytes)}`} />
        ))}
        {e.totals.device_range && <div class="range" style={{ left: pct(e.totals.device_range[0]), width: pct(e.totals.device_range[1] - e.totals.device_range[0]) }} title="error band of the device total" />}
        {mem > 0 && (
          <div class="gpu-line" style={{ left: pct(mem) }}>
            <span>{e.gpu!.name.replace(/^NVIDIA (GeForce )?/, "")} {short(mem)}</span>
          </div>
        )}
      </div>
      <ul class="legend">
        {comps.map((c, i) => (
          <li key={c.id}>
            <i style={{ background: colorOf(i) }} aria-hidden="true" />
            {c.label} <span class="num">{short(c.bytes)}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

export function Totals({ e }: { e: Estimate }) {
  const t = e.totals;
  const row = (key: "allocated" | "reserved" | "device", label: string, hint: string) => {
    const bytes = t[`${key}_bytes`];
    const range = t[`${key}_range`];
    return (
      <div class="total" data-testid={`total-${key}`} data-bytes={bytes}>
        <dt>
          {label} <small>{hint}</small>
        </dt>
        <dd>
          <span class="num big">{gib(bytes)}</span>
          {range && <small class="range-text">{short(range[0])} – {short(range[1])}</small>}
        </dd>
      </div>
    );
  };
  return (
    <dl class="totals">
      {row("allocated", "Allocated", "live tensors (max_memory_allocated)")}
      {row("reserved", "Reserved", "+ caching allocator (max_memory_reserved)")}
      {row("device", "Device", "+ CUDA context, runtimes (nvidia-smi)")}
    </dl>
  );
}

export function Components({ e }: { e: Estimate }) {
  const gpuComps = e.components.filter((c) => c.location !== "cpu");
  return (
    <section aria-labelledby="comp-title" class="components">
      <h3 id="comp-title">Breakdown</h3>
      <p class="muted">
        {e.model.id}: {count(e.model.parameters)} parameters
        {e.model.active_parameters !== e.model.parameters ? ` (${count(e.model.active_parameters)} active)` : ""}
        {e.trainable_parameters !== undefined ? `, ${count(e.trainable_parameters)} trainable` : ""}. Peak: {e.peak.description}
      </p>
      <ul class="comp-list">
        {e.components.map((c) => (
          <li key={c.id} data-testid={`comp-${c.id}`} data-bytes={c.bytes}>
            <details>
              <summary>
                <i style={{ background: c.location === "cpu" ? "transparent" : colorOf(gpuComps.indexOf(c)) }} aria-hidden="true" />
                <span class="comp-label">{c.label}</span>
                <span class="tag">{c.location === "cpu" ? "CPU" : c.level}</span>
                <span class="num">{precise(c.bytes)}</span>
              </summary>
              <code class="formula">{c.formula}</code>
            </details>
          </li>
        ))}
      </ul>
      {e.cpu_bytes ? <p class="muted">Host (CPU) memory: {gib(e.cpu_bytes)}</p> : null}
    </section>
  );
}

/** Serving runtimes (vLLM): the KV budget and how many sequences fit, as the runtime reports them. */
export function Serving({ e }: { e: Estimate }) {
  if (!e.serving || Object.keys(e.serving).length === 0) return null;
  const show = (k: string, v: number) => (/bytes$/.test(k) ? gib(v) : v.toLocaleString("en-US"));
  return (
    <section aria-labelledby="serving-title" data-testid="serving">
      <h3 id="serving-title">Serving</h3>
      <dl class="serving">
        {Object.entries(e.serving).map(([k, v]) => (
          <div key={k}>
            <dt>{k.replace(/_bytes$/, "").replace(/_/g, " ")}</dt>
            <dd class="num">{show(k, v)}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

export function Notes({ e }: { e: Estimate }) {
  if (e.warnings.length === 0 && e.assumptions.length === 0) return null;
  return (
    <details class="notes">
      <summary>
        Assumptions and warnings ({e.warnings.length + e.assumptions.length})
      </summary>
      <ul>
        {e.warnings.map((w) => (
          <li key={w} class="warn">⚠ {w}</li>
        ))}
        {e.assumptions.map((a) => (
          <li key={a}>{a}</li>
        ))}
      </ul>
      {e.uncertainty && (
        <p class="muted">
          Error band: {e.uncertainty.category}, {e.uncertainty.source === "measured" ? `from ${e.uncertainty.cases} measured cases` : "default"}
          {e.uncertainty.note ? ` — ${e.uncertainty.note}` : ""}
        </p>
      )}
    </details>
  );
}
