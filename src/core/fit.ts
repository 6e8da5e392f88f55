/** Fit verdict against a GPU and the totals of a component list. */
import type { Component, GpuFit, Totals } from "./estimate-types.js";
import { gpuUsableBytes, type Gpu } from "./gpu.js";

export function totalsOf(components: readonly Component[]): Totals {
  let allocated = 0;
  let reserved = 0;
  let device = 0;
  for (const c of components) {
    if (c.location === "cpu") continue;
    if (c.level === "allocated") allocated += c.bytes;
    else if (c.level === "reserved") reserved += c.bytes;
    else device += c.bytes;
  }
  return { allocated_bytes: allocated, reserved_bytes: allocated + reserved, device_bytes: allocated + reserved + device };
}

export function gpuFit(gpu: Gpu, count: number, totals: Totals): GpuFit {
  const usable = gpuUsableBytes(gpu);
  const high = totals.device_range?.[1] ?? totals.device_bytes;
  const fits = totals.device_bytes <= usable;
  return {
    id: gpu.id,
    name: gpu.name,
    memory_bytes: usable,
    memory_source: gpu.usable_bytes !== undefined ? "measured" : "label",
    count,
    fits,
    verdict: !fits ? "does_not_fit" : high <= usable ? "fits" : "tight",
    headroom_bytes: usable - totals.device_bytes,
    headroom_high_bytes: usable - high,
  };
}
