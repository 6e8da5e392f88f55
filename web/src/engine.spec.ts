import { beforeAll, describe, expect, it } from "vitest";
import { ensureFull, fetchHubModel, isKnownGpu, isKnownModel, modelFor, searchModels } from "./engine.js";

// The page as it is once the vision and diffusion families are loaded (estimator.spec.ts checks the first load).
beforeAll(() => ensureFull());

describe("model picker search", () => {
  it("finds a model by words in any order, by Hugging Face id, and vision built-ins", () => {
    expect(searchModels("8b llama 3.1")[0].id).toBe("llama-3.1-8b");
    expect(searchModels("meta-llama/llama-3.1-8b")[0].id).toBe("llama-3.1-8b");
    expect(searchModels("yolov8")[0].family).toBe("vision");
    expect(searchModels("no such thing at all")).toEqual([]);
  });
});

describe("URL validators", () => {
  it("accept catalog ids, HF ids in the catalog, vision names, parameter counts and hf:<id>; refuse the rest", () => {
    for (const ok of ["llama-3.1-8b", "Qwen/Qwen2.5-7B-Instruct", "resnet50", "7b", "1.5b", "hf:acme/model-1"]) expect(isKnownModel(ok), ok).toBe(true);
    for (const bad of ["gpt-17", "hf:not an id", "hf:../etc", "file:x.gguf", ""]) expect(isKnownModel(bad), bad).toBe(false);
    expect(isKnownGpu("rtx-4090")).toBe(true);
    expect(isKnownGpu("24gb")).toBe(true);
    expect(isKnownGpu("rtx-9090")).toBe(false);
  });

  it("an HF id outside the catalog explains how to get it, without fetching", () => {
    expect(() => modelFor("acme/unknown-7b")).toThrow(/not in the offline catalog/);
  });
});

describe("Hub config read (fetch stubbed: no test reaches the internet)", () => {
  const config = { architectures: ["LlamaForCausalLM"], model_type: "llama", hidden_size: 2048, intermediate_size: 8192, num_hidden_layers: 16, num_attention_heads: 32, num_key_value_heads: 8, vocab_size: 128256, max_position_embeddings: 131072, tie_word_embeddings: true, torch_dtype: "bfloat16" };
  it("reads resolve/main/config.json once and registers hf:<id>", async () => {
    const urls: string[] = [];
    const stub = (async (u: string) => {
      urls.push(u);
      return new Response(JSON.stringify(config), { status: 200 });
    }) as unknown as typeof fetch;
    expect(await fetchHubModel("acme/small-llama", stub)).toBe("hf:acme/small-llama");
    expect(await fetchHubModel("acme/small-llama", stub)).toBe("hf:acme/small-llama");
    expect(urls).toEqual(["https://huggingface.co/acme/small-llama/resolve/main/config.json"]);
    // Llama 3.2 1B's shapes: 1,235,814,400 parameters (tied embeddings), as Meta's model card rounds to 1.23B.
    expect(modelFor("hf:acme/small-llama").parameters).toBe(1_235_814_400);
  });
  it("missing or gated repos, bad ids and timeouts are one clear message each", async () => {
    const notFound = (async () => new Response("Entry not found", { status: 404 })) as unknown as typeof fetch;
    await expect(fetchHubModel("acme/gone", notFound)).rejects.toThrow(/no public config\.json on the Hub/);
    await expect(fetchHubModel("../../etc/passwd", notFound)).rejects.toThrow(/not a Hugging Face model id/);
    const hang = ((_u: string, init: RequestInit) => new Promise((_ok, fail) => init.signal!.addEventListener("abort", () => fail(new Error("aborted"))))) as unknown as typeof fetch;
    await expect(fetchHubModel("acme/slow", hang, 50)).rejects.toThrow(/timed out/);
  });
});
