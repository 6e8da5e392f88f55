import { describe, expect, it } from "vitest";
import { VramfitError } from "../../core/errors.js";
import { ollamaDefaultContext, ollamaLlamaCppContext, ollamaReservedBytes } from "./ollama.js";

const GiB = 2 ** 30;
describe("Ollama defaults (ollama/ollama PR #13946, envconfig/config.go, discover/gpu.go)", () => {
  it("picks 4096 below 23 GiB, 32768 from 23 GiB, 262144 from 47 GiB, capped by the model", () => {
    expect(ollamaDefaultContext(12 * GiB)).toBe(4096);
    expect(ollamaDefaultContext(23 * GiB)).toBe(32768);
    expect(ollamaDefaultContext(24 * GiB - 1)).toBe(32768);
    expect(ollamaDefaultContext(80 * GiB)).toBe(262144);
    expect(ollamaDefaultContext(80 * GiB, 40960)).toBe(40960);
  });
  it("allocates num_ctx cells per parallel slot and reserves 457 MiB per GPU plus the overhead", () => {
    expect(ollamaLlamaCppContext(8192, 4)).toEqual({ nCtx: 32768, nSeq: 4 });
    expect(ollamaReservedBytes()).toBe(457 * 2 ** 20);
    expect(ollamaReservedBytes(GiB)).toBe(GiB + 457 * 2 ** 20);
    expect(() => ollamaLlamaCppContext(0)).toThrow(VramfitError);
  });
});
