/**
 * Benchmark (not a test): bytes read and time to read the metadata of large sharded checkpoints,
 * from local files and over a local Hub server (127.0.0.1, same URL layout and range semantics as
 * huggingface.co). Shards are synthesized with real headers and sparse data, at the real sizes:
 *   - Llama-3.1-70B shapes, bf16, 30 shards  (141 GB)
 *   - Llama-3.1-405B shapes, bf16, 191 shards (812 GB)
 * Run: npx tsx bench/readers/metadata-read.ts [--json out.json]
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readHubModel } from "../../src/readers/hub.js";
import { readLocalFolder } from "../../src/readers/local.js";
import { startFakeHub } from "../../src/readers/hub-server.test.js";
import { llamaTensorNames, llamaTensorShape, writeSparseSafetensors, type SynthTensor } from "../../src/readers/synth.test.js";

interface Spec {
  name: string;
  layers: number;
  shards: number;
  shape: { hidden: number; heads: number; kvHeads: number; headDim: number; intermediate: number; vocab: number };
}

const SPECS: Spec[] = [
  { name: "llama-3.1-70b", layers: 80, shards: 30, shape: { hidden: 8192, heads: 64, kvHeads: 8, headDim: 128, intermediate: 28672, vocab: 128256 } },
  { name: "llama-3.1-405b", layers: 126, shards: 191, shape: { hidden: 16384, heads: 128, kvHeads: 8, headDim: 128, intermediate: 53248, vocab: 128256 } },
];

async function synthesize(dir: string, spec: Spec): Promise<{ bytes: number; tensors: number }> {
  const tensors: SynthTensor[] = llamaTensorNames(spec.layers, false).map((name) => ({ name, dtype: "BF16", shape: llamaTensorShape(name, spec.shape) }));
  const total = tensors.reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1) * 2, 0);
  const per = total / spec.shards;
  const shards: SynthTensor[][] = [[]];
  let acc = 0;
  for (const t of tensors) {
    const b = t.shape.reduce((x, y) => x * y, 1) * 2;
    if (acc + b > per * shards.length && shards.length < spec.shards && shards[shards.length - 1].length > 0) shards.push([]);
    shards[shards.length - 1].push(t);
    acc += b;
  }
  const n = shards.length;
  const weightMap: Record<string, string> = {};
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const file = `model-${String(i + 1).padStart(5, "0")}-of-${String(n).padStart(5, "0")}.safetensors`;
    bytes += await writeSparseSafetensors(join(dir, file), shards[i]);
    for (const t of shards[i]) weightMap[t.name] = file;
  }
  await writeFile(join(dir, "model.safetensors.index.json"), JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }));
  await writeFile(
    join(dir, "config.json"),
    JSON.stringify({
      model_type: "llama",
      architectures: ["LlamaForCausalLM"],
      hidden_size: spec.shape.hidden,
      num_hidden_layers: spec.layers,
      num_attention_heads: spec.shape.heads,
      num_key_value_heads: spec.shape.kvHeads,
      intermediate_size: spec.shape.intermediate,
      vocab_size: spec.shape.vocab,
      max_position_embeddings: 131072,
      tie_word_embeddings: false,
      torch_dtype: "bfloat16",
    }),
  );
  return { bytes, tensors: tensors.length };
}

const MiB = 1024 ** 2;
const GB = 1e9;

async function main() {
  const out: Record<string, unknown>[] = [];
  for (const spec of SPECS) {
    const dir = await mkdtemp(join(tmpdir(), `vramfit-bench-${spec.name}-`));
    try {
      const { bytes, tensors } = await synthesize(dir, spec);
      let t0 = performance.now();
      const local = await readLocalFolder(dir);
      const localMs = performance.now() - t0;
      const hub = await startFakeHub({ [`bench/${spec.name}`]: { dir } });
      const cacheDir = join(dir, ".cache");
      try {
        t0 = performance.now();
        const cold = await readHubModel(`bench/${spec.name}`, { endpoint: hub.endpoint, cacheDir, env: {} });
        const coldMs = performance.now() - t0;
        const served = hub.requests.reduce((a, r) => a + r.bytes, 0);
        t0 = performance.now();
        const warm = await readHubModel(`bench/${spec.name}`, { endpoint: hub.endpoint, cacheDir, env: {} });
        const warmMs = performance.now() - t0;
        const row = {
          model: spec.name,
          checkpointGB: +(bytes / GB).toFixed(1),
          shards: local.facts.provenance.shardsRead,
          tensors,
          parameters: local.model.parameters,
          local: { bytesRead: local.facts.provenance.bytesRead, ms: +localMs.toFixed(0) },
          http: { requests: cold.transfer.requests, bytesRead: cold.transfer.bytes, bytesServed: served, ms: +coldMs.toFixed(0) },
          httpCached: { requests: warm.transfer.requests, ms: +warmMs.toFixed(0) },
        };
        if (cold.model.parameters !== local.model.parameters) throw new Error("local and HTTP disagree");
        out.push(row);
        console.log(
          `${spec.name}: ${row.checkpointGB} GB in ${row.shards} shards, ${tensors} tensors, ${(row.parameters / 1e9).toFixed(2)}B params\n` +
            `  local : ${(row.local.bytesRead! / MiB).toFixed(3)} MiB read in ${row.local.ms} ms\n` +
            `  http  : ${row.http.requests} requests, ${(row.http.bytesRead / MiB).toFixed(3)} MiB read (${(served / MiB).toFixed(3)} MiB served) in ${row.http.ms} ms\n` +
            `  cached: ${row.httpCached.requests} requests in ${row.httpCached.ms} ms`,
        );
      } finally {
        await hub.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  const i = process.argv.indexOf("--json");
  if (i > 0) await writeFile(process.argv[i + 1], JSON.stringify({ node: process.version, date: new Date().toISOString(), results: out }, null, 2) + "\n");
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
