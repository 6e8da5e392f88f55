/**
 * The transformers runtime: `generate()` (or a plain forward) in PyTorch with transformers' modules —
 * the default runtime. inference.ts holds the components.
 */
import { z } from "zod";
import { VramfitError } from "../../core/errors.js";
import type { RuntimeProfile } from "../../core/profile.js";
import { kvAndWeightLevers } from "../levers.js";
import { isGgufQuant } from "../../core/precision.js";
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
    return transformersInference(model, w, gpu);
  },
  levers: kvAndWeightLevers,
};
