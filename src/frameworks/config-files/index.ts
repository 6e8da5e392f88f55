/**
 * Read a training framework's own configuration file into vramfit settings.
 *
 *   readTrainingConfig(text, "train.yaml")                       // axolotl, LLaMA-Factory, LitGPT, TRL YAML …
 *   readTrainingConfig(text, "8B_lora.yaml", ["batch_size=4"])  // torchtune config + CLI overrides
 *
 * Pure: the text is all it reads. Anything malformed, hostile, of the wrong type or of no known format throws a
 * one-line VramfitError("invalid_file").
 */
import { VramfitError } from "../../core/errors.js";
import { detectFormat } from "./detect.js";
import { Ctx } from "./engine.js";
import { readAccelerate } from "./formats/accelerate.js";
import { readAxolotl } from "./formats/axolotl.js";
import { readDeepspeed } from "./formats/deepspeed.js";
import { readHfArgs } from "./formats/hf.js";
import { readLitgpt } from "./formats/litgpt.js";
import { readLlamaFactory } from "./formats/llama-factory.js";
import { applyOverrides, readTorchtune } from "./formats/torchtune.js";
import { invalid, parseConfigText } from "./parse.js";
import type { ConfigFormat, TrainingConfigRead } from "./types.js";

export type { ConfigFormat, SettingValue, TrainingConfigRead, TrainingSetting } from "./types.js";
export { CONFIG_FORMATS, TRAINING_SETTINGS } from "./types.js";

const FRAMEWORK: Record<ConfigFormat, string> = {
  axolotl: "axolotl",
  "llama-factory": "llama-factory",
  torchtune: "torchtune",
  litgpt: "litgpt",
  "hf-training-args": "transformers",
  deepspeed: "deepspeed",
  accelerate: "accelerate",
};

export interface ReadOptions {
  /** Force a format instead of detecting it. */
  format?: ConfigFormat;
}

export function readTrainingConfig(text: string, fileName: string, overrides: readonly string[] = [], options: ReadOptions = {}): TrainingConfigRead {
  const name = typeof fileName === "string" && fileName.length > 0 ? fileName.slice(0, 200) : "config";
  try {
    let obj = parseConfigText(text, name);
    const detected = options.format ? { format: options.format } : detectFormat(obj);
    if (!detected) {
      throw invalid(
        name,
        "not a training configuration vramfit knows (axolotl, LLaMA-Factory, torchtune, LitGPT, TrainingArguments/TRL, DeepSpeed or accelerate)",
      );
    }
    const format = detected.format;
    // torchtune's CLI form (`tune run … batch_size=4 ~model.use_dora`); the other YAML formats accept the same.
    if (overrides.length > 0) obj = applyOverrides(obj, overrides, name);
    const ctx = new Ctx(name, format, FRAMEWORK[format]);
    switch (format) {
      case "axolotl":
        readAxolotl(obj, ctx);
        break;
      case "llama-factory":
        readLlamaFactory(obj, ctx);
        break;
      case "torchtune":
        readTorchtune(obj, ctx);
        break;
      case "litgpt":
        readLitgpt(obj, ctx);
        break;
      case "hf-training-args":
        readHfArgs(obj, ctx);
        break;
      case "deepspeed":
        readDeepspeed(obj, ctx);
        break;
      case "accelerate":
        readAccelerate(obj, ctx);
        break;
    }
    return ctx.out;
  } catch (e) {
    if (e instanceof VramfitError) throw e;
    // Anything else is a bug; still one line for the user, with the cause kept for debugging.
    throw new VramfitError("invalid_file", `${name}: could not be read (${e instanceof Error ? e.message.split("\n")[0] : String(e)})`, { cause: e });
  }
}
