import { copyFile, mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VramfitError } from "../core/errors.js";
import { readHubModel, type HubOptions } from "./hub.js";
import { startFakeHub, type FakeHub } from "./hub-server.test.js";
import { fixture } from "./fixtures.test.js";
import { LLAMA_32_1B, LLAMA_32_3B, llamaTensorNames, llamaTensorShape, writeSparseSafetensors } from "./synth.test.js";

// Ground truth: Llama-3.2-3B's index total_size 6425499648 bytes of bf16 (fixtures/SOURCES.md), and
// Llama-3.2-1B's published parameter count 1,235,814,400 (16 layers; hand sum in local.spec.ts terms:
// embeddings 262,668,288 + 16 × 60,821,504 + final norm 2,048).
const L3B_PARAMS = 6425499648 / 2;
const L1B_PARAMS = 1235814400;

let tmp: string;
let hub: FakeHub;
const SHARDED = "meta-llama/Llama-3.2-3B";
const SINGLE = "meta-llama/Llama-3.2-1B";

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "vramfit-hub-"));
  const sharded = join(tmp, "sharded");
  await mkdir(sharded);
  await copyFile(fixture("hf", "llama-3.2-3b", "config.json"), join(sharded, "config.json"));
  await copyFile(fixture("hf", "llama-3.2-3b", "model.safetensors.index.json"), join(sharded, "model.safetensors.index.json"));
  const index = JSON.parse(await readFile(join(sharded, "model.safetensors.index.json"), "utf8"));
  for (const [name, file] of Object.entries(index.weight_map as Record<string, string>)) {
    await writeSparseSafetensors(join(sharded, file), [{ name, dtype: "BF16", shape: llamaTensorShape(name, LLAMA_32_3B) }]);
  }
  const single = join(tmp, "single");
  await mkdir(single);
  await copyFile(fixture("hf", "llama-3.2-1b", "config.json"), join(single, "config.json"));
  await writeSparseSafetensors(
    join(single, "model.safetensors"),
    llamaTensorNames(16, true).map((name) => ({ name, dtype: "BF16", shape: llamaTensorShape(name, LLAMA_32_1B) })),
  );
  const ggufOnly = join(tmp, "gguf-only");
  await mkdir(ggufOnly);
  await copyFile(fixture("gguf", "ggml-vocab-llama-spm.gguf"), join(ggufOnly, "model-q4_k_m.gguf"));
  hub = await startFakeHub({
    [SHARDED]: { dir: sharded },
    [SINGLE]: { dir: single },
    "openai-community/gpt2": { dir: fixture("hf", "gpt2") },
    "test/gated": { dir: single, gatedToken: "hf_good" },
    "test/limited": { dir: single, rateLimited: true },
    "test/private": { dir: single, private: true },
    "test/no-ranges": { dir: single, noRanges: true },
    "test/gguf-only": { dir: ggufOnly },
  });
});
afterAll(async () => {
  await hub?.close();
  await rm(tmp, { recursive: true, force: true });
});

const opts = (o: HubOptions = {}): HubOptions => ({ endpoint: hub.endpoint, cacheDir: false, env: {}, ...o });

describe("readHubModel against a local Hub", () => {
  it("reads config, index and 254 shard headers by range requests", async () => {
    hub.requests.length = 0;
    const done: number[] = [];
    const r = await readHubModel(SHARDED, opts({ onProgress: (p) => done.push(p.done) }));
    expect(r.model.parameters).toBe(L3B_PARAMS);
    expect(r.facts.storedBytesTotal).toBe(6425499648);
    expect(r.model.source).toMatchObject({ kind: "hub", ref: SHARDED });
    expect(r.model.hfId).toBe(SHARDED);
    expect(done).toHaveLength(254);
    expect(Math.max(...done)).toBe(254);
    const shardRequests = hub.requests.filter((q) => q.url.includes("/resolve/main/") && q.url.endsWith(".safetensors"));
    expect(shardRequests).toHaveLength(254);
    // Never the weights: every shard request is a Range request of at most 32 KiB.
    expect(shardRequests.every((q) => q.status === 206 && q.range?.startsWith("bytes=0-") && q.bytes <= 32 * 1024)).toBe(true);
    expect(r.transfer.bytes).toBeLessThan(254 * 32 * 1024);
  });

  it("reads a single model.safetensors header: Llama-3.2-1B has 1,235,814,400 parameters", async () => {
    const r = await readHubModel(SINGLE, opts());
    expect(r.model.parameters).toBe(L1B_PARAMS);
    expect(r.facts.tensorCount).toBe(146);
    expect(r.model.tensors.every((t) => t.dtype === "bf16")).toBe(true);
  });

  it("a repo without safetensors falls back to config.json (GPT-2: 124,439,808)", async () => {
    const r = await readHubModel("openai-community/gpt2", opts());
    expect(r.model.parameters).toBe(124439808);
    expect(r.model.warnings.join("\n")).toMatch(/no safetensors/);
  });

  it("works with a server that ignores Range, reading only the header bytes", async () => {
    const r = await readHubModel("test/no-ranges", opts());
    expect(r.model.parameters).toBe(L1B_PARAMS);
    expect(r.transfer.bytes).toBeLessThanOrEqual(32 * 1024 + 20_000);
  });

  it("caches everything: a second run works with the server gone", async () => {
    const cacheDir = join(tmp, "cache");
    const other = await startFakeHub({ [SHARDED]: { dir: join(tmp, "sharded") } });
    const first = await readHubModel(SHARDED, opts({ endpoint: other.endpoint, cacheDir }));
    expect(first.transfer.fromCache).toBe(false);
    await other.close();
    const second = await readHubModel(SHARDED, opts({ endpoint: other.endpoint, cacheDir }));
    expect(second.transfer).toEqual({ requests: 0, bytes: 0, fromCache: true });
    expect(second.model.parameters).toBe(first.model.parameters);
    expect(second.model.tensors).toEqual(first.model.tensors);
    // --refresh goes back to the network, which is now gone.
    await expect(readHubModel(SHARDED, opts({ endpoint: other.endpoint, cacheDir, refresh: true }))).rejects.toThrow(/cannot reach/);
  });

  it("offline mode without a cache entry says so", async () => {
    const err = await readHubModel(SINGLE, opts({ offline: true, cacheDir: join(tmp, "empty-cache") })).catch((e) => e);
    expect(err).toBeInstanceOf(VramfitError);
    expect(err.message).toMatch(/not in the cache and offline mode is on/);
  });
});

describe("readHubModel errors are one clear line", () => {
  const fails = async (repo: string, o: HubOptions, msg: RegExp, suggestion?: RegExp) => {
    const err = await readHubModel(repo, opts(o)).catch((e) => e);
    expect(err).toBeInstanceOf(VramfitError);
    expect(err.message).toMatch(msg);
    expect(err.message).not.toMatch(/\n/);
    if (suggestion) expect(err.suggestion).toMatch(suggestion);
  };
  it("404: no such model", () => fails("nobody/nothing", {}, /no model nobody\/nothing on http:\/\/127\.0\.0\.1:\d+ \(HTTP 404\)/));
  it("401: gated without a token", () => fails("test/gated", {}, /is gated \(HTTP 401\)/, /HF_TOKEN/));
  it("403: gated with a token that has no access", () => fails("test/gated", { token: "hf_bad" }, /gated.*HTTP 403/, /HF_TOKEN/));
  it("HF_TOKEN from the environment opens the gated repo", async () => {
    const r = await readHubModel("test/gated", opts({ env: { HF_TOKEN: "hf_good" } }));
    expect(r.model.parameters).toBe(L1B_PARAMS);
  });
  it("HF_ENDPOINT from the environment picks the mirror", async () => {
    const r = await readHubModel(SINGLE, { cacheDir: false, env: { HF_ENDPOINT: hub.endpoint + "/" } });
    expect(r.model.parameters).toBe(L1B_PARAMS);
    expect(r.model.source.origin).toBe(`${hub.endpoint}/${SINGLE}@0123456789abcdef0123456789abcdef01234567`);
  });
  it("401 + RepoNotFound: missing or private", () => fails("test/private", {}, /no model test\/private on .*HTTP 401: it does not exist, or it is private/, /HF_TOKEN/));
  it("429: rate limited", () => fails("test/limited", {}, /rate limited .*HTTP 429.*retry after 30 s/));
  it("no network", async () => {
    const closed = await startFakeHub({});
    await closed.close();
    await fails(SINGLE, { endpoint: closed.endpoint }, /cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/, /HF_ENDPOINT/);
  });
  it("a GGUF-only repo points at its files", () => fails("test/gguf-only", {}, /holds GGUF files/));
  it("not a repo id", () => fails("../etc/passwd", {}, /not a Hugging Face model id/));
});
