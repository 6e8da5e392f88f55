/**
 * Readers never trust a file: for any bytes, each reader returns a validated result or throws a
 * VramfitError, within a second and without large allocations. Property tests (fast-check) mutate
 * real and synthesized files; the corpus below pins the named attacks.
 */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { VramfitError } from "../core/errors.js";
import { memorySource } from "./byte-source.js";
import { readGgufSource } from "./gguf.js";
import { readOnnxGraph } from "./onnx.js";
import { parseSafetensorsIndex } from "./safetensors-index.js";
import { readSafetensorsHeader } from "./safetensors.js";
import { fixture } from "./fixtures.test.js";
import { ggufBytes, llama1bGguf, makeSafetensors } from "./synth.test.js";
import { HANG_GUARD_MS } from "../test-support/timing.js";

const RUNS = 150;

/**
 * Run `f`; it must succeed or throw a VramfitError without hanging. The time bound is a hang guard
 * (generous, so a loaded 2-core CI machine does not flake); bench/readers measures real read times.
 */

async function safely<T>(f: () => Promise<T> | T): Promise<{ ok: true; value: T } | { ok: false }> {
  const t0 = performance.now();
  try {
    const value = await f();
    expect(performance.now() - t0).toBeLessThan(HANG_GUARD_MS);
    return { ok: true, value };
  } catch (e) {
    if (!(e instanceof VramfitError)) throw new Error(`not a VramfitError: ${(e as Error)?.stack ?? e}`);
    expect(e.message.length).toBeLessThan(600);
    expect(performance.now() - t0).toBeLessThan(HANG_GUARD_MS);
    return { ok: false };
  }
}

/** Mutations of a valid file: byte overwrites, then an optional truncation. */
const mutated = (base: Uint8Array) =>
  fc
    .tuple(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), fc.option(fc.nat(base.length)))
    .map(([edits, cut]) => {
      const b = base.slice();
      for (const [i, v] of edits) b[i] = v;
      return cut === null ? b : b.subarray(0, cut);
    });

const stRead = (b: Uint8Array) => readSafetensorsHeader((o, l) => memorySource(b).read(o, l), b.length, "fuzz.safetensors");

describe("safetensors: any bytes", () => {
  const real = new Uint8Array(readFileSync(fixture("safetensors", "llama-3.2-3b.layers.0.input_layernorm.weight.safetensors")));
  it("mutated real files: a VramfitError or tensors that fit the file", async () => {
    await fc.assert(
      fc.asyncProperty(mutated(real), async (b) => {
        const r = await safely(() => stRead(b));
        if (r.ok) for (const t of r.value.tensors) expect(t.dataOffset + t.byteLength).toBeLessThanOrEqual(b.length);
      }),
      { numRuns: RUNS },
    );
  });
  it("arbitrary headers: dtypes, shapes and offsets of any value", async () => {
    const entry = fc.record({
      dtype: fc.oneof(fc.constantFrom("F16", "BF16", "F32", "I8", "F4", "F8_E4M3"), fc.string()),
      shape: fc.array(fc.oneof(fc.integer({ min: -5, max: 5000 }), fc.double(), fc.constant(2 ** 53), fc.string()), { maxLength: 5 }),
      data_offsets: fc.array(fc.oneof(fc.integer({ min: -10, max: 100_000 }), fc.constant(Number.MAX_SAFE_INTEGER)), { maxLength: 3 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.dictionary(fc.string({ maxLength: 20 }), fc.oneof(entry, fc.anything()), { maxKeys: 5 }), fc.nat(50_000), async (h, data) => {
        const b = makeSafetensors(h, data);
        const r = await safely(() => stRead(b));
        if (r.ok) for (const t of r.value.tensors) expect(t.byteLength).toBe((t.numel * { fp16: 2, bf16: 2, fp32: 4, int8: 1, fp4: 0.5, fp8_e4m3: 1 }[t.dtype]!) );
      }),
      { numRuns: RUNS },
    );
  });
});

describe("safetensors index: any JSON", () => {
  it("returns safe shard names or a VramfitError", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.json(), fc.record({ metadata: fc.anything(), weight_map: fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.anything())) }).map((o) => JSON.stringify(o))), async (text) => {
        const r = await safely(() => parseSafetensorsIndex(text));
        if (r.ok) for (const s of r.value.shards) expect(s.split("/")).not.toContain("..");
      }),
      { numRuns: RUNS },
    );
  });
});

describe("GGUF: any bytes", () => {
  const { header, size } = ggufBytes(llama1bGguf(50).kvs, llama1bGguf(50).tensors.slice(0, 12));
  const valid = new Uint8Array(size);
  valid.set(header);
  it("mutated files: a VramfitError or tensors inside the file", async () => {
    await fc.assert(
      fc.asyncProperty(mutated(valid.subarray(0, header.length)), async (hb) => {
        const b = new Uint8Array(Math.max(hb.length, size));
        b.set(hb);
        const file = hb.length < header.length ? hb : b;
        const r = await safely(() => readGgufSource(memorySource(file, "fuzz.gguf")));
        if (r.ok) expect(r.value.tensors.reduce((a, t) => a + t.byteLength, 0)).toBeLessThanOrEqual(file.length);
      }),
      { numRuns: RUNS },
    );
  });
  it("random bytes after a valid magic and version", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 4096 }), async (tail) => {
        const b = new Uint8Array(8 + tail.length);
        b.set([0x47, 0x47, 0x55, 0x46, 3, 0, 0, 0]);
        b.set(tail, 8);
        await safely(() => readGgufSource(memorySource(b, "fuzz.gguf")));
      }),
      { numRuns: RUNS },
    );
  });
});

describe("ONNX: any bytes", () => {
  const mnist = new Uint8Array(readFileSync(fixture("onnx", "mnist-8.onnx")));
  it("mutated mnist-8: a VramfitError or a graph", async () => {
    await fc.assert(fc.asyncProperty(mutated(mnist), async (b) => void (await safely(() => readOnnxGraph(b)))), { numRuns: RUNS });
  });
  it("random bytes", async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), async (b) => void (await safely(() => readOnnxGraph(b)))), { numRuns: RUNS });
  });
});

describe("corpus of named attacks: fast and bounded memory", () => {
  const u64 = (b: Uint8Array, at: number, v: bigint) => new DataView(b.buffer, b.byteOffset).setBigUint64(at, v, true);
  const gguf = () => {
    const { header, size } = ggufBytes(llama1bGguf(50).kvs, llama1bGguf(50).tensors.slice(0, 4));
    const b = new Uint8Array(size);
    b.set(header);
    return b;
  };
  const corpus: [string, () => Promise<unknown>][] = [
    ["safetensors header length 2^64-1", async () => { const b = makeSafetensors({}, 0); u64(b, 0, 2n ** 64n - 1n); return stRead(b); }],
    ["safetensors header length = file size + 1", async () => { const b = makeSafetensors({}, 10); u64(b, 0, BigInt(b.length - 7)); return stRead(b); }],
    ["safetensors 1e6 tensors claimed in a 100-byte header", async () => stRead(makeSafetensors(null, 0, `{"a":{"dtype":"F16","shape":[1000000,1000000],"data_offsets":[0,2000000000000]}}`))],
    ["safetensors truncated header", async () => stRead(makeSafetensors({ a: { dtype: "F16", shape: [1], data_offsets: [0, 2] } }, 2).subarray(0, 20))],
    ["safetensors non-UTF-8 name", async () => { const b = makeSafetensors(null, 0, '{"\u00e9": 1}'); b[10] = 0xc0; return stRead(b); }],
    ["GGUF tensor_count 2^63", async () => { const b = gguf(); u64(b, 8, 2n ** 63n); return readGgufSource(memorySource(b, "x.gguf")); }],
    ["GGUF tensor_count 999,999 in a small file", async () => { const b = gguf(); u64(b, 8, 999_999n); return readGgufSource(memorySource(b, "x.gguf")); }],
    ["GGUF kv_count 99,999 in a small file", async () => { const b = gguf(); u64(b, 16, 99_999n); return readGgufSource(memorySource(b, "x.gguf")); }],
    ["GGUF first string 8 GB long", async () => { const b = gguf(); u64(b, 24, 8n << 30n); return readGgufSource(memorySource(b, "x.gguf")); }],
    ["GGUF truncated at 100 bytes", async () => readGgufSource(memorySource(gguf().subarray(0, 100), "x.gguf"))],
    ["ONNX 10,000-deep nesting", async () => {
      // field 7 (graph), length-delimited, nested: each level tag + 2-byte length.
      let inner = new Uint8Array(0);
      for (let i = 0; i < 10_000 && inner.length < 60_000; i++) {
        const n = inner.length;
        const lenBytes = n < 128 ? [n] : [(n & 0x7f) | 0x80, n >> 7];
        const next = new Uint8Array(1 + lenBytes.length + n);
        next[0] = (7 << 3) | 2;
        next.set(lenBytes, 1);
        next.set(inner, 1 + lenBytes.length);
        inner = next;
        if (n >= 16384) break;
      }
      return readOnnxGraph(inner);
    }],
    ["ONNX length prefix 2^32-1", async () => readOnnxGraph(new Uint8Array([(7 << 3) | 2, 0xff, 0xff, 0xff, 0xff, 0x0f]))],
    ["ONNX truncated varint", async () => readOnnxGraph(new Uint8Array([0x08, 0xff, 0xff]))],
  ];
  it.each(corpus)("%s", async (_name, attack) => {
    global.gc?.();
    const before = process.memoryUsage().rss;
    const t0 = performance.now();
    const err = await attack().catch((e) => e);
    expect(err).toBeInstanceOf(VramfitError);
    expect(performance.now() - t0).toBeLessThan(HANG_GUARD_MS);
    // Bounded memory: no attack makes the process grow by more than 64 MB.
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
  });
});

describe("names that exist on Object.prototype are unknown, not functions", () => {
  it("a safetensors dtype 'valueOf' is a clear error (found by the property test above)", async () => {
    const header = JSON.stringify({ "": { dtype: "valueOf", shape: [], data_offsets: [] } });
    const err = await stRead(makeSafetensors(null, 0, header)).catch((e) => e);
    expect(err).toBeInstanceOf(VramfitError);
    expect(err.message).toMatch(/unknown dtype "valueOf"/);
  });
});
