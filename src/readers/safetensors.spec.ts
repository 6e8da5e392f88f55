import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { VramfitError } from "../core/errors.js";
import { fileSource, memorySource } from "./byte-source.js";
import { readSafetensorsHeader, readSafetensorsSource } from "./safetensors.js";
import { fixture } from "./fixtures.test.js";
import { makeSafetensors } from "./synth.test.js";


describe("readSafetensorsHeader on real files", () => {
  // Ground truth: fixtures/SOURCES.md (header length 128 / 144, one BF16 [3072] tensor, 6144 data bytes).
  it.each([
    ["llama-3.2-3b.layers.0.input_layernorm.weight.safetensors", "model.layers.0.input_layernorm.weight", 128],
    ["llama-3.2-3b.layers.0.post_attention_layernorm.weight.safetensors", "model.layers.0.post_attention_layernorm.weight", 144],
  ])("%s", async (file, tensorName, headerLen) => {
    const src = await fileSource(fixture("safetensors", file));
    try {
      const h = await readSafetensorsSource(src);
      expect(h.metadata).toEqual({ format: "pt" });
      expect(h.tensors).toHaveLength(1);
      expect(h.tensors[0]).toMatchObject({ name: tensorName, dtype: "bf16", fileDtype: "BF16", shape: [3072], byteLength: 6144 });
      expect(h.headerBytes).toBe(8 + headerLen);
      // Only the header was read, not the 6144 data bytes.
      expect(src.bytesRead).toBe(8 + headerLen);
      expect(h.headerBytes + 6144).toBe(src.size);
    } finally {
      await src.close();
    }
  });
});

describe("readSafetensorsHeader rejects malformed files", () => {
  const ok = { __metadata__: { format: "pt" }, w: { dtype: "F16", shape: [2, 3], data_offsets: [0, 12] } };
  const read = (b: Uint8Array) => readSafetensorsHeader((o, l) => memorySource(b).read(o, l), b.length, "t.safetensors");

  it("accepts a well-formed file", async () => {
    const h = await read(makeSafetensors(ok, 12));
    expect(h.tensors[0]).toMatchObject({ dtype: "fp16", shape: [2, 3], numel: 6, byteLength: 12 });
  });

  const cases: [string, Uint8Array, RegExp][] = [
    ["shorter than 8 bytes", new Uint8Array(5), /shorter than the 8-byte/],
    ["header length larger than the file", (() => { const b = makeSafetensors(ok, 12); new DataView(b.buffer).setBigUint64(0, 10_000n, true); return b; })(), /larger than the file/],
    ["gigantic header length", (() => { const b = makeSafetensors(ok, 12); new DataView(b.buffer).setBigUint64(0, 2n ** 63n, true); return b; })(), /exceeds the/],
    ["truncated data", makeSafetensors(ok, 6), /past the end of the data/],
    ["not JSON", makeSafetensors(null, 0, "{not json"), /not valid JSON/],
    ["not an object", makeSafetensors(null, 0, "[1,2]"), /does not start with/],
    ["non-UTF-8 name", (() => { const b = makeSafetensors(null, 0, '{"AB": 1}'); b[10] = 0xff; b[11] = 0xfe; return b; })(), /not valid UTF-8/],
    ["unknown dtype", makeSafetensors({ w: { dtype: "F12", shape: [1], data_offsets: [0, 2] } }, 2), /unknown dtype/],
    ["negative shape", makeSafetensors({ w: { dtype: "F16", shape: [-1, 3], data_offsets: [0, 6] } }, 6), /invalid dimension/],
    ["fractional shape", makeSafetensors({ w: { dtype: "F16", shape: [1.5], data_offsets: [0, 3] } }, 3), /invalid dimension/],
    ["overflowing shape", makeSafetensors({ w: { dtype: "F16", shape: [2 ** 30, 2 ** 30, 2 ** 30], data_offsets: [0, 2] } }, 2), /overflows/],
    ["size inconsistent with dtype x numel", makeSafetensors({ w: { dtype: "F32", shape: [2, 3], data_offsets: [0, 12] } }, 12), /24 bytes/],
    ["reversed offsets", makeSafetensors({ w: { dtype: "F16", shape: [0], data_offsets: [4, 0] } }, 4), /invalid data_offsets/],
    ["overlapping tensors", makeSafetensors({ a: { dtype: "F16", shape: [4], data_offsets: [0, 8] }, b: { dtype: "F16", shape: [4], data_offsets: [4, 12] } }, 12), /overlap/],
    ["metadata not strings", makeSafetensors({ __metadata__: { n: 3 } }, 0), /not a string/],
  ];
  it.each(cases)("%s", async (_name, bytes, message) => {
    const err = await read(bytes).catch((e) => e);
    expect(err).toBeInstanceOf(VramfitError);
    expect(err.message).toMatch(message);
  });

  it("checks the header length against the file size before reading it", async () => {
    const b = makeSafetensors(ok, 12);
    new DataView(b.buffer).setBigUint64(0, 50_000_000n, true);
    let requested = 0;
    const err = await readSafetensorsHeader(async (o, l) => ((requested += l), b.subarray(o, o + l)), b.length).catch((e) => e);
    expect(err).toBeInstanceOf(VramfitError);
    expect(requested).toBe(8);
  });

  it("reads a real file's bytes identically from disk and memory", async () => {
    const p = fixture("safetensors", "llama-3.2-3b.layers.0.input_layernorm.weight.safetensors");
    const b = new Uint8Array(readFileSync(p));
    const a = await read(b);
    const src = await fileSource(p);
    const c = await readSafetensorsSource(src);
    await src.close();
    expect(c.tensors).toEqual(a.tensors);
  });
});
