/**
 * Training configs dropped on the page: the framework config files read in the browser into the page's model and
 * fields (real files from src/frameworks/config-files/fixtures, with their sources there).
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { isTrainingConfigDrop, readDroppedConfig } from "./files.js";

const fixtures = join(dirname(fileURLToPath(import.meta.url)), "../../src/frameworks/config-files/fixtures");
const file = (name: string) => new File([readFileSync(join(fixtures, name))], name);

describe("dropped training configs", () => {
  it("tells configs from model files", () => {
    expect(isTrainingConfigDrop([file("axolotl-llama3-lora-1b.yml")])).toBe(true);
    expect(isTrainingConfigDrop([file("deepspeed-llamafactory-z3.json")])).toBe(true);
    expect(isTrainingConfigDrop([new File(["{}"], "config.json")])).toBe(false);
  });
  it("axolotl: the catalog model by name, mode train, the framework and the file's settings as page fields", async () => {
    const d = await readDroppedConfig([file("axolotl-llama3-lora-1b.yml")]);
    expect(d.model).toBe("llama-3.2-1b");
    expect(d.opts).toMatchObject({ mode: "train", framework: "axolotl", batch: 2, seq: 2048, lora_rank: 16, optimizer: "adamw-8bit", checkpointing: true });
    expect(d.read).toContain("axolotl");
  });
  it("a model outside the catalog is read from the Hub; a DeepSpeed file adds its ZeRO stage", async () => {
    const d = await readDroppedConfig([file("llamafactory-qwen3-full-sft.yaml"), file("deepspeed-llamafactory-z3.json")]);
    expect(d.model).toBe("hf:Qwen/Qwen3-4B-Instruct-2507");
    expect(d.opts).toMatchObject({ framework: "llama-factory", zero_stage: "3" });
  });
  it("a malformed file is one line", async () => {
    await expect(readDroppedConfig([new File(["base_model: [x"], "bad.yaml")])).rejects.toThrow(/^bad\.yaml: /);
  });
});
