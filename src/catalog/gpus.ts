/** The built-in GPU catalog (src/catalog/gpus.json). */
import { closest, VramfitError } from "../core/errors.js";
import type { Gpu } from "../core/gpu.js";
import data from "./catalog.generated.json" with { type: "json" };

const gpus = (data as { gpus: Gpu[] }).gpus;
const byKey = new Map<string, Gpu>();
for (const g of gpus) for (const k of [g.id, g.name, ...(g.aliases ?? [])]) byKey.set(normalize(k), g);

function normalize(s: string): string {
  return s.trim().toLowerCase().replace(/^nvidia\s+/, "").replace(/[\s_]+/g, "-");
}

export function gpuCatalog(): readonly Gpu[] {
  return gpus;
}

export function findGpu(spec: string): Gpu {
  const g = byKey.get(normalize(spec));
  if (g) return g;
  const custom = /^(\d+(?:\.\d+)?)\s*(gb|gib)$/i.exec(spec.trim());
  if (custom) {
    // A bare size ("24gb") stands for an unnamed device of that many GiB.
    const bytes = Math.round(Number(custom[1]) * 2 ** 30);
    return { id: `${custom[1]}gb`, name: `${custom[1]} GiB device`, vendor: "nvidia", memory_bytes: bytes, arch: "ampere" };
  }
  const hint = closest(spec, gpus.map((x) => x.id));
  throw new VramfitError("unknown_gpu", `unknown GPU '${spec}'`, { suggestion: hint.length ? `did you mean ${hint.join(", ")}? (vramfit gpus lists them all; or give a size like 24gb)` : "run `vramfit gpus`, or give a size like 24gb" });
}
