/** A small builder for the tensor groups of a model, so architecture code reads like the checkpoint. */
import type { TensorGroup, TensorKind } from "../core/model.js";

export class TensorList {
  readonly groups: TensorGroup[] = [];

  add(name: string, kind: TensorKind, shape: number[], count = 1, extra: Partial<TensorGroup> = {}): this {
    if (count <= 0 || shape.some((d) => d <= 0)) return this;
    const module = extra.module ?? moduleOf(name);
    this.groups.push({ name, module, kind, shape, count, ...extra });
    return this;
  }

  /** A linear layer's weight [out, in] and optional bias [out]. */
  linear(name: string, out: number, inp: number, count = 1, bias = false, extra: Partial<TensorGroup> = {}): this {
    const kind = extra.kind ?? "linear";
    this.add(`${name}.weight`, kind, [out, inp], count, { ...extra, kind, module: extra.module ?? lastPart(name) });
    if (bias) this.add(`${name}.bias`, "bias", [out], count, { ...extra, kind: "bias", module: extra.module ?? lastPart(name) });
    return this;
  }

  /** A norm's weight [dim] and, for LayerNorm, its bias. */
  norm(name: string, dim: number, count = 1, bias = false): this {
    this.add(`${name}.weight`, "norm", [dim], count, { module: lastPart(name) });
    if (bias) this.add(`${name}.bias`, "norm", [dim], count, { module: lastPart(name) });
    return this;
  }
}

function lastPart(name: string): string {
  const parts = name.split(".");
  return parts[parts.length - 1];
}

/** `model.layers.{L}.self_attn.q_proj.weight` → `q_proj`. */
function moduleOf(name: string): string {
  const parts = name.split(".");
  const last = parts[parts.length - 1];
  return last === "weight" || last === "bias" ? parts[parts.length - 2] ?? last : last;
}
