/**
 * The layer graph of a vision model: ops in execution order over tensors whose shapes were propagated
 * from the input (N, C, H, W). Tensors point at storages; views (reshape, permute, split, in-place ops)
 * share their source's storage, so "a tensor saved by two ops counts once" becomes "count each storage
 * once" (docs/research/memory-model.md §9). Pure data: no I/O.
 */

/** Element types that occur in vision graphs. */
export type ElemType = "f32" | "f16" | "bf16" | "i64" | "bool";

export const ELEM_BYTES: Record<ElemType, number> = { f32: 4, f16: 2, bf16: 2, i64: 8, bool: 1 };

/**
 * How the model computes:
 * - fp32: everything in fp32;
 * - bf16 / fp16: weights and activations in 16 bit (model.to(dtype));
 * - amp-fp16 / amp-bf16: fp32 weights under torch.autocast — conv/linear/matmul run in 16 bit on cast
 *   copies of their inputs, layer/group norm and softmax in fp32 (PyTorch autocast op lists).
 */
export type VisionPrecision = "fp32" | "fp16" | "bf16" | "amp-fp16" | "amp-bf16";
export const VISION_PRECISIONS: readonly VisionPrecision[] = ["fp32", "fp16", "bf16", "amp-fp16", "amp-bf16"];

export interface Storage {
  id: number;
  bytes: number;
  dtype: ElemType;
}

export interface GraphTensor {
  id: number;
  shape: number[];
  dtype: ElemType;
  storage: number;
  /** Does autograd track it (derived from a trainable parameter)? The input image does not. */
  requiresGrad: boolean;
}

export interface GraphNode {
  id: number;
  /** Op kind: conv2d, batch_norm, relu, linear, attention, ... */
  op: string;
  /** Module path (layer1.0.conv1) for breakdowns and error messages. */
  name: string;
  inputs: number[];
  outputs: number[];
  /** Storages autograd keeps for this op's backward (training only). */
  saved: number[];
  /** Parameter tensors this op owns, as shapes. */
  params: number[][];
  /** The op reuses parameters counted on another node (shared detector heads): not counted again. */
  shared?: boolean;
  /** Whether those parameters are trained (frozen backbone stages are not). */
  trainable: boolean;
  /** Transient scratch bytes the op needs while it runs (cuDNN workspace estimate), not a tensor. */
  workspaceBytes?: number;
  /** Scratch storages inside a fused op (visible to the CUDA allocator, not to a CPU dispatch trace). */
  internal?: number[];
  /** Labelled approximation (detector parts): says what was approximated. */
  approx?: string;
}

export interface VisionGraph {
  tensors: GraphTensor[];
  storages: Storage[];
  nodes: GraphNode[];
  input: number;
  outputs: number[];
  precision: VisionPrecision;
  /**
   * Python references that keep a storage alive past its last consumer: a module's input is held by
   * the caller's local variable until the module returns ([storage, last node index of the module]).
   */
  holds: Array<[number, number]>;
  /** Parameter dtype in bytes (4 for fp32 / AMP, 2 for pure 16-bit). */
  paramBytes: number;
}

export function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Total parameter count of a graph (every parameter tensor of every op, trainable or not). */
export function graphParams(g: VisionGraph): number {
  let n = 0;
  for (const node of g.nodes) if (!node.shared) for (const p of node.params) n += numelOf(p);
  return n;
}

export function trainableParams(g: VisionGraph): number {
  let n = 0;
  for (const node of g.nodes) if (node.trainable && !node.shared) for (const p of node.params) n += numelOf(p);
  return n;
}
