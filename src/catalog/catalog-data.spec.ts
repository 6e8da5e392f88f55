// Shape checks for the catalog data files (src/catalog/models/*.json, src/catalog/gpus.json), and
// cross-checks of every figure copied from ../shared/fixtures against the fixture files themselves.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, "../..");
const fixturesHf = path.resolve(repoRoot, "fixtures/hf");
const haveFixtures = fs.existsSync(fixturesHf);

type Json = Record<string, unknown>;

function readJson(file: string): Json {
  return JSON.parse(fs.readFileSync(file, "utf8")) as Json;
}

const modelDir = path.join(here, "models");
const modelFiles = fs.readdirSync(modelDir).filter((f) => f.endsWith(".json")).sort();
const models = modelFiles.map((f) => ({ file: f, entry: readJson(path.join(modelDir, f)) }));
const gpus = JSON.parse(fs.readFileSync(path.join(here, "gpus.json"), "utf8")) as Json[];

const isPositiveInt = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v > 0;

/** The decoder block of a config: multimodal configs keep it under text_config. */
function textConfig(config: Json): Json {
  return (config.text_config as Json | undefined) ?? config;
}

describe("model catalog files", () => {
  it("has at least 150 models", () => {
    expect(models.length).toBeGreaterThanOrEqual(150);
  });

  it.each(models)("$file has the catalog entry shape", ({ file, entry }) => {
    expect(entry.id).toBe(file.replace(/\.json$/, ""));
    expect(entry.id).toMatch(/^[a-z0-9][a-z0-9.-]*$/);
    expect(typeof entry.hf_id).toBe("string");
    expect(entry.hf_id).toMatch(/^[\w.-]+\/[\w.-]+$/);
    expect(typeof entry.name).toBe("string");
    expect(Array.isArray(entry.aliases)).toBe(true);
    const source = entry.source as Json;
    expect(typeof source.repo).toBe("string");
    expect(typeof source.path).toBe("string");
    const config = entry.config as Json;
    expect(typeof config.model_type).toBe("string");
    const text = textConfig(config);
    // Every decoder/encoder config names its width and depth under one of the HF spellings (a layer pattern
    // counts as the depth); a nested text_config saved as a diff may leave both to its class defaults, when it
    // names its model_type (the reader spec then checks the parsed shape).
    const width = text.hidden_size ?? text.n_embd ?? text.n_embed ?? text.d_model;
    const pattern = text.hybrid_override_pattern ?? text.layers_block_type;
    const depth = text.num_hidden_layers ?? text.n_layer ?? text.num_layers ?? text.n_layers ?? text.decoder_layers ?? (typeof pattern === "string" || Array.isArray(pattern) ? pattern.length : undefined);
    const defaultsFromClass = text !== config && typeof text.model_type === "string" && width === undefined;
    if (!defaultsFromClass) {
      expect(isPositiveInt(width)).toBe(true);
      expect(isPositiveInt(depth)).toBe(true);
    }
    if (isPositiveInt(text.num_attention_heads) && isPositiveInt(text.num_key_value_heads)) {
      expect(text.num_attention_heads % text.num_key_value_heads).toBe(0);
    }
  });

  it.each(models.filter((m) => m.entry.published))("$file: published figure is well formed", ({ entry }) => {
    const p = entry.published as Json;
    expect(typeof p.source).toBe("string");
    expect(isPositiveInt(p.total_size) || isPositiveInt(p.parameters)).toBe(true);
    expect(["bf16", "fp16", "fp32", "fp8"]).toContain(p.dtype);
    // A plain 16-bit checkpoint stores 2 bytes per element.
    if (isPositiveInt(p.total_size) && (p.dtype === "bf16" || p.dtype === "fp16")) expect(p.total_size % 2).toBe(0);
  });

  it("ids are unique and every id / HF id / alias names one entry (case-insensitive)", () => {
    const owner = new Map<string, string>();
    for (const { entry } of models) {
      const keys = new Set([entry.id as string, entry.hf_id as string, ...(entry.aliases as string[])].map((k) => k.toLowerCase()));
      for (const k of keys) {
        expect(owner.get(k) ?? entry.id, `key '${k}'`).toBe(entry.id);
        owner.set(k, entry.id as string);
      }
    }
  });
});

describe("published figures copied from index files in src/catalog/index/", () => {
  const withIndex = models.filter((m) => typeof (m.entry.published as Json | undefined)?.index_file === "string");

  it("covers the entries whose figure was read from an index file kept here", () => {
    expect(withIndex.length).toBeGreaterThanOrEqual(14);
  });

  it.each(withIndex)("$file: published figure equals the index file's metadata", ({ entry }) => {
    const p = entry.published as Json;
    const meta = readJson(path.join(here, p.index_file as string)).metadata as Json;
    if (p.total_size !== undefined) expect(meta.total_size).toBe(p.total_size);
    if (p.parameters !== undefined) expect(meta.total_parameters).toBe(p.parameters);
  });
});

describe.skipIf(!haveFixtures)("catalog figures copied from ../shared/fixtures", () => {
  const fixturesRoot = path.dirname(fixturesHf);
  const withFixtureIndex = models.filter((m) => typeof (m.entry.published as Json | undefined)?.fixture === "string");
  const copied = models.filter((m) => typeof (m.entry.source as Json).fixture === "string");

  it("covers the fixtures with an index and the configs copied from fixtures", () => {
    expect(withFixtureIndex.length).toBeGreaterThanOrEqual(8);
    expect(copied.length).toBeGreaterThanOrEqual(4);
  });

  it.each(withFixtureIndex)("$file: published figure equals the fixture index, whose model has the same shapes", ({ entry }) => {
    const p = entry.published as Json;
    const indexFile = path.join(fixturesRoot, p.fixture as string);
    const meta = readJson(indexFile).metadata as Json;
    if (p.total_size !== undefined) expect(meta.total_size).toBe(p.total_size);
    if (p.parameters !== undefined) expect(meta.total_parameters).toBe(p.parameters);
    // The figure is only valid for this entry if the fixture model has this entry's shapes.
    const a = textConfig(entry.config as Json);
    const b = textConfig(readJson(path.join(path.dirname(indexFile), "config.json")));
    for (const k of ["hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "vocab_size", "head_dim", "num_local_experts", "num_experts", "tie_word_embeddings"]) {
      expect(b[k], k).toEqual(a[k]);
    }
  });

  it.each(copied)("$file: config is the fixture config, unmodified", ({ entry }) => {
    expect(entry.config).toEqual(readJson(path.join(fixturesRoot, (entry.source as Json).fixture as string)));
  });
});

describe("GPU catalog file", () => {
  const arches = ["kepler", "pascal", "volta", "turing", "ampere", "ada", "hopper", "blackwell", "cdna2", "cdna3", "apple"];

  it("has at least 35 accelerators", () => {
    expect(gpus.length).toBeGreaterThanOrEqual(35);
  });

  it.each(gpus.map((g) => ({ id: g.id as string, g })))("$id is well formed", ({ g }) => {
    expect(g.id).toMatch(/^[a-z0-9][a-z0-9.-]*$/);
    expect(typeof g.name).toBe("string");
    expect(["nvidia", "amd", "apple"]).toContain(g.vendor);
    expect(isPositiveInt(g.memory_bytes)).toBe(true);
    expect(arches).toContain(g.arch);
    expect(typeof g.source).toBe("string");
    if (g.vendor === "nvidia") expect(g.compute_capability).toMatch(/^\d+\.\d+$/);
    if (g.usable_bytes !== undefined) {
      expect(isPositiveInt(g.usable_bytes)).toBe(true);
      // What the driver reports never exceeds the capacity, and is never far below it.
      expect(g.usable_bytes as number).toBeLessThanOrEqual(g.memory_bytes as number);
      expect(g.usable_bytes as number).toBeGreaterThan(0.6 * (g.memory_bytes as number));
      expect(typeof g.usable_source).toBe("string");
    }
  });

  it("ids, names and aliases are unique after the lookup's normalisation", () => {
    // Same normalisation as findGpu in gpus.ts: case, a leading "nvidia ", spaces and underscores.
    const norm = (s: string) => s.trim().toLowerCase().replace(/^nvidia\s+/, "").replace(/[\s_]+/g, "-");
    const owner = new Map<string, string>();
    for (const g of gpus) {
      const keys = new Set([g.id as string, g.name as string, ...((g.aliases as string[]) ?? [])].map(norm));
      for (const k of keys) {
        expect(owner.get(k) ?? g.id, `key '${k}'`).toBe(g.id);
        owner.set(k, g.id as string);
      }
    }
  });

  it("marketing GB of GDDR/HBM cards is GiB: memory_bytes is a whole number of GiB", () => {
    for (const g of gpus) expect((g.memory_bytes as number) % 2 ** 30, g.id as string).toBe(0);
  });
});
