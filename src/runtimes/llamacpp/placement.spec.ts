/** llama.cpp placement flags: --override-tensor, --cpu-moe / --n-cpu-moe, --no-kv-offload, several GPUs and --tensor-split. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { estimate } from "../../index.js";
import { isVramfitError } from "../../core/errors.js";
import { llamaCppLayerDevices, llamaCppOverrides } from "./profile.js";

const base = { runtime: "llama.cpp", quant: "q4_k_m", seq: 16384, gpu: "rtx-4090" } as const;
const comp = (e: ReturnType<typeof estimate>, id: string) => e.components.find((c) => c.id === id)?.bytes ?? 0;
const devices = (e: ReturnType<typeof estimate>) => (e as unknown as { devices?: { device: string; weights_bytes: number; kv_cache_bytes: number; total_bytes: number; layers: number }[] }).devices;

describe("llama.cpp layer split (llama-model.cpp load_tensors)", () => {
  it("splits 49 layer slots evenly over two GPUs with std::upper_bound on the cumulative shares", () => {
    const d = llamaCppLayerDevices(48, -1, [1, 1]);
    expect(d.filter((x) => x === 0).length).toBe(25);
    expect(d.filter((x) => x === 1).length).toBe(24);
    expect(d[48]).toBe(1); // the output layer goes with the last slots
  });

  it("follows -ngl: the first layers stay on the CPU, the output layer only when ngl > n_layer", () => {
    const d = llamaCppLayerDevices(32, 20, [1]);
    expect(d.slice(0, 12).every((x) => x === -1)).toBe(true);
    expect(d.slice(12, 32).every((x) => x === 0)).toBe(true);
    expect(d[32]).toBe(-1);
    expect(llamaCppLayerDevices(32, 33, [1])[32]).toBe(0);
  });

  it("places every layer slot once, on a device whose share is not zero (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 120 }), fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 8 }).filter((a) => a.some((x) => x > 0)), (n, shares) => {
        const d = llamaCppLayerDevices(n, -1, shares);
        return d.length === n + 1 && d.every((x) => x >= 0 && x < shares.length && shares[x] > 0);
      }),
    );
  });
});

describe("llama.cpp tensor overrides", () => {
  it("reads -ot items and adds the expert patterns of --cpu-moe and --n-cpu-moe", () => {
    expect(llamaCppOverrides({ override_tensor: "exps=CPU,attn=CUDA0" }).map((o) => [o.pattern, o.buft])).toEqual([["exps", "CPU"], ["attn", "CUDA0"]]);
    const n = llamaCppOverrides({ n_cpu_moe: 2 });
    expect(n.map((o) => o.pattern)).toEqual(["blk\\.0\\.ffn_(up|down|gate)_(ch|)exps", "blk\\.1\\.ffn_(up|down|gate)_(ch|)exps"]);
    expect(n[1].re.test("blk.1.ffn_up_exps.weight")).toBe(true);
    expect(n[1].re.test("blk.10.ffn_up_exps.weight")).toBe(false);
  });

  it("a bad pattern is one invalid_option error", () => {
    try {
      llamaCppOverrides({ override_tensor: "(exps=CPU" });
      expect.unreachable();
    } catch (e) {
      expect(isVramfitError(e, "invalid_option")).toBe(true);
    }
  });

  it("-ot exps=CPU moves the MoE experts to host memory and keeps the rest on the GPU", () => {
    const all = estimate("qwen3-30b-a3b", base);
    const ot = estimate("qwen3-30b-a3b", { ...base, override_tensor: "exps=CPU" });
    const moved = comp(all, "weights") - comp(ot, "weights");
    expect(moved).toBeGreaterThan(0.9 * comp(all, "weights"));
    expect(comp(ot, "weights_host") - comp(all, "weights_host")).toBe(moved);
    expect(comp(ot, "kv_cache")).toBe(comp(all, "kv_cache"));
    // the same as --cpu-moe
    expect(comp(estimate("qwen3-30b-a3b", { ...base, cpu_moe: true }), "weights")).toBe(comp(ot, "weights"));
  });

  it("--n-cpu-moe moves more as N grows (property)", () => {
    let last = Infinity;
    for (const n of [0, 4, 16, 48]) {
      const w = comp(estimate("qwen3-30b-a3b", { ...base, n_cpu_moe: n }), "weights");
      expect(w).toBeLessThanOrEqual(last);
      last = w;
    }
  });

  it("--no-kv-offload keeps the KV cache in host memory", () => {
    const e = estimate("llama-3.1-8b", { ...base, no_kv_offload: true });
    expect(comp(e, "kv_cache")).toBe(0);
    expect(comp(e, "kv_cache_host")).toBe(comp(estimate("llama-3.1-8b", base), "kv_cache"));
  });
});

describe("llama.cpp on several GPUs", () => {
  it("splits weights and KV over the GPUs and reports each device", () => {
    const one = estimate("llama-3.1-8b", base);
    const two = estimate("llama-3.1-8b", { ...base, gpus: 2 });
    const d = devices(two)!;
    expect(d).toHaveLength(2);
    const w = d.reduce((a, x) => a + x.weights_bytes, 0);
    const kv = d.reduce((a, x) => a + x.kv_cache_bytes, 0);
    expect(w).toBe(comp(one, "weights"));
    expect(kv).toBe(comp(one, "kv_cache"));
    expect(comp(two, "weights")).toBe(Math.max(...d.map((x) => x.weights_bytes)));
  });

  it("--tensor-split 3,1 puts about three quarters of the layers on the first GPU", () => {
    const d = devices(estimate("llama-3.1-8b", { ...base, gpus: 2, tensor_split: "3,1" }))!;
    expect(d[0].layers).toBe(25);
    expect(d[1].layers).toBe(8);
  });

  it("refuses more shares than GPUs, and row split", () => {
    for (const o of [{ gpus: 1, tensor_split: "1,1" }, { gpus: 2, split_mode: "row" }]) {
      try {
        estimate("llama-3.1-8b", { ...base, ...o });
        expect.unreachable();
      } catch (e) {
        expect(isVramfitError(e, "invalid_option", "unsupported")).toBe(true);
      }
    }
  });
});
