/**
 * Memory against one input (batch size, sequence length or image side) with the GPU's memory drawn as a
 * line: uPlot, redrawn when the data or the width changes. A log2 x axis keeps powers of two evenly spaced.
 * uPlot (about 20 KiB gzip) loads after the first estimate is on screen: the numbers never wait for it, and
 * the table under each chart carries the same figures meanwhile.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import type uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { SweepPoint } from "./engine.js";
import { GIB } from "./format.js";

export interface ChartProps {
  title: string;
  xLabel: string;
  points: SweepPoint[];
  gpuBytes?: number;
  gpuLabel?: string;
  /** The configuration's own value, marked on the x axis. */
  current?: number;
  id: string;
}

const AXIS = "#8a8f98";

type UPlotCtor = typeof uPlot;
let uplotLoaded: UPlotCtor | undefined;
let uplotLoading: Promise<UPlotCtor> | undefined;
/** uPlot, imported once on first use. */
export function loadUPlot(): Promise<UPlotCtor> {
  return (uplotLoading ??= import("uplot").then((m) => (uplotLoaded = m.default)));
}
const GRID = "rgba(138,143,152,0.18)";

export function MemoryChart(p: ChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const [UPlot, setUPlot] = useState<UPlotCtor | undefined>(() => uplotLoaded);
  useEffect(() => {
    if (UPlot) return;
    let live = true;
    loadUPlot().then((u) => live && setUPlot(() => u), () => {});
    return () => {
      live = false;
    };
  }, [UPlot]);
  useEffect(() => {
    const el = host.current;
    if (!el || !UPlot || p.points.length === 0) return;
    const xs = p.points.map((q) => q.x);
    const toGib = (v?: number) => (v === undefined ? null : v / GIB);
    const data: uPlot.AlignedData = [
      xs,
      p.points.map((q) => toGib(q.device)),
      p.points.map((q) => toGib(q.high)),
      xs.map(() => (p.gpuBytes ? p.gpuBytes / GIB : null)),
    ];
    const make = (width: number) =>
      new UPlot(
        {
          width,
          height: 220,
          scales: { x: { time: false, distr: 3, log: 2 }, y: { range: (_u, _min, max) => [0, Math.max(max, 1) * 1.05] } },
          axes: [
            { stroke: AXIS, grid: { stroke: GRID }, ticks: { stroke: GRID }, label: p.xLabel, values: (_u, vals) => vals.map((v) => (v == null ? "" : v >= 1024 && v % 1024 === 0 ? `${v / 1024}k` : String(v))) },
            { stroke: AXIS, grid: { stroke: GRID }, ticks: { stroke: GRID }, label: "GiB", size: 50 },
          ],
          series: [
            { label: p.xLabel },
            { label: "device total", stroke: "#3b82f6", width: 2, fill: "rgba(59,130,246,0.12)", points: { show: true, size: 5 } },
            { label: "high bound", stroke: "#8b5cf6", width: 1, dash: [4, 4] },
            { label: p.gpuLabel ?? "GPU memory", stroke: "#ef4444", width: 2 },
          ],
          legend: { show: true, live: false },
          cursor: { drag: { x: false, y: false } },
          hooks: p.current
            ? {
                draw: [
                  (u) => {
                    const x = u.valToPos(p.current!, "x", true);
                    const ctx = u.ctx;
                    ctx.save();
                    ctx.strokeStyle = AXIS;
                    ctx.setLineDash([2, 3]);
                    ctx.beginPath();
                    ctx.moveTo(x, u.bbox.top);
                    ctx.lineTo(x, u.bbox.top + u.bbox.height);
                    ctx.stroke();
                    ctx.restore();
                  },
                ],
              }
            : {},
        },
        data,
        el,
      );
    let plot = make(Math.max(240, el.clientWidth));
    const ro = new ResizeObserver(() => {
      const w = Math.max(240, el.clientWidth);
      if (Math.abs(w - plot.width) > 4) plot.setSize({ width: w, height: 220 });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [UPlot, p.points, p.gpuBytes, p.current]);
  return (
    <figure class="chart" aria-labelledby={`${p.id}-title`}>
      <figcaption id={`${p.id}-title`}>{p.title}</figcaption>
      <div ref={host} class="chart-host" data-testid={p.id} />
      <table class="sr-only">
        <caption>{p.title}</caption>
        <thead>
          <tr>
            <th scope="col">{p.xLabel}</th>
            <th scope="col">device total (GiB)</th>
          </tr>
        </thead>
        <tbody>
          {p.points.map((q) => (
            <tr key={q.x}>
              <td>{q.x}</td>
              <td>{q.device === undefined ? "error" : (q.device / GIB).toFixed(2)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
