import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { storedBytes, dtypeOfGgmlType } from "../core/dtypes.js";
import { ggmlTypeName, ggmlTypeNames, ggufFileTypeName, ggufFileTypeNames } from "./enums.js";
import { GGUF_FILE_TYPES } from "./file-types.js";
import { GGML_BLOCKS, ggmlBytes, ggmlRowBytes } from "./types.js";

/** Types @huggingface/gguf names that vramfit cannot size yet (added to ggml after the block table was written). */
const UNSIZED = ["nvfp4", "q1_0", "q2_0"];

describe("ggml tables agree with @huggingface/gguf's enums", () => {
  it("every sized type is a ggml type, and every ggml type is sized or listed as not", () => {
    const names = ggmlTypeNames();
    for (const t of Object.keys(GGML_BLOCKS)) expect(names).toContain(t);
    expect(names.filter((n) => !(n in GGML_BLOCKS)).sort()).toEqual(UNSIZED.filter((n) => names.includes(n)).sort());
  });
  it("ids map to names (ggml.h enum ggml_type)", () => {
    expect(ggmlTypeName(0)).toBe("f32");
    expect(ggmlTypeName(12)).toBe("q4_k");
    expect(ggmlTypeName(30)).toBe("bf16");
    expect(ggmlTypeName(39)).toBe("mxfp4");
    expect(ggmlTypeName(4)).toBeUndefined(); // Q4_2, removed from ggml
  });
  it("every file type is a llama_ftype of the enum, with a sized base type", () => {
    const names = ggufFileTypeNames();
    for (const [ft, base] of Object.entries(GGUF_FILE_TYPES)) {
      expect(names).toContain(ft);
      expect(GGML_BLOCKS).toHaveProperty(base);
    }
    expect(ggufFileTypeName(15)).toBe("q4_k_m");
    expect(ggufFileTypeName(38)).toBe("mxfp4_moe");
  });
});

describe("one size function", () => {
  it("block sizes: Q4_K 4.5 bits, Q6_K 6.5625, Q8_0 8.5, IQ4_XS 4.25, MXFP4 4.25 (ggml-common.h)", () => {
    const bits = (t: string, n: number) => (ggmlBytes(t, [n]) * 8) / n;
    expect(bits("q4_k", 256)).toBe(4.5);
    expect(bits("q6_k", 256)).toBe(6.5625);
    expect(bits("q8_0", 32)).toBe(8.5);
    expect(bits("iq4_xs", 256)).toBe(4.25);
    expect(bits("mxfp4", 32)).toBe(4.25);
  });
  it("refuses a partial block, as ggml_row_size does", () => {
    expect(() => ggmlRowBytes("q4_k", 100)).toThrow(/cannot be stored/);
    expect(() => ggmlRowBytes("nope", 32)).toThrow(/unknown ggml type/);
  });
  it("readers' stored bytes are the ggml size of the same tensor, for every type", () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(GGML_BLOCKS)), fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 512 }), (t, blocks, rows) => {
        const row = GGML_BLOCKS[t][0] * blocks;
        expect(storedBytes(dtypeOfGgmlType(t), [rows, row])).toBe(ggmlBytes(t, [row, rows]));
      }),
    );
  });
});
