/** Drives `vramfit mcp` over stdio with the SDK's own client: tool list, schemas, calls, errors. */
import path from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../test-support/paths.js";

let client: Client;

beforeAll(async () => {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ["--import", "tsx", path.join(REPO_ROOT, "src/mcp/stdio-entry.ts")],
    cwd: REPO_ROOT,
    env: { ...process.env, HF_HUB_OFFLINE: "1" } as Record<string, string>,
    stderr: "pipe",
  });
  client = new Client({ name: "vramfit-spec", version: "0.0.0" });
  await client.connect(transport);
}, 60_000);

afterAll(async () => {
  await client?.close();
});

type Result = { content: { type: string; text: string }[]; isError?: boolean; structuredContent?: Record<string, any> };
const call = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as Result;

describe("vramfit mcp (stdio)", () => {
  it("lists estimate, fit, plan and check with JSON schemas", async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(["check", "estimate", "fit", "plan"]);
    const fit = tools.find((t) => t.name === "fit")!;
    expect(fit.inputSchema.required).toContain("gpus");
    expect(Object.keys(fit.inputSchema.properties ?? {})).toEqual(expect.arrayContaining(["command", "model", "engine", "host_ram", "margin", "budgets"]));
  });

  it("estimate: a model and options, with the verdict", async () => {
    const r = await call("estimate", { model: "llama-3.1-8b", gpu: "rtx-4090", options: { seq: 8192 } });
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent!.gpu.verdict).toBe("fits");
    expect(r.content[0].text).toMatch(/llama-3\.1-8b: .* GiB per GPU/);
  });

  it("estimate: does_not_fit gives vLLM's reason and the changes that fit (issue #15 audit)", async () => {
    const r = await call("estimate", { model: "llama-3.1-70b", gpu: "h100-sxm", options: { runtime: "vllm", gpus: 2, seq: 8192 } });
    expect(r.structuredContent!.gpu.verdict).toBe("does_not_fit");
    expect(r.content[0].text).toMatch(/does not fit: vLLM will not start/);
    expect(r.structuredContent!.levers.map((l: { change: string }) => l.change).join(" ")).toMatch(/--max-model-len/);
  });

  it("estimate: a pasted vLLM command", async () => {
    const r = await call("estimate", { command: "vllm serve llama-3.1-8b --max-model-len 16384 -tp 2", gpu: "rtx-4090" });
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent!.engine).toBe("vllm");
    expect(r.structuredContent!.estimate.serving.max_model_len).toBe(16384);
  });

  it("fit: llama.cpp flags on a small GPU", async () => {
    const r = await call("fit", { model: "qwen3-30b-a3b", engine: "llama.cpp", gpus: ["rtx-3060"], host_ram: "64gb", options: { quant: "q4_k_m" } });
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent!.fits).toBe(true);
    expect(r.structuredContent!.flags.map((f: { flag: string }) => f.flag).join(" ")).toMatch(/-c \d+/);
  });

  it("plan: serving a 70B model on 4 GPUs", async () => {
    const r = await call("plan", { model: "llama-3.1-70b", gpu: "h100-sxm", gpus: 4, mode: "infer" });
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent!.plan).toBeDefined();
  });

  it("check: a real SGLang log", async () => {
    const { readFileSync } = await import("node:fs");
    const log = readFileSync(path.join(REPO_ROOT, "bench/accuracy/logs/sglang/yuy4o-qwq-32b-a800-tp1.log"), "utf8");
    const r = await call("check", { log, model: "qwen2.5-32b" });
    expect(r.isError).toBeFalsy();
    const kv = r.structuredContent!.rows.find((x: { component: string }) => x.component === "kv_cache");
    expect(Math.abs(kv.diff)).toBeLessThan(0.01);
  });

  it("errors come back as results with a code, and the server keeps serving", async () => {
    const r = await call("estimate", { model: "llama-3.1-8q" });
    expect(r.isError).toBe(true);
    expect(JSON.parse(r.content[0].text).error.code).toBe("unknown_model");
    const bad = await call("fit", { gpus: [] });
    expect(bad.isError).toBe(true);
    const again = await call("estimate", { model: "7b", options: { dtype: "fp16" } });
    expect(again.isError).toBeFalsy();
  });
});
