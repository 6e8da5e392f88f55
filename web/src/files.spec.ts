import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import type { TransformerModel } from "../../src/core/model.js";
import { describe, expect, it } from "vitest";
import { readLocalConfig, readLocalIndex, readOnnxFile } from "../../src/readers/index.js";
import { FIXTURES } from "../../src/test-support/paths.js";
import { readDroppedFiles } from "./files.js";

// The real model files copied into the repository (fixtures/SOURCES.md); tests never read ../shared.
const fixture = (p: string) => join(FIXTURES, p);

/** A browser File with the fixture's bytes; counts the bytes the reader asks for through slice(). */
function fileOf(path: string): File & { sliced: () => number } {
  const f = new File([readFileSync(path)], basename(path));
  let sliced = 0;
  const slice = f.slice.bind(f);
  Object.assign(f, {
    slice: (a?: number, b?: number) => {
      sliced += (b ?? f.size) - (a ?? 0);
      return slice(a, b);
    },
    sliced: () => sliced,
  });
  return f as File & { sliced: () => number };
}

describe("dropped files (read as the browser reads them)", () => {
  it("config.json: GPT-2 small has 124,439,808 parameters (the count Hugging Face reports for gpt2)", async () => {
    const d = await readDroppedFiles([fileOf(fixture("hf/gpt2/config.json"))]);
    expect(d.model.parameters).toBe(124_439_808);
    expect(d.read).toContain("config.json");
  });

  it("config.json + index together: the same description the CLI builds from the folder", async () => {
    const dir = fixture("hf/qwen2.5-3b");
    const d = await readDroppedFiles([fileOf(join(dir, "config.json")), fileOf(join(dir, "model.safetensors.index.json"))]);
    const cli = (await readLocalIndex(join(dir, "model.safetensors.index.json"))).model;
    expect(d.model.parameters).toBe(cli.parameters);
    expect((d.model as TransformerModel).transformer).toEqual((cli as TransformerModel).transformer);
    expect(d.model.storedDtype).toBe(cli.storedDtype);
  });

  it("a config.json on its own matches readLocalConfig", async () => {
    const p = fixture("hf/llama-3.2-1b/config.json");
    const d = await readDroppedFiles([fileOf(p)]);
    const cli = (await readLocalConfig(p)).model;
    expect(d.model.parameters).toBe(cli.parameters);
    expect(d.model.tensors).toEqual(cli.tensors);
  });

  it("safetensors: only the header is read (8-byte length + JSON), never the tensor data", async () => {
    const p = fixture("safetensors/llama-3.2-3b.layers.0.input_layernorm.weight.safetensors");
    const bytes = readFileSync(p);
    const headerLen = Number(bytes.readBigUInt64LE(0));
    const f = fileOf(p);
    const d = await readDroppedFiles([f]);
    expect(d.model.parameters).toBe(3072); // one RMSNorm weight of Llama 3.2 3B (hidden 3072)
    expect(f.sliced()).toBeLessThanOrEqual(8 + headerLen);
    expect(f.sliced()).toBeLessThan(f.size);
  });

  it("ONNX: the same parameter count as the Node reader", async () => {
    const p = fixture("onnx/mnist-8.onnx");
    const d = await readDroppedFiles([fileOf(p)]);
    expect(d.model.parameters).toBe((await readOnnxFile(p)).model.parameters);
    expect(d.model.family).toBe("vision");
  });

  it("a vocabulary-only GGUF and an unknown file give one clear message each", async () => {
    await expect(readDroppedFiles([fileOf(fixture("gguf/ggml-vocab-gpt-2.gguf"))])).rejects.toThrow(/vocabulary-only/);
    await expect(readDroppedFiles([new File(["hello"], "notes.txt")])).rejects.toThrow(/unrecognized model file/);
    await expect(readDroppedFiles([new File(["{not json"], "config.json")])).rejects.toThrow(/not valid JSON/);
  });
});
