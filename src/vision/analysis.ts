/**
 * Memory analyses of a layer graph:
 * - savedActivations: what autograd keeps from forward to backward (each storage once);
 * - backwardPeak: saved maps freed as backward walks the graph in reverse while parameter gradients
 *   accumulate (docs/research/mechanics.md §5 "When does the peak occur", §9.2);
 * - inferencePeak: the largest set of live storages along execution order, a storage dying after its
 *   last consumer (mechanics §9.3). The input batch and the model outputs stay live throughout (the
 *   caller holds them).
 * Bytes are reported raw and after the caching allocator's 512-B rounding (src/core/allocator.ts).
 */
import { allocatedSize } from "../core/allocator.js";
import { type VisionGraph, numelOf } from "./graph.js";

export interface SavedActivations {
  /** Sum of distinct saved storages, exact bytes (what saved_tensors_hooks sees). */
  bytes: number;
  /** The same after 512-B allocator rounding (what max_memory_allocated sees). */
  allocated: number;
  byDtype: Record<string, number>;
  /** Per op kind, for the breakdown. */
  byOp: Record<string, number>;
  storages: number[];
}

export function savedActivations(g: VisionGraph): SavedActivations {
  const seen = new Set<number>();
  const byDtype: Record<string, number> = {};
  const byOp: Record<string, number> = {};
  let bytes = 0;
  let allocated = 0;
  for (const node of g.nodes) {
    for (const s of node.saved) {
      if (seen.has(s)) continue;
      seen.add(s);
      const st = g.storages[s];
      bytes += st.bytes;
      allocated += allocatedSize(st.bytes);
      byDtype[st.dtype] = (byDtype[st.dtype] ?? 0) + st.bytes;
      byOp[node.op] = (byOp[node.op] ?? 0) + st.bytes;
    }
  }
  return { bytes, allocated, byDtype, byOp, storages: [...seen] };
}

/** Index of the first node that saves each storage (backward frees it after that node). */
function firstSaver(g: VisionGraph): Map<number, number> {
  const first = new Map<number, number>();
  for (const node of g.nodes) for (const s of node.saved) if (!first.has(s)) first.set(s, node.id);
  return first;
}

export interface BackwardPeak {
  /** Allocated bytes at the worst moment of backward (saved maps + grads so far + transient grads). */
  bytes: number;
  /** Node at which it happens. */
  at: string;
  /** Parameter-gradient bytes live at that moment. */
  gradBytes: number;
  /** Activation-gradient transients at that moment. */
  transientBytes: number;
}

/**
 * Walk backward in reverse order. At node i: saved storages whose first saver is ≤ i are still live,
 * gradients of trainable params of nodes ≥ i exist (param dtype), and activation gradients are live: the
 * gradient of a storage exists from the backward of its last consumer (where it is first produced or
 * accumulated) down to the backward of its producer (which consumes it). For a chain that is the op's
 * output and input gradient; a residual block's input keeps its gradient through the whole block.
 */
export function backwardPeak(g: VisionGraph, gradElemBytes: number): BackwardPeak {
  const n = g.nodes.length;
  const freedAt = new Array<number>(n).fill(0);
  for (const [s, i] of firstSaver(g)) freedAt[i] += allocatedSize(g.storages[s].bytes);
  const savedPrefix = new Array<number>(n).fill(0);
  let acc = 0;
  for (let i = 0; i < n; i++) {
    acc += freedAt[i];
    savedPrefix[i] = acc;
  }
  // Activation-gradient lifetimes per storage that requires grad: [producer, last consumer].
  const producer = new Map<number, number>();
  const lastUse = new Map<number, number>();
  const needsGrad = new Set<number>();
  for (const node of g.nodes) {
    for (const t of node.outputs) {
      const tt = g.tensors[t];
      if (!producer.has(tt.storage)) producer.set(tt.storage, node.id);
      if (tt.requiresGrad) needsGrad.add(tt.storage);
    }
    if (node.saved.length === 0 && !node.inputs.some((t) => g.tensors[t].requiresGrad)) continue;
    for (const t of node.inputs) {
      const tt = g.tensors[t];
      if (tt.requiresGrad) lastUse.set(tt.storage, Math.max(lastUse.get(tt.storage) ?? -1, node.id));
    }
  }
  const gradAdd = new Array<number>(n + 1).fill(0); // added when the walk reaches the last consumer
  const gradSub = new Array<number>(n + 1).fill(0); // removed after the producer's backward
  for (const s of needsGrad) {
    const p = producer.get(s);
    const c = lastUse.get(s);
    if (p == null || c == null || c < p) continue;
    const bytes = allocatedSize(g.storages[s].bytes);
    gradAdd[c] += bytes;
    gradSub[p] += bytes;
  }
  let grads = 0;
  let actGrads = 0;
  let best: BackwardPeak = { bytes: 0, at: "", gradBytes: 0, transientBytes: 0 };
  for (let i = n - 1; i >= 0; i--) {
    const node = g.nodes[i];
    if (node.trainable && !node.shared) for (const p of node.params) grads += allocatedSize(numelOf(p) * gradElemBytes);
    actGrads += gradAdd[i];
    const total = savedPrefix[i] + grads + actGrads;
    if (total > best.bytes) best = { bytes: total, at: node.name, gradBytes: grads, transientBytes: actGrads };
    actGrads -= gradSub[i];
  }
  return best;
}

export interface LivePeak {
  /** Allocated bytes (512-B rounded) of live storages at the peak. */
  allocated: number;
  /** Exact bytes of the same set. */
  bytes: number;
  at: string;
  /** The storages live at the peak (for the reserved-memory estimate). */
  live: number[];
}

/**
 * Inference (no_grad) live-tensor peak. `device: "cpu"` drops max-pool indices, which PyTorch's CPU
 * no-grad max_pool2d never creates (aten MaxPooling.cpp); on CUDA they exist during the op.
 */
export function inferencePeak(g: VisionGraph, device: "cuda" | "cpu" = "cuda"): LivePeak {
  return livePeak(g, device, false);
}

/**
 * Training forward: the same sweep, but every storage saved for backward stays live to the end of the
 * forward (and beyond), so the peak includes loss-side temporaries on top of all saved activations.
 */
export function trainingForwardPeak(g: VisionGraph): LivePeak {
  return livePeak(g, "cuda", true);
}

/**
 * Each storage's life in node order: born at the node that first outputs it, dead after the last node that
 * reads it or holds it (g.holds: Python locals, module arguments). `onOutput` sees every output (its position
 * k in the node's outputs) so a caller can mark the ones that live only inside their op.
 */
export function storageSpans(g: VisionGraph, onOutput?: (node: VisionGraph["nodes"][number], k: number, storage: number) => void): { birth: Map<number, number>; death: Map<number, number> } {
  const birth = new Map<number, number>();
  const death = new Map<number, number>();
  for (const node of g.nodes) {
    for (const t of node.inputs) {
      const s = g.tensors[t].storage;
      death.set(s, Math.max(death.get(s) ?? node.id, node.id));
    }
    node.outputs.forEach((t, k) => {
      const s = g.tensors[t].storage;
      if (!birth.has(s)) birth.set(s, node.id);
      if (!death.has(s)) death.set(s, node.id);
      onOutput?.(node, k, s);
    });
  }
  for (const [s, until] of g.holds) if (death.has(s)) death.set(s, Math.max(death.get(s)!, until));
  return { birth, death };
}

/** Secondary outputs of norms, dropout and SDPA (batch statistics, masks, log-sum-exp) live only in their op without grad. */
export const isOpLocalOutput = (op: string, k: number): boolean => k > 0 && (op === "batch_norm" || op === "layer_norm" || op === "group_norm" || op === "dropout" || op === "sdpa");

function livePeak(g: VisionGraph, device: "cuda" | "cpu", training: boolean): LivePeak {
  const n = g.nodes.length;
  const dropped = new Set<number>();
  const { birth, death } = storageSpans(g, (node, k, s) => {
    // Outputs after the first that nothing consumes are training-only byproducts (BN batch statistics,
    // max-pool indices): in no_grad they are not produced (BN eval) or only live during the op.
    if (k > 0 && device === "cpu" && node.op === "max_pool2d") dropped.add(s);
    if (device === "cpu" && node.internal?.includes(s)) dropped.add(s);
    if (isOpLocalOutput(node.op, k)) dropped.add(s);
  });
  if (training) {
    dropped.clear();
    for (const node of g.nodes)
      for (const s of node.saved) {
        if (!birth.has(s)) birth.set(s, node.id); // saved-only tensors (clones, noise) appear with their op
        death.set(s, n);
      }
  }
  const inputStorage = g.tensors[g.input].storage;
  birth.set(inputStorage, -1);
  death.set(inputStorage, n);
  for (const t of g.outputs) death.set(g.tensors[t].storage, n);
  // Sweep events.
  const add = new Array<number>(n + 2).fill(0);
  const sub = new Array<number>(n + 2).fill(0);
  for (const [s, b] of birth) {
    if (dropped.has(s)) continue;
    const bytes = allocatedSize(g.storages[s].bytes);
    add[b + 1] += bytes;
    sub[(death.get(s) ?? b) + 1] += bytes;
  }
  let live = 0;
  let peak = 0;
  let at = -1;
  for (let i = 0; i <= n; i++) {
    live += add[i];
    if (live > peak) {
      peak = live;
      at = i - 1;
    }
    live -= sub[i];
  }
  const liveSet: number[] = [];
  let exact = 0;
  for (const [s, b] of birth) {
    if (dropped.has(s)) continue;
    if (b <= at && (death.get(s) ?? b) >= at) {
      liveSet.push(s);
      exact += g.storages[s].bytes;
    }
  }
  return { allocated: peak, bytes: exact, at: at >= 0 ? g.nodes[at].name : "input", live: liveSet };
}
