/**
 * The readers' configToModel hook: a Hugging Face vision config.json (local folder, config.json file, Hub id on the
 * local test Hub) resolves to the vision description, so `vramfit estimate ./vit-folder --image 224 --mode train`
 * gives the layer-graph estimate. The config below holds the ViTConfig fields of google/vit-base-patch16-224
 * (transformers' ViTConfig defaults, 1000 ImageNet labels); it is written for the test, not copied from the Hub.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { estimate, maxImage, resolveModel } from "../index.js";
import { startFakeHub, type FakeHub } from "../readers/hub-server.test.js";
import type { VisionModelDescription } from "../core/model.js";

const VIT_224 = {
  architectures: ["ViTForImageClassification"],
  model_type: "vit",
  hidden_size: 768,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  intermediate_size: 3072,
  image_size: 224,
  patch_size: 16,
  num_channels: 3,
  qkv_bias: true,
  id2label: Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [String(i), `class_${i}`])),
};

let tmp: string;
let hub: FakeHub;
beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "vramfit-vision-config-"));
  await mkdir(join(tmp, "vit"));
  await writeFile(join(tmp, "vit", "config.json"), JSON.stringify(VIT_224));
  await mkdir(join(tmp, "llama"));
  await writeFile(join(tmp, "llama", "config.json"), JSON.stringify({ model_type: "llama", architectures: ["LlamaForCausalLM"], hidden_size: 256, intermediate_size: 512, num_hidden_layers: 2, num_attention_heads: 4, vocab_size: 1000 }));
  hub = await startFakeHub({ "google/vit-base-patch16-224": { dir: join(tmp, "vit") } });
});
afterAll(async () => {
  await hub?.close();
  await rm(tmp, { recursive: true, force: true });
});

describe("a vision config.json resolves to the vision family", () => {
  it("a local folder and its config.json", async () => {
    for (const p of [join(tmp, "vit"), join(tmp, "vit", "config.json")]) {
      const d = (await resolveModel(p)) as VisionModelDescription;
      expect(d.family).toBe("vision");
      expect(d.parameters).toBe(86_567_656); // transformers ViTForImageClassification (hf-config.spec.ts)
      expect(d.source.kind).toBe("config");
      const e = estimate(d, { mode: "train", batch: 8, image: 224 } as never);
      expect(e.totals.allocated_bytes).toBeGreaterThan(d.parameters * 12);
    }
  });

  it("a Hub id on the local test Hub", async () => {
    const d = (await resolveModel("google/vit-base-patch16-224", { endpoint: hub.endpoint, cacheDir: false, env: {} })) as VisionModelDescription;
    expect(d.family).toBe("vision");
    expect(d.parameters).toBe(86_567_656);
    expect(d.source.kind).toBe("hub");
    expect(d.hfId).toBe("google/vit-base-patch16-224");
    expect(maxImage(d, { mode: "train", batch: 8, gpu: "rtx-4090" } as never)).toBeDefined();
  });

  it("other model types still go to the transformer reader", async () => {
    const d = await resolveModel(join(tmp, "llama"));
    expect(d.family).toBe("transformer");
  });
});
