import { describe, expect, it } from "vitest";
import { cli } from "../test-support/cli.js";


describe("vramfit estimate -- <engine command>", () => {
  it("reads a pasted vLLM command and answers in its flags", async () => {
    const r = await cli(["estimate", "--gpu", "h100-sxm", "--", "vllm", "serve", "llama-3.1-8b", "--max-model-len", "32768", "-tp", "2", "--gpu-memory-utilization", "0.85"]);
    expect(r.code, r.err).toBe(0);
    const line = r.out.split("\n").find((l) => l.includes("your flags"))!;
    for (const f of ["--max-model-len 32768", "-tp 2", "--gpu-memory-utilization 0.85"]) expect(line).toContain(f);
    expect(r.out).toMatch(/engine defaults: .*--max-num-seqs/);
  });

  it("takes the whole command as one quoted word too, and prints JSON", async () => {
    const r = await cli(["estimate", "--gpu", "rtx-4090", "--json", "--", `llama-server -m x --ctx-size 8192 -ngl 99 -fa on -ctk q8_0 -ctv q8_0 --frob`]);
    // 'x' is not a model: one error line, as JSON under --json
    expect(r.code).toBe(1);
    expect(JSON.parse(r.err).error.code).toBeDefined();
    const ok = await cli(["estimate", "--gpu", "rtx-4090", "--quant", "q4_k_m", "--json", "--", `llama-server -m llama-3.1-8b --ctx-size 8192 -ngl 99 -fa on -ctk q8_0 -ctv q8_0 --frob`]);
    expect(ok.code, ok.err).toBe(0);
    const j = JSON.parse(ok.out);
    expect(j.workload.unknown).toEqual(["--frob"]);
    expect(j.estimate.workload).toMatchObject({ runtime: "llama.cpp", seq: 8192, cache_type_k: "q8_0", parallel: 4, kv_unified: true });
    expect(j.settings.find((s: { name: string }) => s.name === "ctx_size").text).toBe("--ctx-size 8192");
  });

  it("an empty command after -- is one clear error", async () => {
    const r = await cli(["estimate", "--gpu", "h100-sxm", "--"]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/nothing after --/);
  });
});
