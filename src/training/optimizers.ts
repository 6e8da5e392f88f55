/**
 * Optimizer state and the temporary memory of its step, per trainable tensor.
 * Sources (docs/research/mechanics.md §5 and the code cited at each optimizer):
 * - torch.optim Adam/AdamW: exp_avg, exp_avg_sq = zeros_like(param) (param dtype). The default multi-tensor
 *   step (`_multi_tensor_adam`, torch/optim/adam.py) allocates one list `exp_avg_sq_sqrt =
 *   torch._foreach_sqrt(device_exp_avg_sqs)` as large as the states of one (device, dtype) group, then works
 *   in place; `fused=True` runs one kernel with no full-size temporaries; the per-tensor loop
 *   (`_single_tensor_adam`) builds `denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)`: two
 *   temporaries of the largest tensor.
 * - SGD momentum_buffer, Lion exp_avg, Adagrad state_sum, RMSprop square_avg: one state each.
 * - bitsandbytes 8-bit (bitsandbytes/optim/optimizer.py Optimizer2State.init_state): uint8 state1/state2 of
 *   the param's shape + fp32 absmax1/absmax2 per block of 256 (2048 in releases before 0.42); tensors with
 *   fewer than min_8bit_size = 4096 elements keep fp32 states. Paged variants allocate the states with
 *   cudaMallocManaged (outside PyTorch's allocator).
 * - transformers Adafactor (optimization.py, relative_step=False as the Trainer sets it, beta1=None):
 *   exp_avg_sq_row [rows] + exp_avg_sq_col [cols] per matrix, exp_avg_sq of full size for 1-D tensors, in the
 *   grad's dtype; its per-tensor step builds (grad**2 + eps), the factored update and `-update * lr`:
 *   three fp32 temporaries of the largest tensor (+ fp32 copies of grad and param when they are 16-bit).
 */
import type { TrainingWorkload as Workload } from "./options.js";

export interface ParamTensor {
  /** Elements of one tensor. */
  numel: number;
  /** [out, in] for matrices, [n] for vectors. */
  shape: number[];
  count: number;
  /** Bytes per element of the parameter (and of its grad and torch optimizer states). */
  bytes: number;
}

export const BNB_BLOCK = 256;
export const BNB_MIN_8BIT_SIZE = 4096;

export interface OptimizerMemory {
  stateBytes: number;
  stateFormula: string;
  /** Bytes of state that live outside PyTorch's allocator (paged optimizers: CUDA unified memory). */
  paged: boolean;
  stepTempBytes: number;
  stepTempFormula: string;
}

function total(params: readonly ParamTensor[], f: (p: ParamTensor) => number): number {
  let s = 0;
  for (const p of params) s += f(p) * p.count;
  return s;
}

function largest(params: readonly ParamTensor[]): ParamTensor | undefined {
  let best: ParamTensor | undefined;
  for (const p of params) if (!best || p.numel * p.bytes > best.numel * best.bytes) best = p;
  return best;
}

/** Bytes of one bitsandbytes blockwise 8-bit state pair for a tensor (or fp32 states when small). */
export function bnb8bitStateBytes(numel: number, states: number): number {
  if (numel < BNB_MIN_8BIT_SIZE) return numel * 4 * states;
  const blocks = Math.ceil(numel / BNB_BLOCK);
  return states * (numel + blocks * 4);
}

/** Adafactor's factored second moment: rows + cols for matrices, full size for vectors. */
export function adafactorStateElements(shape: readonly number[]): number {
  if (shape.length < 2) return shape.reduce((a, b) => a * b, 1);
  const cols = shape[shape.length - 1];
  const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const lead = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return rows + lead * cols;
}

/** States per element for the torch optimizers with full-size state tensors. */
const TORCH_STATES: Partial<Record<Workload["optimizer"], number>> = {
  adamw: 2,
  adam: 2,
  "paged-adamw": 2,
  sgd: 0,
  "sgd-momentum": 1,
  lion: 1,
  adagrad: 1,
  rmsprop: 1,
};

export function optimizerMemory(
  optimizer: Workload["optimizer"],
  impl: Workload["optimizer_impl"],
  params: readonly ParamTensor[],
): OptimizerMemory {
  const big = largest(params);
  const n = total(params, (p) => p.numel);
  const paramBytes = total(params, (p) => p.numel * p.bytes);
  if (optimizer === "adamw-8bit" || optimizer === "paged-adamw-8bit") {
    const bytes = total(params, (p) => bnb8bitStateBytes(p.numel, 2));
    return {
      stateBytes: bytes,
      stateFormula: `bitsandbytes 8-bit: 2 × (1 B + 4 B per ${BNB_BLOCK}-block absmax) per element for tensors ≥ ${BNB_MIN_8BIT_SIZE} elements, fp32 states below`,
      paged: optimizer === "paged-adamw-8bit",
      stepTempBytes: 0,
      stepTempFormula: "blockwise update kernel works in place",
    };
  }
  if (optimizer === "adafactor") {
    const bytes = total(params, (p) => adafactorStateElements(p.shape) * p.bytes);
    const tmp = big ? 3 * 4 * big.numel + (big.bytes < 4 ? 2 * 4 * big.numel : 0) : 0;
    return {
      stateBytes: bytes,
      stateFormula: "Adafactor: row + column second moments per matrix (full size for vectors), no first moment (beta1=None)",
      paged: false,
      stepTempBytes: tmp,
      stepTempFormula: `per-tensor loop: 3 fp32 temporaries of the largest tensor (${big?.numel ?? 0} elements)${big && big.bytes < 4 ? " + fp32 copies of its grad and weight" : ""}`,
    };
  }
  const states = TORCH_STATES[optimizer] ?? 0;
  const bytes = states * paramBytes;
  let tmp = 0;
  let tmpFormula = "no temporaries";
  if (states > 0 || optimizer === "lion") {
    if (impl === "fused") {
      tmpFormula = "fused kernel: no full-size temporaries";
    } else if (impl === "foreach") {
      // One state-sized list of temporaries for the (device, dtype) group: sqrt of exp_avg_sq (Adam),
      // sqrt of state_sum/square_avg (Adagrad/RMSprop), the interpolated update (Lion).
      tmp = paramBytes;
      tmpFormula = "multi-tensor step: one temporary per state tensor (torch._foreach_sqrt / update list), the size of all trainable params";
    } else {
      tmp = big ? 2 * big.numel * big.bytes : 0;
      tmpFormula = "per-tensor loop: two temporaries of the largest tensor";
    }
  }
  if (optimizer === "sgd-momentum" && impl !== "fused") {
    tmp = 0;
    tmpFormula = "momentum update in place";
  }
  const per = states === 0 ? "no state" : `${states} state tensor${states > 1 ? "s" : ""} in the param dtype`;
  return {
    stateBytes: bytes,
    stateFormula: `${optimizer}: ${per} × ${n} trainable params`,
    paged: optimizer === "paged-adamw",
    stepTempBytes: tmp,
    stepTempFormula: tmpFormula,
  };
}
