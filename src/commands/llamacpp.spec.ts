import { describe, expect, it } from "vitest";
import { VramfitError } from "../core/errors.js";
import { parseEngineCommand } from "./index.js";
import { LLAMACPP_FLAGS } from "./llamacpp.js";

const p = (s: string, env?: Record<string, string>) => parseEngineCommand(s, env);

describe("llama.cpp command lines", () => {
  it("reads the issue's example", () => {
    // issue 21 (vramfit): `... -- llama-server -m model.gguf -c 16384 -np 4 -ngl 99 -fa on -ctk q8_0 -ctv q8_0 -ot "exps=CPU"`
    const c = p(`llama-server -m model.gguf -c 16384 -np 4 -ngl 99 -fa on -ctk q8_0 -ctv q8_0 -ot "exps=CPU"`);
    expect(c.engine).toBe("llama.cpp");
    expect(c.program).toBe("llama-server");
    expect(c.model).toBe("model.gguf");
    expect(c.flags).toMatchObject({ ctx_size: 16384, parallel: 4, n_gpu_layers: 99, flash_attn: "on", cache_type_k: "q8_0", cache_type_v: "q8_0", override_tensor: ["exps=CPU"] });
    expect(c.spelled).toMatchObject({ ctx_size: "-c", parallel: "-np", n_gpu_layers: "-ngl", override_tensor: "-ot" });
    expect(c.unknown).toEqual([]);
  });

  it("reads a published MoE offload command", () => {
    // https://gist.github.com/DocShotgun/a02a4c0c0a57e43ff4f038b46ca66ae0 ("A complete launch command might look something like")
    const c = p(`./llama-server \\
-m ./GGUF/GLM-4.7-Q4_K_M.gguf \\
-c 32768 \\
-ngl 999 \\
-fa on \\
-t 16 \\
-b 4096 \\
-ub 4096 \\
--jinja \\
--no-mmap \\
-ot "blk\\.([0-9]|[1-2][0-9]|30)\\.=CUDA0,exps=CPU"`);
    expect(c.flags).toMatchObject({ ctx_size: 32768, n_gpu_layers: 999, batch_size: 4096, ubatch_size: 4096, mmap: false });
    expect(c.flags.override_tensor).toEqual(["blk\\.([0-9]|[1-2][0-9]|30)\\.=CUDA0", "exps=CPU"]);
    expect(c.ignored).toEqual(expect.arrayContaining(["-t", "--jinja"]));
    expect(c.spelled.mmap).toBe("--no-mmap");
  });

  it("reads -hf, presets and --fit", () => {
    // llama.cpp README: `llama-server -hf ggml-org/gemma-3-1b-it-GGUF`
    expect(p("llama-server -hf ggml-org/gemma-3-1b-it-GGUF").model).toBe("ggml-org/gemma-3-1b-it-GGUF");
    const c = p("llama-server --gpt-oss-20b-default -fit off -fitt 2048 -fitc 8192");
    expect(c.flags).toMatchObject({ gpt_oss_20b_default: true, fit: "off", fit_target: "2048", fit_ctx: 8192 });
  });

  it("knows every spelling of the memory flags", () => {
    const c = p(
      "llama-cli --model a.gguf --ctx-size 4096 --parallel 2 --gpu-layers 10 --flash-attn auto --cache-type-k q4_0 --cache-type-v f16 --ubatch-size 256 --batch-size 1024 " +
        "--tensor-split 3,1 --override-tensor exps=CPU --n-cpu-moe 4 --cpu-moe --split-mode row --main-gpu 1 --swa-full --kv-unified --no-kv-offload --mlock",
    );
    expect(c.program).toBe("llama-cli");
    expect(c.flags).toMatchObject({
      ctx_size: 4096, parallel: 2, n_gpu_layers: 10, flash_attn: "auto", cache_type_k: "q4_0", cache_type_v: "f16", ubatch_size: 256, batch_size: 1024,
      tensor_split: ["3", "1"], override_tensor: ["exps=CPU"], n_cpu_moe: 4, cpu_moe: true, split_mode: "row", main_gpu: 1, swa_full: true, kv_unified: true,
      no_kv_offload: true, mlock: true,
    });
    expect(p("llama-server -m a --n-gpu-layers all -ts 1/1/2 -sm none -mg 0 -ncmoe 2 -cmoe -nkvo -kvu").flags).toMatchObject({
      n_gpu_layers: "all", tensor_split: ["1", "1", "2"], split_mode: "none", n_cpu_moe: 2, cpu_moe: true, no_kv_offload: true, kv_unified: true,
    });
    expect(p("llama-server -m a -kvo -no-kvu --mmap").flags).toMatchObject({ no_kv_offload: false, kv_unified: false, mmap: true });
  });

  it("reads -fa synonyms as llama.cpp does (is_truthy / is_falsey / is_autoy)", () => {
    for (const [v, want] of [["enabled", "on"], ["1", "on"], ["true", "on"], ["disabled", "off"], ["0", "off"], ["-1", "auto"]]) {
      expect(p(`llama-server -m a -fa ${v}`).flags.flash_attn).toBe(want);
    }
  });

  it("accepts the old bare -fa with a warning", () => {
    // ggml-org/llama.cpp discussion "guide: running gpt-oss with llama.cpp" (recalled, not re-fetched this session): `llama-server -hf ggml-org/gpt-oss-120b-GGUF -c 0 -fa --jinja --reasoning-format none`
    const c = p("llama-server -hf ggml-org/gpt-oss-120b-GGUF -c 0 -fa --jinja --reasoning-format none");
    expect(c.flags).toMatchObject({ ctx_size: 0, flash_attn: "on" });
    expect(c.warnings.join(" ")).toMatch(/old syntax.*--jinja/);
  });

  it("reads underscores in long options as dashes, and repeated -ot/--lora as lists", () => {
    const c = p("llama-server -m a --ctx_size 2048 --n_gpu_layers 5 -ot a=CPU -ot b=CUDA0 --lora x.gguf --lora y.gguf --lora-scaled z.gguf 0.5");
    expect(c.flags).toMatchObject({ ctx_size: 2048, n_gpu_layers: 5, override_tensor: ["a=CPU", "b=CUDA0"], lora: ["x.gguf", "y.gguf"], lora_scaled: ["z.gguf:0.5"] });
    expect(c.spelled.ctx_size).toBe("--ctx_size");
  });

  it("takes the next word as a value even when it starts with '-'", () => {
    expect(p("llama-server -m a -ngl -1").flags.n_gpu_layers).toBe(-1);
  });

  it("refuses what llama.cpp would misread or refuse", () => {
    expect(() => p("llama-server -m a -c 8k")).toThrow(/would be read by llama.cpp as 8/);
    expect(() => p("llama-server -m a -ctk q3_k")).toThrow(VramfitError);
    expect(() => p("llama-server -m a -ot exps")).toThrow(/pattern>=<buffer type>/);
    expect(() => p("llama-server -m a -c")).toThrow(/expects a value/);
    expect(() => p("llama-server -m a -fa maybe")).toThrow(/not one of on, off, auto/);
    expect(() => p("llama-server -m a --n-cpu-moe -2")).toThrow(/0 or more/);
    expect(() => p("llama-server -m a -c 99999999999")).toThrow(/out of range/);
  });

  it("warns about --flag=value, which llama.cpp does not read", () => {
    const c = p("llama-server -m a --ctx-size=4096");
    expect(c.unknown).toContain("--ctx-size=4096");
    expect(c.warnings.join(" ")).toMatch(/does not read --ctx-size=4096/);
  });

  it("names unknown options and stray words", () => {
    const c = p("llama-server -m a --bogus -c 512 stray");
    expect(c.unknown).toEqual(["--bogus", "stray"]);
    expect(c.flags.ctx_size).toBe(512);
  });

  it("notes llama-server's automatic 4 slots when -np is not given", () => {
    expect(p("llama-server -m a").warnings.join(" ")).toMatch(/4 slots with a unified KV cache/);
    expect(p("llama-server -m a -np 1").warnings).toEqual([]);
  });

  it("reads LLAMA_ARG_* from the environment; the command line wins", () => {
    const c = p("llama-server -m a -c 1024", { LLAMA_ARG_CTX_SIZE: "8192", LLAMA_ARG_N_GPU_LAYERS: "20", LLAMA_ARG_FLASH_ATTN: "off", LLAMA_ARG_NO_MMAP: "1", GGML_CUDA_ENABLE_UNIFIED_MEMORY: "1" });
    expect(c.flags).toMatchObject({ ctx_size: 1024, n_gpu_layers: 20, flash_attn: "off", mmap: false });
    expect(c.spelled).toMatchObject({ ctx_size: "-c", n_gpu_layers: "LLAMA_ARG_N_GPU_LAYERS", mmap: "LLAMA_ARG_NO_MMAP" });
    expect(c.env.GGML_CUDA_ENABLE_UNIFIED_MEMORY).toBe("1");
    expect(() => p("llama-server -m a", { LLAMA_ARG_CTX_SIZE: "lots" })).toThrow(VramfitError);
  });

  it("refuses llama-bench with a pointer", () => {
    expect(() => p("llama-bench -m a.gguf -p 512 -n 128")).toThrow(/llama-bench/);
  });

  it("has one canonical name per flag and a source for each", () => {
    const names = new Set<string>();
    for (const f of LLAMACPP_FLAGS) {
      expect(names.has(f.name)).toBe(false);
      names.add(f.name);
      expect(f.source.length).toBeGreaterThan(0);
    }
  });
});
