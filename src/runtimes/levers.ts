/**
 * Levers the PyTorch-based runtimes share (transformers, vLLM): a lower-precision KV cache, then quantized
 * weights. Each runtime lists them in its profile's `levers`; llama.cpp's own are its flags.
 */
import type { Lever } from "../core/profile.js";
import type { Workload } from "../core/workload.js";

export function kvAndWeightLevers(w: Pick<Workload, "kv_dtype" | "quant">): Lever[] {
  return [
    ...(w.kv_dtype !== "fp8" ? [{ change: "fp8 KV cache (--kv-dtype fp8)", patch: { kv_dtype: "fp8" } }] : []),
    ...(!w.quant
      ? [
          { change: "8-bit weights (--quant int8)", patch: { quant: "int8" } },
          { change: "4-bit weights (--quant nf4)", patch: { quant: "nf4" } },
        ]
      : []),
  ];
}
