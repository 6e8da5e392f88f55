/**
 * Issue #15 item 6: base and Instruct/chat checkpoints keep their own id and config; answers and generated
 * commands name the model the user typed. A sibling with its own config.json is an entry of its own; a
 * sibling that shares the config (same shapes, context length, vocabulary) is a variant of the entry.
 */
import { describe, expect, it } from "vitest";
import { runCli } from "../cli/main.js";
import { catalogModel, catalogModelEntries, catalogVariants, findCatalogModel } from "./models.js";

async function cli(args: string[]): Promise<string> {
  const out: string[] = [];
  const code = await runCli(args, (s) => out.push(s));
  expect(code).toBe(0);
  return out.join("\n");
}

describe("Instruct ids keep their name and config", () => {
  it("Qwen/Qwen2.5-7B-Instruct is its own entry with its own context length (32768, the base says 131072)", () => {
    const inst = catalogModel("Qwen/Qwen2.5-7B-Instruct");
    const base = catalogModel("Qwen/Qwen2.5-7B");
    expect(inst.id).toBe("qwen2.5-7b-instruct");
    expect(inst.hfId).toBe("Qwen/Qwen2.5-7B-Instruct");
    expect(inst.transformer.maxPositions).toBe(32768);
    expect(base.transformer.maxPositions).toBe(131072);
    expect(inst.parameters).toBe(base.parameters);
  });

  it("a variant (same config.json) is named as typed, its Hub id kept, and says whose config it uses", () => {
    for (const spec of ["meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Meta-Llama-3.1-8B-Instruct", "llama-3.1-8b-instruct"]) {
      const m = catalogModel(spec);
      expect(m.id).toBe("llama-3.1-8b-instruct");
      expect(m.hfId).toBe("meta-llama/Llama-3.1-8B-Instruct");
      expect(m.source.origin).toMatch(/config\.json of meta-llama\/Llama-3\.1-8B, which meta-llama\/Llama-3\.1-8B-Instruct shares/);
    }
    const base = catalogModel("llama-3.1-8b");
    expect(base.id).toBe("llama-3.1-8b");
    expect(base.hfId).toBe("meta-llama/Llama-3.1-8B");
    expect(catalogModel("llama-3.1-8b-instruct").parameters).toBe(base.parameters);
    expect(findCatalogModel("llama-3.1-8b-instruct")?.variant_of).toBe("llama-3.1-8b");
  });

  it("every variant has a unique id and Hub id, distinct from every entry, and a different Hub id from its entry", () => {
    const keys = new Map<string, string>();
    const add = (k: string, owner: string) => {
      const n = k.toLowerCase();
      expect(keys.get(n) ?? owner, `${k} claimed twice`).toBe(owner);
      keys.set(n, owner);
    };
    for (const e of catalogModelEntries()) for (const k of [e.id, e.hf_id, ...(e.aliases ?? [])]) add(k, e.id);
    for (const { variant, entry } of catalogVariants()) {
      expect(variant.hf_id).not.toBe(entry.hf_id);
      expect(variant.id).toMatch(/^[a-z0-9][a-z0-9._-]*$/);
      expect(variant.hf_id).toMatch(/^[^/\s]+\/[^/\s]+$/);
      for (const k of [variant.id, variant.hf_id, ...(variant.aliases ?? [])]) add(k, `variant ${variant.id}`);
      const m = catalogModel(variant.hf_id);
      expect([m.id, m.hfId]).toEqual([variant.id, variant.hf_id]);
    }
  });

  it("no alias of an entry names an Instruct/chat/base sibling: those are variants or entries", () => {
    for (const e of catalogModelEntries()) {
      const own = e.hf_id.split("/")[1].toLowerCase();
      for (const a of e.aliases ?? []) {
        if (!a.includes("/")) continue;
        const name = a.split("/")[1].toLowerCase();
        // An alias with an org is the same repository under another name (a rename, Meta-Llama-3.1 → Llama-3.1).
        const sibling = /instruct|chat|-it$|-base|-pt$|thinking|zephyr/.test(name) !== /instruct|chat|-it$|-base|-pt$|thinking|zephyr/.test(own);
        expect(sibling, `${e.id}: alias ${a}`).toBe(false);
      }
    }
  });

  it("estimate and plan print the name the user typed (the CLI)", async () => {
    const est = await cli(["estimate", "Qwen/Qwen2.5-7B-Instruct", "--json"]);
    const j = JSON.parse(est);
    expect(j.model.id).toBe("qwen2.5-7b-instruct");
    expect(j.model.hf_id).toBe("Qwen/Qwen2.5-7B-Instruct");
    const plan = await cli(["plan", "meta-llama/Llama-3.1-8B-Instruct", "--gpu", "h100-sxm"]);
    expect(plan).toMatch(/vllm serve meta-llama\/Llama-3\.1-8B-Instruct /);
    expect(plan).not.toMatch(/vllm serve meta-llama\/Llama-3\.1-8B /);
    const planQ = await cli(["plan", "Qwen/Qwen2.5-7B-Instruct", "--gpu", "h100-sxm"]);
    expect(planQ).toMatch(/vllm serve Qwen\/Qwen2\.5-7B-Instruct /);
    const listed = JSON.parse(await cli(["models", "--json"])) as { id: string; hf_id: string }[];
    expect(listed.find((r) => r.id === "llama-3.1-8b-instruct")?.hf_id).toBe("meta-llama/Llama-3.1-8B-Instruct");
    expect(listed.find((r) => r.id === "qwen2.5-7b-instruct")?.hf_id).toBe("Qwen/Qwen2.5-7B-Instruct");
  });
});
