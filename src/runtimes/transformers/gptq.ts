/**
 * GPTQ kernels' own GPU buffers in transformers (GPTQConfig → optimum's GPTQQuantizer.post_init_model →
 * auto_gptq.modeling._utils.autogptq_post_init). Read in AutoGPTQ at tag v0.6.0 (323950b, 2023-12-15); the
 * formulas are the same from v0.5.0 to v0.7.1:
 *  - exllama (v1), auto_gptq/modeling/_utils.py autogptq_post_init: one `temp_dq` per device,
 *    torch.zeros((1, max qweight.numel() * 8), float16) — the largest quantized linear dequantized (4-bit:
 *    qweight.numel() · 8 = in · out), used when more than `matmul_recons_thd` = 8 rows come in (prefill);
 *    and `temp_state` (max_input_len = EXLLAMA_DEFAULT_MAX_INPUT_LENGTH 2048 × max(in, out), float16) only with
 *    act-order (desc_act), else 1 × 1.
 *  - exllamav2, auto_gptq/nn_modules/qlinear/qlinear_exllamav2.py: one ExLlamaV2DeviceTensors scratch per
 *    device of max over modules of scratch_space_fixed() = temp_dq_size() + temp_fwd_size(2048, 8) =
 *    (in · out · 2 + 128) + (out · 2048 · 8 · 4 + 128) bytes.
 *  - marlin, qlinear_marlin.py: a `workspace` buffer per module, torch.zeros(out // 128 * 16, int32).
 * transformers' GPTQConfig defaults to exllama v1 (`exllama_config = {"version": ExllamaVersion.ONE}`,
 * utils/quantization_config.py, 4.35 to 4.48); transformers 5 loads GPTQ through gptqmodel's `backend="auto"`,
 * whose buffers are not read here: without --gptq-kernel no kernel buffer is counted.
 */
import type { Component } from "../../core/estimate-types.js";
import type { TransformerModel } from "../../core/model.js";
import { isQuantized } from "../../core/precision.js";

export const GPTQ_KERNELS = ["exllamav1", "exllamav2", "marlin"] as const;
export type GptqKernel = (typeof GPTQ_KERNELS)[number];

/** auto_gptq EXLLAMA_DEFAULT_MAX_INPUT_LENGTH, and the max_batch_size default of scratch_space_fixed(). */
const MAX_INPUT_LEN = 2048;
const MAX_BATCH = 8;

export function gptqKernelComponent(model: TransformerModel, kernel: GptqKernel, opts: { descAct?: boolean } = {}): Component | null {
  const linears = model.tensors.filter((g) => isQuantized(g, "gptq") && g.shape.length === 2 && !g.part);
  if (!linears.length) return null;
  if (kernel === "exllamav1") {
    const dq = Math.max(...linears.map((g) => g.shape[0] * g.shape[1])) * 2;
    const state = opts.descAct ? MAX_INPUT_LEN * Math.max(...linears.map((g) => Math.max(g.shape[0], g.shape[1]))) * 2 : 2;
    return {
      id: "gptq_buffers",
      label: "GPTQ exllama buffers",
      bytes: dq + state,
      formula: `exllama temp_dq: the largest quantized linear dequantized to fp16 (${dq} B)${opts.descAct ? ` + temp_state 2048 × max(in, out) fp16 (act-order)` : ""} (auto_gptq autogptq_post_init)`,
      level: "allocated",
    };
  }
  if (kernel === "exllamav2") {
    const bytes = Math.max(...linears.map((g) => g.shape[1] * g.shape[0] * 2 + 128 + g.shape[0] * MAX_INPUT_LEN * MAX_BATCH * 4 + 128));
    return {
      id: "gptq_buffers",
      label: "GPTQ exllamav2 scratch",
      bytes,
      formula: "max over quantized linears of in × out × 2 B (temp_dq) + out × 2048 × 8 × 4 B (temp_fwd) (auto_gptq qlinear_exllamav2 scratch_space_fixed)",
      level: "allocated",
    };
  }
  const bytes = linears.reduce((s, g) => s + Math.floor(g.shape[0] / 128) * 16 * 4 * g.count, 0);
  return { id: "gptq_buffers", label: "GPTQ marlin workspaces", bytes, formula: "per quantized linear: out // 128 × 16 int32 (auto_gptq qlinear_marlin workspace)", level: "allocated" };
}
