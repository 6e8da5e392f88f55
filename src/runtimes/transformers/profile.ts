/**
 * The transformers runtime: `generate()` (or a plain forward) in PyTorch with transformers' modules —
 * the default runtime. inference.ts holds the components.
 */
import { z } from "zod";
import { VramfitError } from "../../core/errors.js";
import type { Gpu } from "../../core/gpu.js";
import type { TransformerModel } from "../../core/model.js";
import type { RuntimeProfile } from "../../core/profile.js";
import { kvAndWeightLevers } from "../levers.js";
import { checkpointQuant, isGgufQuant } from "../../core/precision.js";
import type { Workload } from "../../core/workload.js";
import { transformersInference } from "./inference.js";
import { TASK_OPTION } from "../../core/task.js";
import { ENCODER_SEQ_OPTION } from "../../core/encoder-decoder.js";
import { AUDIO_SECONDS_OPTION, IMAGE_SIZE_OPTION, IMAGES_OPTION } from "../../core/multimodal.js";
import { TRANSFORMERS_DEFAULT_VERSION, transformersMechanisms } from "./version.js";
import { GPTQ_KERNELS, type GptqKernel } from "./gptq.js";

const logits = z.enum(["last", "all"]).default("last");
const VERSION_PATTERN = /^\d+\.\d+(\.\d+)?([.-]?(dev|rc|a|b)\d*)?$/;
const transformersVersion = z.string().regex(VERSION_PATTERN, { error: "transformers_version must look like 4.35.2 or 4.36" }).default(TRANSFORMERS_DEFAULT_VERSION);
const gptqKernel = z.enum(GPTQ_KERNELS).optional();
export type TransformersWorkload = Workload & { logits: z.output<typeof logits>; transformers_version: string; gptq_kernel?: GptqKernel };

export const transformersRuntime: RuntimeProfile<{ logits: "last" | "all"; transformers_version: string; gptq_kernel?: GptqKernel }> = {
  id: "transformers",
  label: "transformers (PyTorch)",
  category: "llm_inference",
  options: [
    TASK_OPTION,
    ENCODER_SEQ_OPTION,
    IMAGES_OPTION,
    IMAGE_SIZE_OPTION,
    AUDIO_SECONDS_OPTION,
    {
      key: "logits", schema: logits, group: "Precision", help: "last (generate) | all (plain forward)",
      cli: { arg: "string", flags: "--logits <which>" }, scope: { families: ["transformer"], modes: ["infer"], runtimes: ["transformers"] },
      web: { label: "Logits kept", kind: "select", choices: ["last", "all"], def: "last" },
    },
    {
      key: "transformers_version", schema: transformersVersion, group: "Precision",
      help: `transformers release generate() runs (before 4.42 the KV cache exists twice at the last step; before 4.45 the prompt's logits are all kept; default ${TRANSFORMERS_DEFAULT_VERSION})`,
      cli: { arg: "string", flags: "--transformers-version <x.y.z>" }, scope: { families: ["transformer"], modes: ["infer"], runtimes: ["transformers"] },
      web: { label: "transformers version", kind: "text", pattern: VERSION_PATTERN, auto: TRANSFORMERS_DEFAULT_VERSION, example: "4.35.2" },
    },
    {
      key: "gptq_kernel", schema: gptqKernel, group: "Precision",
      help: `GPTQ kernel and its GPU buffers: ${GPTQ_KERNELS.join(" | ")} (exllamav1 is GPTQConfig's default in transformers 4.x; unset: no kernel buffer counted)`,
      cli: { arg: "string", flags: "--gptq-kernel <name>" }, scope: { families: ["transformer"], modes: ["infer"], runtimes: ["transformers"] },
      web: { label: "GPTQ kernel", kind: "select", choices: GPTQ_KERNELS, auto: "not counted", visible: (c) => c.values.quant === "gptq" },
    },
  ],
  // Before 4.36 transformers had no SDPA path: attention left unstated is eager (version.ts eagerByDefault).
  defaults(model, _gpu, given) {
    const version = typeof given.transformers_version === "string" ? given.transformers_version : TRANSFORMERS_DEFAULT_VERSION;
    if (given.attention === undefined && transformersMechanisms(version, model.architecture).eagerByDefault) return { attention: "eager" };
    return {};
  },
  estimate(model, w, gpu) {
    if (w.quant && isGgufQuant(w.quant)) {
      throw new VramfitError("does_not_run", `GGUF quantization '${w.quant}' runs in llama.cpp or Ollama, not transformers`, { suggestion: "add --runtime llama.cpp" });
    }
    if (w.gptq_kernel && w.quant !== "gptq") {
      throw new VramfitError("invalid_option", `gptq_kernel '${w.gptq_kernel}' needs --quant gptq`, { details: { key: "gptq_kernel" } });
    }
    const stored = storedFormat(model, w, gpu);
    const part = transformersInference(model, stored.quant === w.quant ? w : { ...w, quant: stored.quant }, gpu);
    return stored.assumption ? { ...part, assumptions: [stored.assumption, ...part.assumptions] } : part;
  },
  levers: kvAndWeightLevers,
};

/**
 * The format transformers loads the weights in when --quant is not given: the checkpoint's own
 * (from_pretrained reads config.json `quantization_config` and picks its HfQuantizer). MXFP4 stays MXFP4 on
 * GPUs of compute capability ≥ 7.5 with triton ≥ 3.4 and the `kernels` package; otherwise transformers
 * dequantizes it to bf16 (Mxfp4HfQuantizer.validate_environment, quantizer_mxfp4.py, transformers 4.55+).
 */
export function storedFormat(model: TransformerModel, w: TransformersWorkload, gpu?: Gpu): { quant: TransformersWorkload["quant"]; assumption?: string } {
  const q = checkpointQuant(model);
  if (w.quant != null) {
    // from_pretrained keeps a pre-quantized checkpoint's own quantization_config over the one passed in
    // (it warns and overwrites the loading attributes): another format needs another checkpoint.
    return q && q !== w.quant ? { quant: w.quant, assumption: `--quant ${w.quant} on a checkpoint saved in ${q}: estimated as a ${w.quant} load of the unquantized model (transformers would keep the saved ${q}; use the base checkpoint)` } : { quant: w.quant };
  }
  if (!q) return { quant: w.quant };
  const cc = gpu?.compute_capability ? Number(gpu.compute_capability) : NaN;
  if (q === "mxfp4" && cc < 7.5) {
    return { quant: null, assumption: `the checkpoint's MXFP4 weights dequantized to bf16: transformers keeps MXFP4 only on compute capability ≥ 7.5 (${gpu!.name} is ${gpu!.compute_capability})` };
  }
  const how =
    q === "mxfp4"
      ? "transformers keeps MXFP4 with triton ≥ 3.4 and the `kernels` package installed; without them it dequantizes to bf16 (about 4× the expert weights)"
      : q === "nf4" || q === "fp4" || q === "int8"
        ? "bitsandbytes, as saved"
        : q === "gptq" || q === "awq"
          ? `${q.toUpperCase()} kernels, as saved`
          : "as saved";
  return { quant: q, assumption: `weights in the checkpoint's own ${q} quantization (config.json quantization_config; ${how})` };
}
