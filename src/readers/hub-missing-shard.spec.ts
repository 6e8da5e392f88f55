/**
 * Issue #15 audit: a Hub repository whose index lists a shard that answers 404 must say which file the Hub could not
 * give, never read the 404 body as a safetensors header ("header length 2482168881970750075 bytes").
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { readHubModel } from "./hub.js";
import { startFakeHub, type FakeHub } from "./hub-server.test.js";
import { fixture } from "./fixtures.test.js";
import { LLAMA_32_3B, llamaTensorShape, writeSparseSafetensors } from "./synth.test.js";

let tmp: string;
let hub: FakeHub;
let missing: string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "vramfit-hub-missing-"));
  await copyFile(fixture("hf", "llama-3.2-3b", "config.json"), join(tmp, "config.json"));
  await copyFile(fixture("hf", "llama-3.2-3b", "model.safetensors.index.json"), join(tmp, "model.safetensors.index.json"));
  const index = JSON.parse(await readFile(join(tmp, "model.safetensors.index.json"), "utf8"));
  const files = new Set<string>();
  for (const [name, file] of Object.entries(index.weight_map as Record<string, string>)) {
    files.add(file);
    await writeSparseSafetensors(join(tmp, file), [{ name, dtype: "BF16", shape: llamaTensorShape(name, LLAMA_32_3B) }]);
  }
  missing = [...files].sort().pop()!;
  await unlink(join(tmp, missing));
  hub = await startFakeHub({ "test/missing-shard": { dir: tmp } });
});
afterAll(async () => {
  await hub?.close();
  await rm(tmp, { recursive: true, force: true });
});

it("a shard the Hub answers 404 for is named as missing, not read as a header", async () => {
  const err = await readHubModel("test/missing-shard", { endpoint: hub.endpoint, cacheDir: false, env: {} }).then(
    () => null,
    (e: unknown) => e as Error & { code?: string },
  );
  expect(err).not.toBeNull();
  expect(err!.message).not.toMatch(/header length|not a valid safetensors/);
  expect(err!.message).toContain(missing);
  expect(err!.message).toMatch(/404/);
});
