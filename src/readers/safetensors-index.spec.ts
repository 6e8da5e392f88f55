import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { VramfitError } from "../core/errors.js";
import { parseSafetensorsIndex } from "./safetensors-index.js";
import { fixture, FIXTURES } from "./fixtures.test.js";
import { join } from "node:path";

// Ground truth: fixtures/SOURCES.md lists, for every index, total_size, the number of weight_map entries,
// the number of distinct shard files and total_parameters when present.
const sources = readFileSync(join(FIXTURES, "SOURCES.md"), "utf8");
const expected = sources
  .split(/^### /m)
  .slice(1)
  .flatMap((section) => {
    const name = section.split("\n")[0].trim();
    const m = /^- index: metadata\.total_size = \*\*([^*]+)\*\*[^;]*; weight_map entries = (\d+); distinct shard files = (\d+)(?:; total_parameters = (\d+))?/m.exec(section);
    if (!m) return [];
    return [{ name, totalSize: /^\d+$/.test(m[1]) ? Number(m[1]) : undefined, entries: Number(m[2]), shards: Number(m[3]), totalParameters: m[4] ? Number(m[4]) : undefined }];
  });

describe("parseSafetensorsIndex on every fixture index", () => {
  it("finds the fixture list", () => expect(expected.length).toBeGreaterThanOrEqual(20));
  it.each(expected)("$name", (e) => {
    const idx = parseSafetensorsIndex(new Uint8Array(readFileSync(fixture("hf", e.name, "model.safetensors.index.json"))));
    expect(idx.totalSize).toBe(e.totalSize);
    expect(idx.weightMap.size).toBe(e.entries);
    expect(idx.shards).toHaveLength(e.shards);
    expect(idx.totalParameters).toBe(e.totalParameters);
  });
});

describe("parseSafetensorsIndex rejects unsafe or malformed indexes", () => {
  it.each([
    ["path traversal", { weight_map: { a: "../../etc/passwd" } }, /dot segment/],
    ["absolute path", { weight_map: { a: "/etc/passwd" } }, /absolute/],
    ["URL", { weight_map: { a: "https://evil/x.safetensors" } }, /scheme/],
    ["encoded dot segment", { weight_map: { a: "%2e%2e/x.safetensors" } }, /encoded dot/],
    ["no weight_map", { metadata: {} }, /weight_map/],
    ["negative total_size", { metadata: { total_size: -1 }, weight_map: {} }, /total_size/],
    ["non-string file", { weight_map: { a: 3 } }, /not a file name/],
  ])("%s", (_n, json, msg) => {
    expect(() => parseSafetensorsIndex(JSON.stringify(json))).toThrow(VramfitError);
    expect(() => parseSafetensorsIndex(JSON.stringify(json))).toThrow(msg);
  });
});
