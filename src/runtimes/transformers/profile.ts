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

const logits = z.enum(["last", "all"]).default("last");
export type TransformersWorkload = Workload & { logits: z.output<typeof logits> };

export const transformersRuntime: RuntimeProfile<{ logits: "last" | "all" }> = {
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
  ],
  estimate(model, w, gpu) {
    if (w.quant && isGgufQuant(w.quant)) {
      throw new VramfitError("does_not_run", `GGUF quantization '${w.quant}' runs in llama.cpp or Ollama, not transformers`, { suggestion: "add --runtime llama.cpp" });
    }
    return transformersInference(model, w, gpu);
  },
  levers: kvAndWeightLevers,
};
