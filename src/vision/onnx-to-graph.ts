/**
 * ONNX → layer graph: shape inference over an OnnxGraph (src/readers/onnx-types.ts) for the ops the
 * vision engine knows, with symbolic batch and image sizes set by the user. The result is a
 * VisionModel, so estimateVision / visionMaxBatch / visionMaxImage / visionSweep work on any file.
 *
 * Shapes follow the ONNX operator specs (onnx/docs/Operators.md): Conv/Pool output sizes with pads,
 * strides, dilations, auto_pad SAME_UPPER/SAME_LOWER/VALID and ceil_mode; Gemm transA/transB;
 * Reshape 0 / −1; Resize/Upsample from scales or sizes given as initializers.
 * Memory semantics are PyTorch's (what the model would cost if run or trained there): weights are the
 * initializers, each op output is a new tensor except views (Reshape, Flatten, Squeeze, Unsqueeze,
 * Identity, Dropout at inference).
 */
import { VramfitError } from "../core/errors.js";
import type { OnnxGraph, OnnxNode } from "../readers/onnx-types.js";
import type { GraphBuilder, T } from "./builder.js";
import type { BuildContext } from "./models/types.js";
import type { VisionModel } from "./registry.js";
import type { VisionWorkload } from "./estimate.js";

export interface OnnxShapeOptions {
  /** Values for named symbolic dims ("unk__84": 8, "height": 640). */
  dims?: Record<string, number>;
}

const ints = (v: unknown): number[] | undefined => (Array.isArray(v) && v.every((x) => typeof x === "number") ? (v as number[]) : undefined);
const int = (v: unknown, d: number): number => (typeof v === "number" ? v : d);

/** Where the spatial dims of the graph input are: NCHW (H at 2) or NHWC (H at 1), or none. */
export function onnxLayout(dims: ReadonlyArray<number | string>): "nchw" | "nhwc" | "other" {
  if (dims.length !== 4) return "other";
  const c1 = dims[1];
  const c3 = dims[3];
  if (typeof c3 === "number" && c3 <= 4 && !(typeof c1 === "number" && c1 <= 4)) return "nhwc";
  return "nchw";
}

/** Resolve the graph input's shape for a batch and image size. */
export function onnxInputShape(graph: OnnxGraph, w: Pick<VisionWorkload, "batch" | "image">, opts: OnnxShapeOptions = {}): number[] {
  const inputs = graph.inputs;
  if (inputs.length !== 1) {
    throw new VramfitError("unsupported", `the ONNX graph has ${inputs.length} inputs (${inputs.map((i) => i.name).join(", ")}); vramfit estimates single-input vision graphs`);
  }
  const inp = inputs[0];
  if (!inp.hasShape || inp.dims.length === 0) throw new VramfitError("unsupported", `the ONNX graph input '${inp.name}' declares no shape`);
  const layout = onnxLayout(inp.dims);
  const hIdx = layout === "nchw" ? 2 : layout === "nhwc" ? 1 : -1;
  return inp.dims.map((d, i) => {
    if (typeof d === "string" && opts.dims && d in opts.dims) return opts.dims[d];
    if (i === 0) return w.batch;
    // Fixed sizes stay as exported: the file's reshapes and dense layers assume them. Another image size
    // is refused (ONNX Runtime rejects an input whose fixed dims differ), never estimated at the fixed size.
    if (typeof d === "number" && d > 0) {
      const asked = i === hIdx ? w.image[0] : i === hIdx + 1 ? w.image[1] : d;
      if (asked !== d) {
        const fixedHW = `${inp.dims[hIdx + 1]}x${inp.dims[hIdx]}`;
        throw new VramfitError("does_not_run", `the ONNX graph's input '${inp.name}' is fixed at ${fixedHW} (width x height); --image ${w.image[1]}x${w.image[0]} would need a graph exported with dynamic height and width`, {
          suggestion: `leave --image out (it is ${fixedHW}), or re-export with dynamic_axes for height and width`,
          details: { key: "image", fixed_image: [inp.dims[hIdx], inp.dims[hIdx + 1]] },
        });
      }
      return d;
    }
    if (i === hIdx) return w.image[0];
    if (i === hIdx + 1) return w.image[1];
    throw new VramfitError("unsupported", `the ONNX input dim ${i} ('${d}') is symbolic`, { suggestion: `set it with dims: { "${d}": N }` });
  });
}

function convOut(size: number, k: number, s: number, d: number, padBegin: number, padEnd: number, ceil: boolean): number {
  const eff = d * (k - 1) + 1;
  const f = ceil ? Math.ceil : Math.floor;
  return f((size + padBegin + padEnd - eff) / s) + 1;
}

/** Pads [h_begin, w_begin, h_end, w_end] for auto_pad or explicit pads. */
function spatialPads(node: OnnxNode, inHW: number[], k: number[], s: number[], d: number[]): number[] {
  const auto = String(node.attributes.auto_pad ?? "NOTSET");
  if (auto === "SAME_UPPER" || auto === "SAME_LOWER") {
    const pads = [0, 0, 0, 0];
    for (let i = 0; i < 2; i++) {
      const out = Math.ceil(inHW[i] / s[i]);
      const total = Math.max(0, (out - 1) * s[i] + d[i] * (k[i] - 1) + 1 - inHW[i]);
      const small = Math.floor(total / 2);
      pads[i] = auto === "SAME_UPPER" ? small : total - small;
      pads[i + 2] = total - pads[i];
    }
    return pads;
  }
  if (auto === "VALID") return [0, 0, 0, 0];
  return ints(node.attributes.pads) ?? [0, 0, 0, 0];
}

/** Dims of a layout op applied to a constant. */
function foldDims(node: OnnxNode, dims: number[], second?: number[]): number[] {
  const a = node.attributes;
  const total = dims.reduce((p, v) => p * v, 1);
  switch (node.opType) {
    case "Reshape": {
      need(!!second, `Reshape ${node.name}: the target shape is not a constant`);
      const shape = second!.map((v, i) => (v === 0 ? dims[i] : v));
      const known = shape.filter((v) => v !== -1).reduce((p, v) => p * v, 1);
      return shape.map((v) => (v === -1 ? total / known : v));
    }
    case "Transpose": {
      const perm = ints(a.perm) ?? dims.map((_, i) => dims.length - 1 - i);
      return perm.map((p) => dims[p]);
    }
    case "Squeeze": {
      const axes = (ints(a.axes) ?? second ?? dims.map((d, i) => (d === 1 ? i : -99))).map((v) => (v < 0 ? dims.length + v : v));
      return dims.filter((_, i) => !axes.includes(i));
    }
    case "Unsqueeze": {
      const axes = ints(a.axes) ?? second ?? [];
      const out = [...dims];
      for (const v of [...axes].map((q) => (q < 0 ? dims.length + axes.length + q : q)).sort((p, q) => p - q)) out.splice(v, 0, 1);
      return out;
    }
    case "Flatten": {
      const axis = int(a.axis, 1);
      return [dims.slice(0, axis).reduce((p, v) => p * v, 1), dims.slice(axis).reduce((p, v) => p * v, 1)];
    }
    default:
      return dims;
  }
}

function need(cond: boolean, msg: string): void {
  if (!cond) throw new VramfitError("invalid_file", msg);
}

/**
 * Build the graph. Graph inputs and initializers are resolved by name; each node's outputs are bound
 * to the tensors the builder returns.
 */
export function buildOnnx(graph: OnnxGraph, b: GraphBuilder, x: T, ctx: BuildContext): T[] {
  const values = new Map<string, T>();
  values.set(graph.inputs[0].name, x);
  const inits = new Map(graph.initializers.map((i) => [i.name, i]));
  /** Constants derived from initializers (a reshaped weight) → the initializer they came from. */
  const derivedFrom = new Map<string, string>();
  const usedNames = new Set<string>();
  const usedInits = { add: (n: string) => usedNames.add(derivedFrom.get(n) ?? n), has: (n: string) => usedNames.has(n) };
  /** Initializers that are buffers in PyTorch terms (BN running statistics): memory, never trained. */
  const buffers = new Set<string>();
  const act = (name: string): T => {
    const t = values.get(name);
    if (!t) throw new VramfitError("unsupported", `ONNX value '${name}' is used before it is produced (or comes from an op vramfit skips)`);
    return t;
  };
  const initDims = (name: string | undefined) => (name ? inits.get(name)?.dims : undefined);

  for (const node of graph.nodes) {
    const a = node.attributes;
    // Constant folding of layout ops on weights (exporters reshape/transpose initializers in-graph):
    // the result is the same parameter, seen with new dims.
    const srcInit = node.inputs[0] ? inits.get(node.inputs[0]) : undefined;
    if (srcInit && ["Reshape", "Transpose", "Squeeze", "Unsqueeze", "Identity", "Flatten"].includes(node.opType)) {
      const dims = foldDims(node, srcInit.dims, node.inputs[1] ? inits.get(node.inputs[1])?.values : undefined);
      if (node.inputs[1]) usedInits.add(node.inputs[1]);
      inits.set(node.outputs[0], { ...srcInit, name: node.outputs[0], dims });
      derivedFrom.set(node.outputs[0], derivedFrom.get(srcInit.name) ?? srcInit.name);
      continue;
    }
    const ins = node.inputs;
    const isInit = (n: string | undefined) => n != null && n !== "" && inits.has(n);
    const out = (t: T, i = 0) => values.set(node.outputs[i], t);
    const elementwiseInputs = () => ins.filter((n) => n !== "" && !isInit(n)).map(act);
    b.scope(node.name || node.opType, () => {
      switch (node.opType) {
        case "Conv": {
          const X = act(ins[0]);
          const W = initDims(ins[1]);
          need(!!W && W.length === 4, `Conv ${node.name}: weight must be a 4-D initializer (1-D/3-D convolutions are not supported)`);
          need(X.shape.length === 4, `Conv ${node.name}: input must be N×C×H×W, got ${JSON.stringify(X.shape)}`);
          usedInits.add(ins[1]);
          if (isInit(ins[2])) usedInits.add(ins[2]);
          const k = ints(a.kernel_shape) ?? [W![2], W![3]];
          const s = ints(a.strides) ?? [1, 1];
          const d = ints(a.dilations) ?? [1, 1];
          const g = int(a.group, 1);
          const pads = spatialPads(node, X.shape.slice(2), k, s, d);
          out(b.conv(X, { out: W![0], k: [k[0], k[1]], s: [s[0], s[1]], p: [pads[0], pads[1]], pEnd: [pads[2], pads[3]], d: d[0], g, bias: isInit(ins[2]) }));
          return;
        }
        case "ConvTranspose": {
          const X = act(ins[0]);
          const W = initDims(ins[1]);
          need(!!W && W.length === 4, `ConvTranspose ${node.name}: weight must be a 4-D initializer`);
          usedInits.add(ins[1]);
          if (isInit(ins[2])) usedInits.add(ins[2]);
          const s = ints(a.strides) ?? [1, 1];
          const pads = ints(a.pads) ?? [0, 0, 0, 0];
          out(b.convTranspose(X, { out: W![1] * int(a.group, 1), k: W![2], s: s[0], p: pads[0], bias: isInit(ins[2]) }));
          return;
        }
        case "BatchNormalization": {
          usedInits.add(ins[1]);
          usedInits.add(ins[2]);
          for (const n of ins.slice(3)) buffers.add(n);
          // scale and bias are parameters; running mean/var are buffers (not parameters in PyTorch).
          out(b.batchNorm(act(ins[0])));
          return;
        }
        case "LayerNormalization": {
          for (const n of ins.slice(1)) usedInits.add(n);
          out(b.layerNorm(act(ins[0]), ins.length > 1));
          return;
        }
        case "GroupNormalization":
        case "InstanceNormalization": {
          for (const n of ins.slice(1)) usedInits.add(n);
          const X = act(ins[0]);
          out(b.groupNorm(X, node.opType === "InstanceNormalization" ? X.shape[1] : int(a.num_groups, 1)));
          return;
        }
        case "Relu":
          out(b.act(act(ins[0]), "relu"));
          return;
        case "LeakyRelu":
          out(b.act(act(ins[0]), "leaky_relu"));
          return;
        case "Clip":
          for (const n of ins.slice(1)) if (isInit(n)) usedInits.add(n);
          out(b.act(act(ins[0]), "relu6"));
          return;
        case "Sigmoid":
          out(b.act(act(ins[0]), "sigmoid"));
          return;
        case "Tanh":
          out(b.act(act(ins[0]), "tanh"));
          return;
        case "HardSigmoid":
          out(b.act(act(ins[0]), "hardsigmoid"));
          return;
        case "HardSwish":
          out(b.act(act(ins[0]), "hardswish"));
          return;
        case "Gelu":
        case "Erf":
        case "Exp":
        case "Sqrt":
        case "Log":
        case "Neg":
        case "Abs":
          // Elementwise functions whose backward needs their input.
          out(b.act(act(ins[0]), "gelu"));
          return;
        case "Softmax":
        case "LogSoftmax":
          out(b.softmax(act(ins[0])));
          return;
        case "Add":
        case "Sub":
        case "Mul":
        case "Div": {
          const acts = elementwiseInputs();
          const consts = ins.filter((n) => isInit(n));
          // A multiplied constant becomes a layer-scale parameter below; added/divided constants are
          // counted with the leftover initializers.
          if (node.opType === "Mul" && acts.length === 1) for (const n of consts) usedInits.add(n);
          if (acts.length === 2) {
            out(node.opType === "Mul" || node.opType === "Div" ? b.mul(acts[0], acts[1]) : b.add(acts[0], acts[1]));
          } else if (acts.length === 1) {
            // Activation ∘ constant (bias add, scale): a new tensor; a multiplied parameter saves the input.
            const p = consts.map((n) => inits.get(n)!.dims);
            out(node.opType === "Mul" && p.length ? b.layerScale(acts[0], inits.get(consts[0])!.numel) : b.scale(acts[0]));
          } else {
            throw new VramfitError("unsupported", `${node.opType} ${node.name}: constant folding of two initializers is not supported`);
          }
          return;
        }
        case "MaxPool":
        case "AveragePool": {
          const X = act(ins[0]);
          const k = ints(a.kernel_shape) ?? [1, 1];
          const s = ints(a.strides) ?? [1, 1];
          const pads = spatialPads(node, X.shape.slice(2), k, s, [1, 1]);
          const ceil = int(a.ceil_mode, 0) === 1;
          const [n, c, h, w] = X.shape;
          const oh = convOut(h, k[0], s[0], 1, pads[0], pads[2], ceil);
          const ow = convOut(w, k[1], s[1], 1, pads[1], pads[3], ceil);
          if (node.opType === "MaxPool" && k[0] === k[1] && s[0] === s[1] && pads.every((p) => p === pads[0])) {
            const y = b.maxPool(X, k[0], s[0], pads[0], ceil);
            out(y.shape[2] === oh && y.shape[3] === ow ? y : b.view(y, [n, c, oh, ow]));
          } else if (node.opType === "MaxPool") {
            out(b.approx("max_pool2d", [X], [n, c, oh, ow], X.dtype, "rectangular max pool (indices not counted)", true));
          } else {
            out(b.adaptiveAvgPool(X, [oh, ow]));
          }
          return;
        }
        case "GlobalAveragePool":
        case "GlobalMaxPool": {
          const X = act(ins[0]);
          out(b.adaptiveAvgPool(X, [1, 1]));
          return;
        }
        case "Upsample":
        case "Resize": {
          const X = act(ins[0]);
          const [n, c, h, w] = X.shape;
          // Resize(X, roi, scales, sizes) since opset 11; Upsample(X, scales) before; opset 10 Resize(X, scales).
          const cand = ins.slice(1).filter((nm) => nm !== "");
          let size: [number, number] | undefined;
          for (const nm of cand) {
            const init = inits.get(nm);
            usedInits.add(nm);
            const v = init?.values;
            if (!v || v.length !== 4) continue;
            if (v.every((q) => Number.isInteger(q)) && v[0] === n && v[1] === c && (v[2] !== 1 || v[3] !== 1) && init!.dataType === 7) size = [v[2], v[3]];
            else size = [Math.floor(h * v[2]), Math.floor(w * v[3])];
          }
          const sc = ints(a.scales);
          if (!size && sc && sc.length === 4) size = [Math.floor(h * sc[2]), Math.floor(w * sc[3])];
          need(!!size, `${node.opType} ${node.name}: scales/sizes are computed in the graph, not constants; vramfit cannot infer the output size`);
          out(b.upsample(X, size!));
          return;
        }
        case "Concat": {
          const xs = ins.map(act);
          const axis = int(a.axis, 1);
          out(b.cat(xs, axis < 0 ? xs[0].shape.length + axis : axis));
          return;
        }
        case "Split": {
          const X = act(ins[0]);
          const axis = int(a.axis, 0);
          const ax = axis < 0 ? X.shape.length + axis : axis;
          let sizes = ints(a.split) ?? inits.get(ins[1] ?? "")?.values;
          if (ins[1]) usedInits.add(ins[1]);
          const k = node.outputs.length;
          if (!sizes) sizes = new Array(k).fill(X.shape[ax] / k);
          need(sizes.reduce((s, v) => s + v, 0) === X.shape[ax], `Split ${node.name}: sizes do not add up to dim ${X.shape[ax]}`);
          b.split(X, sizes, ax).forEach((t, i) => out(t, i));
          return;
        }
        case "Reshape": {
          const X = act(ins[0]);
          const target = inits.get(ins[1])?.values;
          usedInits.add(ins[1]);
          need(!!target, `Reshape ${node.name}: the target shape is computed in the graph, not a constant`);
          const total = X.shape.reduce((p, v) => p * v, 1);
          const shape = target!.map((v, i) => (v === 0 ? X.shape[i] : v));
          const known = shape.filter((v) => v !== -1).reduce((p, v) => p * v, 1);
          const resolved = shape.map((v) => (v === -1 ? total / known : v));
          // A fixed batch dim exported as 1 follows the batch the user asked for.
          if (resolved.reduce((p, v) => p * v, 1) !== total && resolved[0] === 1 && target![0] !== -1) resolved[0] = X.shape[0];
          need(resolved.reduce((p, v) => p * v, 1) === total && resolved.every(Number.isInteger), `Reshape ${node.name}: cannot reshape ${JSON.stringify(X.shape)} to ${JSON.stringify(target)}`);
          out(b.view(X, resolved));
          return;
        }
        case "Flatten": {
          const X = act(ins[0]);
          const axis = int(a.axis, 1);
          const lead = X.shape.slice(0, axis).reduce((p, v) => p * v, 1);
          out(b.view(X, [lead, X.shape.slice(axis).reduce((p, v) => p * v, 1)]));
          return;
        }
        case "Squeeze":
        case "Unsqueeze": {
          const X = act(ins[0]);
          const axes = ints(a.axes) ?? inits.get(ins[1] ?? "")?.values;
          if (ins[1]) usedInits.add(ins[1]);
          need(!!axes, `${node.opType} ${node.name}: axes are not constant`);
          let shape = [...X.shape];
          if (node.opType === "Squeeze") {
            const ax = axes!.map((v) => (v < 0 ? shape.length + v : v));
            shape = shape.filter((_, i) => !ax.includes(i));
          } else {
            const rank = shape.length + axes!.length;
            for (const v of [...axes!].map((q) => (q < 0 ? rank + q : q)).sort((p, q) => p - q)) shape.splice(v, 0, 1);
          }
          out(b.view(X, shape));
          return;
        }
        case "Transpose": {
          const X = act(ins[0]);
          const perm = ints(a.perm) ?? X.shape.map((_, i) => X.shape.length - 1 - i);
          out(b.copy(X, perm.map((p) => X.shape[p]), "transpose"));
          return;
        }
        case "Identity":
          out(act(ins[0]));
          return;
        case "Dropout": {
          const ratio = typeof a.ratio === "number" ? a.ratio : 0.5;
          out(b.dropout(act(ins[0]), ctx.training ? ratio : 0));
          return;
        }
        case "Gemm": {
          const A = act(ins[0]);
          const B = initDims(ins[1]);
          need(!!B && B.length === 2, `Gemm ${node.name}: B must be a 2-D initializer`);
          usedInits.add(ins[1]);
          if (isInit(ins[2])) usedInits.add(ins[2]);
          const outF = int(a.transB, 0) === 1 ? B![0] : B![1];
          const inA = int(a.transA, 0) === 1 ? b.view(A, [A.shape[1], A.shape[0]]) : A;
          out(b.linear(inA, outF, isInit(ins[2])));
          return;
        }
        case "MatMul": {
          const A = act(ins[0]);
          if (isInit(ins[1])) {
            const B = initDims(ins[1])!;
            usedInits.add(ins[1]);
            need(B.length === 2 && B[0] === A.shape[A.shape.length - 1], `MatMul ${node.name}: ${JSON.stringify(A.shape)} × ${JSON.stringify(B)} does not match`);
            out(b.linear(A, B[1], false));
          } else {
            out(b.matmul(A, act(ins[1])));
          }
          return;
        }
        default:
          throw new VramfitError("unsupported", `ONNX op ${node.opType}${node.domain ? ` (${node.domain})` : ""} in node '${node.name}' is not supported by the vision engine`, { suggestion: "supported: Conv, ConvTranspose, BatchNormalization, Layer/Group/InstanceNormalization, Relu, LeakyRelu, Clip, Sigmoid, Tanh, HardSigmoid, HardSwish, Gelu, Softmax, Add/Sub/Mul/Div, MaxPool, AveragePool, Global*Pool, Resize/Upsample, Concat, Split, Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Identity, Dropout, Gemm, MatMul" });
      }
    });
  }
  // Initializers not consumed as op weights above (biases added by separate nodes count through their
  // op; anything else — e.g. a reshape of a weight — still belongs to the parameter count).
  const leftover = graph.initializers.filter((i) => !usedInits.has(i.name) && i.dataType !== 7 && i.dataType !== 6);
  const shapes = (xs: typeof leftover) => xs.map((i) => (i.dims.length ? i.dims : [1]));
  const params = leftover.filter((i) => !buffers.has(i.name));
  const bufs = leftover.filter((i) => buffers.has(i.name));
  if (params.length) b.extraParams("onnx_initializers", shapes(params));
  if (bufs.length) b.frozen(() => b.extraParams("onnx_buffers", shapes(bufs)));
  return graph.outputs.map((o) => act(o.name));
}

/** Wrap an OnnxGraph as a VisionModel for estimateVision and the max-batch / max-image / sweep helpers. */
export function onnxVisionModel(graph: OnnxGraph, opts: OnnxShapeOptions & { id?: string } = {}): VisionModel {
  const inp = graph.inputs[0];
  const layout = inp ? onnxLayout(inp.dims) : "other";
  const hIdx = layout === "nchw" ? 2 : 1;
  const fixed = (i: number) => (inp && typeof inp.dims[i] === "number" && (inp.dims[i] as number) > 0 ? (inp.dims[i] as number) : 224);
  return {
    id: opts.id ?? (graph.graphName || "onnx-model"),
    aliases: [],
    family: "cnn",
    architecture: `ONNX graph (${graph.producer || "unknown producer"}, opset ${graph.opset})`,
    build: (b, x, ctx) => buildOnnx(graph, b, x, ctx),
    inputShape: (w) => onnxInputShape(graph, w, opts),
    default_image: layout === "other" ? [1, 1] : [fixed(hIdx), fixed(hIdx + 1)],
    ...(layout !== "other" && typeof inp.dims[hIdx] === "number" && typeof inp.dims[hIdx + 1] === "number" && (inp.dims[hIdx] as number) > 0 ? { fixed_image: [inp.dims[hIdx] as number, inp.dims[hIdx + 1] as number] as [number, number] } : {}),
    classes: 1,
    published_params: null,
    params_source: "ONNX initializers",
    source_kind: "onnx",
  };
}
