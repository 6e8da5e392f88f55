import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadFull } from "./estimator.js";
import { FIELDS, defaultOf, type Field, type Value } from "./fields.js";
import { DEFAULT_CONFIG, decodeState, encodeState, type Config, type PageState } from "./url-state.js";

// Every field of the page (the training stacks and families load on demand, ./estimator.ts).
await loadFull();

// Validators independent of the catalog: a fixed set of names.
const MODELS = new Set(["llama-3.1-8b", "qwen2.5-7b", "resnet50", "7b"]);
const GPUS = new Set(["rtx-4090", "h100-sxm", "24gb"]);
const check = { isModel: (s: string) => MODELS.has(s), isGpu: (s: string) => GPUS.has(s) };

/** An arbitrary valid value for a field, drawn from its own definition. */
function valueArb(f: Field): fc.Arbitrary<Value> {
  switch (f.kind) {
    case "select":
      return f.boolean ? fc.boolean() : fc.constantFrom(...f.choices);
    case "int":
      return fc.integer({ min: f.min, max: Math.min(f.max, 1 << 20) });
    case "bool":
      return fc.boolean();
    case "text":
      return fc.constantFrom(f.example.split(" ")[0]).filter((s) => f.pattern.test(s));
  }
}

const configArb: fc.Arbitrary<Config> = fc.record({
  model: fc.constantFrom(...MODELS),
  gpu: fc.constantFrom(...GPUS),
  opts: fc
    .subarray(FIELDS.filter((f) => f.kind !== "text" || f.pattern.test(f.example.split(" ")[0])))
    .chain((fs) => fc.tuple(...fs.map((f) => valueArb(f).map((v) => [f.key, v] as const))))
    .map((pairs) => {
      const o: Record<string, Value> = {};
      for (const [k, v] of pairs) if (v !== defaultOf(FIELDS.find((f) => f.key === k)!)) o[k] = v;
      return o;
    }),
});

describe("URL state", () => {
  it("round-trips any valid state exactly, with no notes", () => {
    fc.assert(
      fc.property(fc.array(configArb, { minLength: 1, maxLength: 3 }), fc.nat(2), (configs, a) => {
        const state: PageState = { configs, active: a % configs.length };
        const { state: back, notes } = decodeState(encodeState(state), check);
        expect(notes).toEqual([]);
        expect(back).toEqual(state);
      }),
      { numRuns: 300 },
    );
  });

  it("writes only what differs from the defaults", () => {
    const q = encodeState({ configs: [{ model: "qwen2.5-7b", gpu: "h100-sxm", opts: { batch: 8, mode: "infer", checkpointing: false } }], active: 0 });
    expect(new URLSearchParams(q).toString()).toBe("model=qwen2.5-7b&gpu=h100-sxm&batch=8");
  });

  it("reads a hand-written link with a second configuration", () => {
    const { state, notes } = decodeState("?model=qwen2.5-7b&gpu=h100-sxm&mode=train&qlora=1&lora_rank=16&2.model=7b&2.gpu=24gb&2.quant=nf4&edit=2", check);
    expect(notes).toEqual([]);
    expect(state.active).toBe(1);
    expect(state.configs).toEqual([
      { model: "qwen2.5-7b", gpu: "h100-sxm", opts: { mode: "train", qlora: true, lora_rank: 16 } },
      { model: "7b", gpu: "24gb", opts: { quant: "nf4" } },
    ]);
  });

  it("an empty query is the default page", () => {
    expect(decodeState("", check)).toEqual({ state: { configs: [DEFAULT_CONFIG], active: 0 }, notes: [] });
  });

  it("falls back to defaults with one note per problem, never throwing", () => {
    const { state, notes } = decodeState("?model=no-such-model&gpu=rtx-9999&batch=abc&quant=int3&seq=-5&foo=1&2.model=file:my.gguf&edit=9&v=7", check);
    expect(state.configs[0]).toEqual(DEFAULT_CONFIG);
    expect(state.configs[1]).toEqual(DEFAULT_CONFIG);
    expect(state.active).toBe(0);
    expect(notes).toHaveLength(8);
    expect(notes.join("\n")).toMatch(/another version.*v=7/);
    expect(notes.join("\n")).toMatch(/Unknown model 'no-such-model'/);
    expect(notes.join("\n")).toMatch(/Unknown GPU 'rtx-9999'/);
    expect(notes.join("\n")).toMatch(/'batch=abc' is not a valid batch size; using 1\./);
    expect(notes.join("\n")).toMatch(/'quant=int3' is not a valid weight quantization; using the default/);
    expect(notes.join("\n")).toMatch(/'seq=-5'/);
    expect(notes.join("\n")).toMatch(/Ignored 'foo'/);
    expect(notes.join("\n")).toMatch(/dropped file 'my.gguf'.*configuration 2.*drop it again/);
  });

  it("survives arbitrary junk", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (junk) => {
        const { state } = decodeState(junk, check);
        expect(state.configs.length).toBeGreaterThanOrEqual(1);
        expect(state.configs.length).toBeLessThanOrEqual(3);
        for (const c of state.configs) {
          expect(MODELS.has(c.model)).toBe(true);
          expect(GPUS.has(c.gpu)).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("renumbers a configuration whose predecessor is missing", () => {
    const { state, notes } = decodeState("model=7b&3.model=resnet50", check);
    expect(state.configs.map((c) => c.model)).toEqual(["7b", "resnet50"]);
    expect(notes).toEqual(["Configuration 3 was read as configuration 2 (the one before it is missing)."]);
  });

  it("keeps a value equal to the default out of the state (so links stay canonical)", () => {
    const { state } = decodeState("batch=1&mode=infer&zero_grad_set_to_none=1", check);
    expect(state.configs[0].opts).toEqual({});
  });
});
