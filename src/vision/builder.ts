/**
 * GraphBuilder: the ops of the vision engine. Each method propagates shapes, counts parameters and
 * records what autograd saves for backward, following PyTorch's tools/autograd/derivatives.yaml as
 * summarised in docs/research/mechanics.md §9.1:
 *   conv/linear/matmul save their inputs · batch norm saves input + fp32 mean/invstd · ReLU saves its
 *   output (in place: shares the input's storage) · SiLU/GELU/Hardswish/Hardsigmoid save their input ·
 *   sigmoid/softmax save their output · max pool saves input + int64 indices · avg pools save input ·
 *   add/cat/views/nearest upsample save nothing · mul saves the other operand · dropout a 1-byte mask.
 * An op records saves only when autograd creates a node for it: some input requires grad or it owns
 * trainable parameters.
 * Autocast (amp-*): conv/linear/matmul cast fp32 inputs to 16 bit (the cast copy is what they save);
 * layer/group norm and softmax cast 16-bit inputs to fp32 (PyTorch autocast op lists).
 */
import { VramfitError } from "../core/errors.js";
import {
  ELEM_BYTES,
  type ElemType,
  type GraphNode,
  type GraphTensor,
  type Storage,
  type VisionGraph,
  type VisionPrecision,
  numelOf,
} from "./graph.js";

export type T = GraphTensor;
export type Act = "relu" | "relu6" | "silu" | "gelu" | "hardswish" | "hardsigmoid" | "sigmoid" | "tanh" | "leaky_relu";

export interface ConvOpts {
  out: number;
  k: number | [number, number];
  s?: number | [number, number];
  /** Padding; default k//2 × dilation ("same" for odd kernels at stride 1). */
  p?: number | [number, number];
  g?: number;
  d?: number;
  bias?: boolean;
  /** Padding at the end (bottom, right) when it differs from `p` (ONNX pads, TF "SAME"). */
  pEnd?: [number, number];
}

const pair = (v: number | [number, number]): [number, number] => (Array.isArray(v) ? v : [v, v]);

export class GraphBuilder {
  readonly tensors: GraphTensor[] = [];
  readonly storages: Storage[] = [];
  readonly nodes: GraphNode[] = [];
  readonly holds: Array<[number, number]> = [];
  readonly precision: VisionPrecision;
  /** Dtype of activations that come out of 16-bit compute. */
  readonly half: ElemType;
  readonly amp: boolean;
  /** Whether new parameters are trainable (false inside a frozen stage). */
  trainable = true;
  private prefix: string[] = [];
  private inputId = -1;

  /**
   * torch 1.x semantics where they differ from 2.x (N-D linear adds the bias out of place unless the
   * input is 3-D; nn.MultiheadAttention chunks q/k/v and copies each): used to compare with the CPU
   * ground truth recorded with Debian's torch 1.13.
   */
  readonly torch1: boolean;

  /**
   * The device whose op semantics to follow where they differ: "cpu" (the CPU ground truth) — CPU
   * autocast has no fp32 rule for layer_norm, and CPU SDPA writes its output in q's memory layout.
   */
  readonly device: "cuda" | "cpu";

  constructor(precision: VisionPrecision, opts: { torch1?: boolean; device?: "cuda" | "cpu" } = {}) {
    this.torch1 = opts.torch1 ?? false;
    this.device = opts.device ?? "cuda";
    this.precision = precision;
    this.amp = precision.startsWith("amp-");
    this.half = precision.endsWith("bf16") ? "bf16" : precision === "fp32" ? "f32" : "f16";
  }

  // ---- structure ---------------------------------------------------------------------------

  /** Run `f` with a module-name prefix (layer1.0). */
  scope<R>(name: string, f: () => R): R {
    this.prefix.push(name);
    try {
      return f();
    } finally {
      this.prefix.pop();
    }
  }

  /**
   * A module call: like `scope`, and the module's inputs stay alive until it returns, because the
   * caller's Python variable (or nn.Sequential's loop variable) still references them. This is why a
   * residual block's input, or a Conv-BN-act Sequential's input, is live during the whole call.
   */
  block<R>(name: string, inputs: T | T[], f: () => R): R {
    const start = this.nodes.length;
    this.retained.push([]);
    let r: R;
    try {
      r = this.scope(name, f);
    } finally {
      const kept = this.retained.pop()!;
      const end = this.nodes.length - 1;
      if (end >= start) for (const t of [...(Array.isArray(inputs) ? inputs : [inputs]), ...kept]) this.holds.push([t.storage, end]);
    }
    return r;
  }

  /** Keep `t` referenced until the enclosing module call returns (a local variable still holds it). */
  retain(t: T): T {
    this.retained[this.retained.length - 1]?.push(t);
    return t;
  }
  private retained: T[][] = [];

  /** Run `f` reusing parameters already counted (a head shared across FPN levels). */
  sharedWeights<R>(f: () => R): R {
    const start = this.nodes.length;
    const r = f();
    for (let i = start; i < this.nodes.length; i++) this.nodes[i].shared = true;
    return r;
  }

  /** Run `f` with parameters frozen (requires_grad=False), e.g. torchvision detectors' conv1 + layer1. */
  frozen<R>(f: () => R): R {
    const was = this.trainable;
    this.trainable = false;
    try {
      return f();
    } finally {
      this.trainable = was;
    }
  }

  private name(op: string): string {
    return this.prefix.length ? `${this.prefix.join(".")}.${op}` : op;
  }

  private newStorage(shape: number[], dtype: ElemType): number {
    const id = this.storages.length;
    this.storages.push({ id, bytes: numelOf(shape) * ELEM_BYTES[dtype], dtype });
    return id;
  }

  private tensor(shape: number[], dtype: ElemType, requiresGrad: boolean, storage?: number): T {
    for (const d of shape) {
      if (!Number.isSafeInteger(d) || d < 1) {
        throw new VramfitError("invalid_option", `shape inference gave a non-positive size ${JSON.stringify(shape)} at ${this.prefix.join(".") || "input"}`, { suggestion: "the image is too small for this model's strides; use a larger --image" });
      }
    }
    const t: T = { id: this.tensors.length, shape, dtype, storage: storage ?? this.newStorage(shape, dtype), requiresGrad };
    this.tensors.push(t);
    return t;
  }

  private node(op: string, inputs: T[], outputs: T[], saved: T[], params: number[][] = [], extra: Partial<GraphNode> = {}): void {
    const tracked = inputs.some((t) => t.requiresGrad) || (params.length > 0 && this.trainable);
    this.nodes.push({
      id: this.nodes.length,
      op,
      name: this.name(op),
      inputs: inputs.map((t) => t.id),
      outputs: outputs.map((t) => t.id),
      saved: tracked ? [...new Set(saved.map((t) => t.storage))] : [],
      params,
      trainable: this.trainable,
      ...extra,
    });
  }

  private grad(inputs: T[], hasParams: boolean): boolean {
    return inputs.some((t) => t.requiresGrad) || (hasParams && this.trainable);
  }

  /** Parameter dtype: 16 bit for model.to(fp16/bf16), fp32 otherwise. */
  get paramElem(): ElemType {
    return this.amp || this.precision === "fp32" ? "f32" : this.half;
  }

  input(shape: number[]): T {
    // The batch as the data loader delivers it: fp32, or already cast for a 16-bit model.
    const t = this.tensor(shape, this.paramElem, false);
    this.inputId = t.id;
    return t;
  }

  /** Autocast: a 16-bit op receiving fp32 makes a 16-bit copy (saved in its place). */
  private toHalf(x: T): T {
    if (!this.amp || x.dtype !== "f32") return x;
    const y = this.tensor(x.shape, this.half, x.requiresGrad);
    this.node("autocast_cast", [x], [y], []);
    return y;
  }

  /** Autocast: an fp32-list op (layer/group norm, softmax) receiving 16 bit makes an fp32 copy. */
  private toFloat(x: T): T {
    if (!this.amp || x.dtype === "f32") return x;
    const y = this.tensor(x.shape, "f32", x.requiresGrad);
    this.node("autocast_cast", [x], [y], []);
    return y;
  }

  private outDtype(x: T): ElemType {
    return this.amp ? this.half : x.dtype;
  }

  // ---- convolution and linear --------------------------------------------------------------

  conv(x: T, o: ConvOpts): T {
    if (x.shape.length !== 4) throw new VramfitError("invalid_option", `conv2d expects N×C×H×W, got ${JSON.stringify(x.shape)} at ${this.name("conv")}`);
    const [n, c, h, w] = x.shape;
    const [kh, kw] = pair(o.k);
    const [sh, sw] = pair(o.s ?? 1);
    const d = o.d ?? 1;
    const [ph, pw] = pair(o.p ?? [Math.floor(kh / 2) * d, Math.floor(kw / 2) * d]);
    const g = o.g ?? 1;
    if (c % g !== 0 || o.out % g !== 0) throw new VramfitError("invalid_option", `conv2d groups ${g} do not divide channels ${c}→${o.out} at ${this.name("conv")}`);
    const [eh, ew] = o.pEnd ?? [ph, pw];
    const oh = Math.floor((h + ph + eh - d * (kh - 1) - 1) / sh + 1);
    const ow = Math.floor((w + pw + ew - d * (kw - 1) - 1) / sw + 1);
    const xin = this.toHalf(x);
    const params: number[][] = [[o.out, c / g, kh, kw]];
    if (o.bias) params.push([o.out]);
    const y = this.tensor([n, o.out, oh, ow], this.outDtype(x), this.grad([x], true));
    // cuDNN workspace (approx, docs/research/mechanics.md §9.4): the larger feature map of the call.
    const ws = Math.max(this.storages[xin.storage].bytes, this.storages[y.storage].bytes);
    this.node("conv2d", [xin], [y], [xin], params, { workspaceBytes: ws });
    return y;
  }

  /** nn.ConvTranspose2d (U-Net up path): out = (in − 1)·s − 2p + k. */
  convTranspose(x: T, o: { out: number; k: number; s: number; p?: number; bias?: boolean }): T {
    const [n, c, h, w] = x.shape;
    const p = o.p ?? 0;
    const xin = this.toHalf(x);
    const params: number[][] = [[c, o.out, o.k, o.k]];
    if (o.bias ?? true) params.push([o.out]);
    const y = this.tensor([n, o.out, (h - 1) * o.s - 2 * p + o.k, (w - 1) * o.s - 2 * p + o.k], this.outDtype(x), this.grad([x], true));
    this.node("conv_transpose2d", [xin], [y], [xin], params, { workspaceBytes: Math.max(this.storages[xin.storage].bytes, this.storages[y.storage].bytes) });
    return y;
  }

  /**
   * nn.Linear over the last dimension (any leading dims). ATen's linear (aten/src/ATen/native/Linear.cpp)
   * uses one fused addmm for 2-D inputs and for contiguous N-D inputs (3-D only before torch 2.x,
   * `torch1`); otherwise it runs matmul — which first copies a non-contiguous input (the copy is
   * what gets saved) — and adds the bias out of place, so the op briefly holds two outputs.
   */
  linear(x: T, out: number, bias = true, opts: { contiguous?: boolean } = {}): T {
    const inF = x.shape[x.shape.length - 1];
    const contiguous = opts.contiguous ?? true;
    let xin = this.toHalf(x);
    if (!contiguous && x.shape.length > 2 && xin === x) xin = this.copy(x, x.shape, "contiguous");
    const params: number[][] = [[out, inF]];
    if (bias) params.push([out]);
    const fused = x.shape.length === 2 || (contiguous && (!this.torch1 || x.shape.length === 3));
    const shape = [...x.shape.slice(0, -1), out];
    const rg = this.grad([x], true);
    if (!bias || fused) {
      const y = this.tensor(shape, this.outDtype(x), rg);
      this.node("linear", [xin], [y], [xin], params);
      return y;
    }
    const mm = this.tensor(shape, this.outDtype(x), rg);
    this.node("linear", [xin], [mm], [xin], params);
    const y = this.tensor(shape, mm.dtype, rg);
    this.node("linear_bias_add", [mm], [y], []);
    // The module's input is referenced until forward returns.
    this.holds.push([x.storage, this.nodes.length - 1], [xin.storage, this.nodes.length - 1]);
    return y;
  }

  /** Batched matmul a @ b over the last two dims; both operands saved (mechanics §9.1). */
  matmul(a: T, b: T): T {
    const a2 = this.toHalf(a);
    const b2 = this.toHalf(b);
    const m = a.shape[a.shape.length - 2];
    const nOut = b.shape[b.shape.length - 1];
    const y = this.tensor([...a.shape.slice(0, -2), m, nOut], this.amp ? this.half : a.dtype, this.grad([a, b], false));
    const saved: T[] = [];
    if (b.requiresGrad) saved.push(a2);
    if (a.requiresGrad) saved.push(b2);
    this.node("matmul", [a2, b2], [y], saved);
    return y;
  }

  // ---- normalization -----------------------------------------------------------------------

  /**
   * BatchNorm2d: saves input + per-channel fp32 save_mean / save_invstd; output is new. `evalMode`
   * (MMDetection's norm_eval=True with trainable affine): running statistics are used, so only the input
   * is saved (for the weight gradient).
   */
  batchNorm(x: T, evalMode = false): T {
    const c = x.shape[1];
    const y = this.tensor(x.shape, x.dtype, this.grad([x], true));
    if (evalMode) {
      this.node("batch_norm", [x], [y], [x], [[c], [c]]);
      return y;
    }
    const stats = [this.tensor([c], "f32", false), this.tensor([c], "f32", false)];
    this.node("batch_norm", [x], [y, ...stats], [x, ...stats], [[c], [c]]);
    return y;
  }

  /**
   * torchvision FrozenBatchNorm2d (detector backbones): x * scale + shift with buffers, two new maps,
   * nothing big saved (mul keeps the per-channel scale).
   */
  frozenBatchNorm(x: T): T {
    const c = x.shape[1];
    const scale = this.tensor([1, c, 1, 1], x.dtype, false);
    const m = this.tensor(x.shape, x.dtype, x.requiresGrad);
    this.node("frozen_bn_mul", [x], [m], [scale]);
    const y = this.tensor(x.shape, x.dtype, x.requiresGrad);
    this.node("frozen_bn_add", [m], [y], []);
    // The caller's variable (out = self.bn1(out), nn.Sequential's input) holds x until the module returns, so x,
    // the product and the sum are live together (checked: bench/vision/detr-cpu-torch2.jsonl infer_peak_bytes).
    this.holds.push([x.storage, this.nodes.length - 1]);
    return y;
  }

  /** LayerNorm over the last `dims` sizes: saves input + fp32 mean/rstd per row (fp32 under autocast). */
  layerNorm(x: T, affine = true): T {
    // CUDA autocast lists layer_norm as fp32; CPU autocast (torch 2.x) does not, so it runs in bf16 there.
    const xin = this.device === "cpu" ? x : this.toFloat(x);
    const dim = x.shape[x.shape.length - 1];
    const rows = numelOf(x.shape.slice(0, -1));
    const y = this.tensor(x.shape, xin.dtype, this.grad([x], affine));
    const stats = [this.tensor([rows], "f32", false), this.tensor([rows], "f32", false)];
    this.node("layer_norm", [xin], [y, ...stats], [xin, ...stats], affine ? [[dim], [dim]] : []);
    return y;
  }

  /** GroupNorm: saves input + fp32 mean/rstd per (sample, group). */
  groupNorm(x: T, groups: number): T {
    const xin = this.toFloat(x);
    const c = x.shape[1];
    const y = this.tensor(x.shape, xin.dtype, this.grad([x], true));
    const stats = [this.tensor([x.shape[0] * groups], "f32", false), this.tensor([x.shape[0] * groups], "f32", false)];
    this.node("group_norm", [xin], [y, ...stats], [xin, ...stats], [[c], [c]]);
    return y;
  }

  // ---- activations -------------------------------------------------------------------------

  /**
   * Elementwise activation. ReLU family saves its output; an in-place ReLU writes into the input's
   * storage. SiLU/GELU/Hardswish/Hardsigmoid save their input: run in place, autograd keeps a copy of
   * the original input, so the storage count is the same as out of place.
   */
  act(x: T, kind: Act, inplace = false): T {
    const savesOutput = kind === "relu" || kind === "relu6" || kind === "sigmoid" || kind === "tanh" || kind === "leaky_relu";
    if (savesOutput) {
      const y = inplace ? this.tensor(x.shape, x.dtype, x.requiresGrad, x.storage) : this.tensor(x.shape, x.dtype, x.requiresGrad);
      // relu6/leaky_relu backward use the input; with in-place it is the same storage either way.
      this.node(kind, [x], [y], [kind === "relu6" || kind === "leaky_relu" ? x : y]);
      return y;
    }
    if (inplace) {
      // In place, autograd saves a clone of the original input (checked: torch 1.13 hardswish_/silu_).
      const y = this.tensor(x.shape, x.dtype, x.requiresGrad, x.storage);
      const clone = x.requiresGrad ? [this.tensor(x.shape, x.dtype, false)] : [];
      this.node(kind, [x], [y], clone);
      return y;
    }
    const y = this.tensor(x.shape, x.dtype, x.requiresGrad);
    this.node(kind, [x], [y], [x]);
    return y;
  }

  softmax(x: T): T {
    const xin = this.toFloat(x);
    const y = this.tensor(x.shape, xin.dtype, x.requiresGrad);
    this.node("softmax", [xin], [y], [y]);
    return y;
  }

  /** Dropout in training with p > 0 keeps a 1-byte mask (CUDA fused kernel); p = 0 is the identity. */
  dropout(x: T, p: number): T {
    if (p <= 0) return x;
    const y = this.tensor(x.shape, x.dtype, x.requiresGrad);
    // CUDA runs the fused native_dropout (a bool mask); CPU runs input * (empty_like(input).bernoulli_() / (1 − p)),
    // whose noise has the input's dtype (aten/src/ATen/native/Dropout.cpp, is_fused_kernel_acceptable).
    const mask = this.tensor(x.shape, this.device === "cpu" ? x.dtype : "bool", false);
    this.node("dropout", [x], [y, mask], [mask]);
    return y;
  }

  // ---- pooling and resizing ----------------------------------------------------------------

  maxPool(x: T, k: number, s = k, p = 0, ceil = false): T {
    const [n, c, h, w] = x.shape;
    const f = ceil ? Math.ceil : Math.floor;
    let oh = f((h + 2 * p - k) / s) + 1;
    let ow = f((w + 2 * p - k) / s) + 1;
    // PyTorch: with ceil_mode the last window must start inside the input or left padding.
    if (ceil && (oh - 1) * s >= h + p) oh--;
    if (ceil && (ow - 1) * s >= w + p) ow--;
    const y = this.tensor([n, c, oh, ow], x.dtype, x.requiresGrad);
    const idx = this.tensor([n, c, oh, ow], "i64", false);
    this.node("max_pool2d", [x], [y, idx], [x, idx]);
    return y;
  }

  avgPool(x: T, k: number, s = k, p = 0, ceil = false): T {
    const [n, c, h, w] = x.shape;
    const f = ceil ? Math.ceil : Math.floor;
    let oh = f((h + 2 * p - k) / s) + 1;
    let ow = f((w + 2 * p - k) / s) + 1;
    if (ceil && (oh - 1) * s >= h + p) oh--;
    if (ceil && (ow - 1) * s >= w + p) ow--;
    const y = this.tensor([n, c, oh, ow], x.dtype, x.requiresGrad);
    this.node("avg_pool2d", [x], [y], [x]);
    return y;
  }

  /**
   * adaptive_avg_pool2d. torch 2.x computes a 1×1 output as `input.mean((-1, -2), keepdim=True)`
   * (aten/src/ATen/native/AdaptiveAveragePooling.cpp), whose backward needs only the shape: nothing is
   * saved (checked: bench/torch2/COMPARISON.md, torch 1.13 vs 2.13). torch 1.13 saved the input.
   */
  adaptiveAvgPool(x: T, out: [number, number]): T {
    const [n, c] = x.shape;
    const y = this.tensor([n, c, out[0], out[1]], x.dtype, x.requiresGrad);
    const asMean = !this.torch1 && out[0] === 1 && out[1] === 1;
    this.node("adaptive_avg_pool2d", [x], [y], asMean ? [] : [x]);
    return y;
  }

  /** Nearest or bilinear resize by an integer factor or to a size: saves sizes only. */
  upsample(x: T, to: number | [number, number]): T {
    const [n, c, h, w] = x.shape;
    const [oh, ow] = typeof to === "number" ? [h * to, w * to] : to;
    const y = this.tensor([n, c, oh, ow], x.dtype, x.requiresGrad);
    this.node("upsample", [x], [y], []);
    return y;
  }

  // ---- tensor plumbing ---------------------------------------------------------------------

  cat(xs: T[], dim: number): T {
    const shape = [...xs[0].shape];
    const d = dim < 0 ? shape.length + dim : dim;
    for (const t of xs)
      if (t.shape.length !== shape.length || t.shape.some((v, i) => i !== d && v !== shape[i]))
        throw new VramfitError("invalid_option", `concat of mismatched shapes ${xs.map((u) => JSON.stringify(u.shape)).join(" and ")} at ${this.name("cat")}`, { suggestion: "use an image size that is a multiple of the model's total stride (32 for most detectors and U-Nets)" });
    shape[d] = xs.reduce((s, t) => s + t.shape[d], 0);
    const dtype = xs.some((t) => t.dtype === "f32") ? "f32" : xs[0].dtype;
    const y = this.tensor(shape, dtype, xs.some((t) => t.requiresGrad));
    this.node("cat", xs, [y], []);
    return y;
  }

  /** split/chunk: views into the input's storage. */
  split(x: T, sizes: number[], dim: number): T[] {
    const d = dim < 0 ? x.shape.length + dim : dim;
    const outs = sizes.map((s) => {
      const shape = [...x.shape];
      shape[d] = s;
      return this.tensor(shape, x.dtype, x.requiresGrad, x.storage);
    });
    this.node("split", [x], outs, []);
    return outs;
  }

  /** A view (reshape of a contiguous tensor, flatten, permute without copy, slicing). */
  view(x: T, shape: number[]): T {
    const y = this.tensor(shape, x.dtype, x.requiresGrad, x.storage);
    this.node("view", [x], [y], []);
    return y;
  }

  /** A materialising copy: .contiguous(), reshape of a non-contiguous tensor, roll, pad. Saves nothing. */
  copy(x: T, shape: number[] = x.shape, op = "copy"): T {
    const y = this.tensor(shape, x.dtype, x.requiresGrad);
    this.node(op, [x], [y], []);
    return y;
  }

  /** Residual add (out of place; `inplace` writes into a's storage, as `x += identity`). Saves nothing. */
  add(a: T, b: T, inplace = false): T {
    const [big, small] = a.shape.length >= b.shape.length ? [a.shape, b.shape] : [b.shape, a.shape];
    const off = big.length - small.length;
    if (small.some((v, i) => v !== 1 && v !== big[i + off]))
      throw new VramfitError("invalid_option", `add of mismatched shapes ${JSON.stringify(a.shape)} and ${JSON.stringify(b.shape)} at ${this.name("add")}`, { suggestion: "use an image size that is a multiple of the model's total stride" });
    const dtype = a.dtype === "f32" || b.dtype === "f32" ? "f32" : a.dtype;
    const rg = a.requiresGrad || b.requiresGrad;
    const y = inplace && dtype === a.dtype ? this.tensor(a.shape, dtype, rg, a.storage) : this.tensor(a.shape, dtype, rg);
    this.node("add", [a, b], [y], []);
    return y;
  }

  /** Elementwise multiply with broadcasting: saves the other operand of each operand that needs grad. */
  mul(a: T, b: T): T {
    const shape = a.shape.length >= b.shape.length ? a.shape : b.shape;
    const big = numelOf(a.shape) >= numelOf(b.shape) ? a.shape : b.shape;
    const dtype = a.dtype === "f32" || b.dtype === "f32" ? "f32" : a.dtype;
    const y = this.tensor(big.length === shape.length ? big : shape, dtype, a.requiresGrad || b.requiresGrad);
    const saved: T[] = [];
    if (a.requiresGrad) saved.push(b);
    if (b.requiresGrad) saved.push(a);
    this.node("mul", [a, b], [y], saved);
    return y;
  }

  /** Multiply by a scalar (attention scaling): saves nothing. */
  scale(x: T): T {
    const y = this.tensor(x.shape, x.dtype, x.requiresGrad);
    this.node("mul_scalar", [x], [y], []);
    return y;
  }

  /** Learnable per-channel scale (ConvNeXt/CaiT layer scale): param * x saves x. */
  layerScale(x: T, channels: number): T {
    const y = this.tensor(x.shape, x.dtype, this.grad([x], true));
    this.node("layer_scale", [x], [y], this.trainable ? [x] : [], [[channels, 1, 1]]);
    return y;
  }

  /**
   * Stochastic depth (torchvision ops.StochasticDepth, mode "row") in training with p > 0:
   * input * noise[N,1,1,...] — a new map, the tiny noise saved. p = 0 or inference: identity.
   */
  stochasticDepth(x: T, p: number, training: boolean): T {
    if (!training || p <= 0) return x;
    const noise = this.tensor([x.shape[0], ...x.shape.slice(1).map(() => 1)], x.dtype, false);
    this.node("bernoulli", [], [noise], []);
    return this.mul(x, noise);
  }

  /** A parameter tensor used as an activation (ViT class token, position embedding). */
  parameter(shape: number[]): T {
    const t = this.tensor(shape, this.paramElem, this.trainable);
    this.node("parameter", [], [t], [], [shape]);
    return t;
  }

  /**
   * Fused scaled-dot-product attention (flash / memory-efficient SDPA) over q, k, v [B, heads, S, d]:
   * saves q, k, v, the output and the fp32 log-sum-exp [B, heads, S] (no S×S matrix).
   */
  sdpa(q: T, k: T, v: T): T {
    const [b, a, s] = q.shape;
    const qs = [this.toHalf(q), this.toHalf(k), this.toHalf(v)];
    const y = this.tensor(q.shape, qs[0].dtype, q.requiresGrad || k.requiresGrad || v.requiresGrad);
    const lse = this.tensor([b, a, s], "f32", false);
    this.node("sdpa", qs, [y, lse], [...qs, y, lse]);
    return y;
  }

  /**
   * Eager attention (torch MHA before 2.0, HF "eager"): q·scale, softmax(q kᵀ), attn·v — saves the
   * scaled q, k, the S×S probabilities (and a dropout mask when attn_drop > 0), and v.
   */
  eagerAttention(q: T, k: T, v: T, attnDrop = 0): T {
    const qs = this.scale(q);
    const kt = this.view(k, [...k.shape.slice(0, -2), k.shape[k.shape.length - 1], k.shape[k.shape.length - 2]]);
    const scores = this.matmul(qs, kt);
    const p = this.dropout(this.softmax(scores), attnDrop);
    return this.matmul(p, v);
  }

  /**
   * A labelled approximation of a detector/loss part: a tensor of `shape` whose bytes were estimated.
   * `saved`: autograd keeps it; `differentiable`: a gradient of its size flows back through it.
   */
  approx(what: string, inputs: T[], shape: number[], dtype: ElemType, note: string, saved = false, differentiable = saved): T {
    const y = this.tensor(shape, dtype, differentiable && inputs.some((t) => t.requiresGrad));
    this.node(what, inputs, [y], saved ? [y] : [], [], { approx: note });
    return y;
  }

  /**
   * A fused op (native MHA fast path, fused detector kernels): one output and scratch tensors that live
   * only while it runs. They are real CUDA allocations; a CPU dispatch trace cannot see them (`internal`).
   */
  fusedOp(op: string, inputs: T[], outShape: number[], scratch: number[][], params: number[][]): T {
    const dtype = this.amp ? this.half : inputs[0].dtype;
    const y = this.tensor(outShape, dtype, this.grad(inputs, params.length > 0));
    const tmp = scratch.map((sh) => this.tensor(sh, dtype, false));
    this.node(op, inputs, [y, ...tmp], [], params, { internal: tmp.map((t) => t.storage) });
    return y;
  }

  /**
   * An op the builder has no method for (grid_sample, gathers): one output of `shape`, saving the given tensors
   * for backward (only when autograd records it).
   */
  custom(op: string, inputs: T[], shape: number[], dtype: ElemType, saved: T[], requiresGrad = inputs.some((t) => t.requiresGrad)): T {
    const y = this.tensor(shape, dtype, requiresGrad);
    this.node(op, inputs, [y], saved);
    return y;
  }

  /** Parameters with no activation role in the graph (e.g. a frozen DFL conv counted by model.info()). */
  extraParams(op: string, shapes: number[][]): void {
    this.node(op, [], [], [], shapes);
  }

  finish(outputs: T[]): VisionGraph {
    return {
      tensors: this.tensors,
      storages: this.storages,
      nodes: this.nodes,
      input: this.inputId,
      outputs: outputs.map((t) => t.id),
      precision: this.precision,
      holds: this.holds,
      paramBytes: ELEM_BYTES[this.paramElem],
    };
  }
}
