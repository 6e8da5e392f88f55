import { describe, expect, it } from "vitest";
import * as api from "./index.js";
import { isVramfitError } from "./core/errors.js";
import { GiB } from "./core/units.js";

// The package root is what `import { ... } from "vramfit"` sees: each entry point works on a real input,
// offline, with the default estimator and the library's model reader.
describe("public API (package root)", () => {
  it("estimates a pasted engine command as the engine would run it", async () => {
    const r = await api.estimateCommand("vllm serve llama-3.1-8b --max-model-len 8192 --gpu-memory-utilization 0.85", { gpu: "h100-sxm" });
    expect(r.command.engine).toBe("vllm");
    expect(r.settings.find((s) => s.name === "max_model_len")).toMatchObject({ value: 8192, given: true });
    // the same question asked through estimate() gives the same bytes
    const direct = api.estimate("llama-3.1-8b", { runtime: "vllm", max_model_len: 8192, gpu_memory_utilization: 0.85, gpu: "h100-sxm", seq: r.estimate.workload.seq });
    expect(r.estimate.totals.device_bytes).toBe(direct.totals.device_bytes);
    expect(api.parseEngineCommand("llama-server -m model.gguf -c 4096 -np 2").engine).toBe("llama.cpp");
  });

  it("fits engine flags to a GPU", async () => {
    const model = await api.resolveModel("llama-3.1-8b");
    const r = api.fitModel(model, { engine: "llama.cpp", devices: [{ gpu: "rtx-4090" }], fixed: { quant: "q4_k_m" }, context: 32768 });
    expect(r.fits).toBe(true);
    for (const d of r.devices) expect(d.used_high_bytes).toBeLessThanOrEqual(d.budget_bytes);
    const none = api.fitModel(model, { engine: "llama.cpp", devices: [{ gpu: "rtx-4090", budgetBytes: 1 * GiB }], fixed: { quant: "q4_k_m" }, context: 32768, hostRamBytes: 0 });
    expect(none.fits).toBe(false);
  });

  it("checks a startup log against the estimate, and refuses text that is not one", async () => {
    const log = [
      "llama_model_load_from_file_impl: using device CUDA0 (NVIDIA GeForce RTX 4090) - 23000 MiB free",
      "load_tensors:        CUDA0 model buffer size =  4403.49 MiB",
      "llama_kv_cache:      CUDA0 KV buffer size =   512.00 MiB",
      "llama_context:      CUDA0 compute buffer size =   296.01 MiB",
    ].join("\n");
    const parsed = api.parseLog(log);
    expect(parsed.engine).toBe("llama.cpp");
    expect(parsed.measured.map((m) => m.component)).toEqual(expect.arrayContaining(["weights", "kv_cache", "compute_buffer"]));
    const r = await api.checkLog(log, { model: "llama-3.1-8b", options: { quant: "q4_k_m", seq: 4096 } });
    expect(r.rows.find((x) => x.component === "kv_cache")!.diff).toBe(0);
    await expect(api.checkLog("hello world")).rejects.toSatisfy((e: unknown) => isVramfitError(e, "invalid_file"));
  });

  it("says whether a GPU's memory is a measured total or the box label", () => {
    expect(api.estimate("llama-3.1-8b", { gpu: "l40" }).gpu).toMatchObject({ memory_source: "measured", memory_bytes: 47674136986 });
    expect(api.estimate("llama-3.1-8b", { gpu: "l40s" }).gpu).toMatchObject({ memory_source: "label", memory_bytes: 48 * GiB });
  });
});
