import { describe, expect, it } from "vitest";
import { VramfitError } from "../core/errors.js";
import { parseEngineCommand } from "./index.js";
import { parseOllamaModelfile } from "./ollama.js";

const p = (s: string, env?: Record<string, string>) => parseEngineCommand(s, env);

describe("Ollama", () => {
  it("reads ollama run with OLLAMA_* from the environment", () => {
    // issue 21: `ollama run qwen2.5:14b` with OLLAMA_NUM_PARALLEL, OLLAMA_CONTEXT_LENGTH, OLLAMA_KV_CACHE_TYPE, OLLAMA_FLASH_ATTENTION
    const c = p("ollama run qwen2.5:14b", { OLLAMA_NUM_PARALLEL: "4", OLLAMA_CONTEXT_LENGTH: "16384", OLLAMA_KV_CACHE_TYPE: "Q8_0", OLLAMA_FLASH_ATTENTION: "1", PATH: "/usr/bin" });
    expect(c).toMatchObject({ engine: "ollama", program: "ollama run", model: "qwen2.5:14b" });
    expect(c.flags).toMatchObject({ num_parallel: 4, context_length: 16384, kv_cache_type: "q8_0", flash_attention: true });
    expect(c.spelled.num_parallel).toBe("OLLAMA_NUM_PARALLEL");
    expect(c.env).not.toHaveProperty("PATH");
  });

  it("reads the FAQ's serve command and the start alias", () => {
    // ollama docs/faq.mdx: `OLLAMA_CONTEXT_LENGTH=8192 ollama serve`
    expect(p("OLLAMA_CONTEXT_LENGTH=8192 ollama serve").flags.context_length).toBe(8192);
    // Ollama docs (keep_alive): `OLLAMA_KEEP_ALIVE=2h ollama start`
    const c = p("OLLAMA_KEEP_ALIVE=2h ollama start");
    expect(c.program).toBe("ollama start");
    expect(c.ignored).toContain("OLLAMA_KEEP_ALIVE");
  });

  it("reads exports before the command and docker -e", () => {
    const c = p("export OLLAMA_NUM_PARALLEL=2\nexport OLLAMA_GPU_OVERHEAD=536870912\nollama serve");
    expect(c.flags).toMatchObject({ num_parallel: 2, gpu_overhead: 536870912 });
    const d = p("docker run -d --gpus=all -v ollama:/root/.ollama -p 11434:11434 -e OLLAMA_KV_CACHE_TYPE=q4_0 --name ollama ollama/ollama");
    expect(d).toMatchObject({ engine: "ollama", program: "ollama serve", flags: { kv_cache_type: "q4_0" } });
  });

  it("reads env values as envconfig does", () => {
    expect(p("ollama serve", { OLLAMA_NUM_PARALLEL: ' "3" ' }).flags.num_parallel).toBe(3);
    expect(p("ollama serve", { OLLAMA_NUM_PARALLEL: "" }).flags.num_parallel).toBeUndefined();
    const c = p("ollama serve", { OLLAMA_FLASH_ATTENTION: "yes" });
    expect(c.flags.flash_attention).toBe(true);
    expect(c.warnings.join(" ")).toMatch(/reads it as true/);
    expect(() => p("ollama serve", { OLLAMA_NUM_PARALLEL: "four" })).toThrow(VramfitError);
    expect(() => p("ollama serve", { OLLAMA_KV_CACHE_TYPE: "q3" })).toThrow(/not one of/);
    expect(p("ollama serve", { OLLAMA_FOO: "1" }).unknown).toEqual(["OLLAMA_FOO"]);
  });

  it("reads ollama run flags", () => {
    const c = p("ollama run llama3.2 --verbose --keepalive 10m --think=false why is the sky blue");
    expect(c.model).toBe("llama3.2");
    expect(c.ignored).toEqual(["--verbose", "--keepalive", "--think"]);
    // cmd.go: runCmd.Flags().Lookup("think").NoOptDefVal = "true" — a bare --think does not take the next word
    expect(p("ollama run --think qwen3:8b").model).toBe("qwen3:8b");
    expect(() => p("ollama run")).toThrow(/needs a model/);
    expect(() => p("ollama pull llama3.2")).toThrow(/does not load a model/);
  });

  it("reads a Modelfile", () => {
    // shape of the Modelfile reference examples (ollama docs/modelfile.mdx @fb307609): FROM / PARAMETER / TEMPLATE / SYSTEM / ADAPTER
    const c = parseEngineCommand(`# a comment
FROM llama3.2
PARAMETER temperature 1
PARAMETER num_ctx 4096
PARAMETER num_gpu 20
PARAMETER num_batch 256
PARAMETER use_mmap false
PARAMETER stop "<|eot_id|>"
PARAMETER stop "<|end|>"
TEMPLATE """{{ .System }}
{{ .Prompt }}"""
SYSTEM You are Mario from Super Mario Bros.
ADAPTER ./lora.gguf
`);
    expect(c).toMatchObject({ engine: "ollama", program: "Modelfile", model: "llama3.2" });
    expect(c.flags).toMatchObject({ num_ctx: 4096, num_gpu: 20, num_batch: 256, use_mmap: false, stop: ["<|eot_id|>", "<|end|>"], adapter: ["./lora.gguf"] });
    expect(c.spelled.num_ctx).toBe("PARAMETER num_ctx");
    expect(c.unknown).toEqual([]);
  });

  it("reads /set parameter lines, deprecated and unknown parameters", () => {
    // ollama docs/faq.mdx: `/set parameter num_ctx 4096`
    const c = parseOllamaModelfile("/set parameter num_ctx 4096\n/set parameter low_vram true\n/set parameter bogus 1");
    expect(c.flags.num_ctx).toBe(4096);
    expect(c.ignored).toContain("/set parameter low_vram");
    expect(c.unknown).toEqual(["/set parameter bogus"]);
    expect(() => parseOllamaModelfile("FROM x\nPARAMETER num_ctx 4k")).toThrow(/whole number/);
  });
});
