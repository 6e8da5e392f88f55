import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { VramfitError } from "../core/errors.js";
import { parseEngineCommand } from "./index.js";
import { LLAMACPP_FLAGS } from "./llamacpp.js";
import { SGLANG_FLAGS } from "./sglang.js";
import { VLLM_FLAGS } from "./vllm.js";

describe("parseEngineCommand dispatch", () => {
  it("takes argv arrays with KEY=val prefixes", () => {
    const c = parseEngineCommand(["CUDA_VISIBLE_DEVICES=1", "vllm", "serve", "m", "--max-model-len", "4096"]);
    expect(c).toMatchObject({ engine: "vllm", model: "m", env: { CUDA_VISIBLE_DEVICES: "1" }, flags: { max_model_len: 4096 } });
  });

  it("unwraps launchers", () => {
    expect(parseEngineCommand("sudo -E nohup env CUDA_VISIBLE_DEVICES=0 nice -n 10 llama-server -m a.gguf -c 2048").flags.ctx_size).toBe(2048);
    expect(parseEngineCommand("uv run --with vllm vllm serve m -tp 2").flags.tensor_parallel_size).toBe(2);
    expect(parseEngineCommand("conda run -n serve python3.11 -u -m sglang.launch_server --model-path m").engine).toBe("sglang");
    expect(parseEngineCommand("numactl --cpunodebind=0 --membind=0 /opt/llama.cpp/build/bin/llama-server -m a.gguf").program).toBe("llama-server");
    expect(parseEngineCommand("taskset -c 0-15 ./llama-cli -m a.gguf -p hi").program).toBe("llama-cli");
    expect(parseEngineCommand("python -m vllm.entrypoints.cli.main serve m").program).toBe("vllm serve");
  });

  it("picks the engine command out of a script", () => {
    const c = parseEngineCommand("cd /srv && source .venv/bin/activate\nexport CUDA_VISIBLE_DEVICES=2,3\nvllm serve m -tp 2 2>&1 | tee serve.log");
    expect(c).toMatchObject({ engine: "vllm", env: { CUDA_VISIBLE_DEVICES: "2,3" } });
  });

  it("reports what it cannot read in one line", () => {
    for (const bad of ["", "   ", "ls -la", "python train.py --lr 1e-4", "docker run ubuntu bash", 'vllm serve "m'] as const) {
      let err: unknown;
      try {
        parseEngineCommand(bad);
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(VramfitError);
      expect((err as VramfitError).code).toBe("invalid_option");
      expect((err as VramfitError).message).not.toContain("\n");
    }
    expect(() => parseEngineCommand([] as string[])).toThrow(VramfitError);
    expect(() => parseEngineCommand(42 as unknown as string)).toThrow(VramfitError);
  });

  it("clips hostile values in messages", () => {
    const huge = "x".repeat(100_000);
    let err: unknown;
    try {
      parseEngineCommand(`vllm serve m --max-model-len ${huge}`);
    } catch (e) {
      err = e;
    }
    expect((err as VramfitError).message.length).toBeLessThan(300);
    const c = parseEngineCommand(`vllm serve m --${huge} 1`);
    expect(c.unknown[0].length).toBeLessThan(100);
  });

  it("treats control characters and unicode as data", () => {
    const c = parseEngineCommand(["llama-server", "-m", "mödel\u0000.gguf", "--alias", "🦙"]);
    expect(c.model).toBe("mödel\u0000.gguf");
  });
});

const ENGINES = ["vllm serve m", "python -m sglang.launch_server --model-path m", "llama-server -m a.gguf", "ollama run x"];
const allSpellings = [...VLLM_FLAGS, ...SGLANG_FLAGS, ...LLAMACPP_FLAGS].flatMap((f) => [...f.names, ...(f.negNames ?? [])]);

function onlyVramfitErrors(run: () => unknown): void {
  try {
    run();
  } catch (e) {
    if (!(e instanceof VramfitError)) throw e;
    expect(e.message).not.toContain("\n");
  }
}

describe("properties", () => {
  it("random strings never throw anything but a one-line VramfitError", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (s) => onlyVramfitErrors(() => parseEngineCommand(s))),
      { numRuns: 2000 },
    );
  });

  it("random argv after each engine never throws anything but VramfitError", () => {
    const word = fc.oneof(
      fc.constantFrom(...allSpellings),
      fc.constantFrom("-1", "0", "1", "8k", "1.5", "auto", "on", "off", "q8_0", "exps=CPU", "--", "-", "=", "a=b", "true", "nan", "1e309"),
      fc.string({ maxLength: 12 }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...ENGINES), fc.array(word, { maxLength: 12 }), fc.dictionary(fc.constantFrom("OLLAMA_NUM_PARALLEL", "LLAMA_ARG_CTX_SIZE", "OLLAMA_FLASH_ATTENTION", "LLAMA_ARG_NO_MMAP", "CUDA_VISIBLE_DEVICES"), fc.string({ maxLength: 6 })), (head, rest, env) => {
        onlyVramfitErrors(() => parseEngineCommand([...head.split(" "), ...rest], env));
      }),
      { numRuns: 3000 },
    );
  });

  it("a parsed flag is typed as its table says", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), (n) => {
        const c = parseEngineCommand(["llama-server", "-m", "a", "-c", String(n), "-np", String((n % 8) + 1)]);
        expect(c.flags.ctx_size).toBe(n);
        const v = parseEngineCommand(["vllm", "serve", "m", `--max-model-len=${n}`]);
        expect(v.flags.max_model_len).toBe(n);
      }),
    );
  });

  it("shell quoting round-trips any word", () => {
    const quote = (w: string) => `'${w.replace(/'/g, `'\\''`)}'`;
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 30 }), (w) => {
        const c = parseEngineCommand(`llama-server -m ${quote(w)}`);
        expect(c.model).toBe(w);
      }),
      { numRuns: 500 },
    );
  });
});
