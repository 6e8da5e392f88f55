// Loads a GGUF once on CPU with the llama.cpp build bundled in node-llama-cpp and creates one context per
// configuration, printing (one JSON line each) llama.cpp's own lines about the recurrent-state (RS) buffer, the KV
// cache, the compute buffer and the context parameters. For recurrent and hybrid models (issue #18).
// Usage (from a folder where node-llama-cpp@3.22.1 is installed):
//   node recurrent-buffers.mjs FILE.gguf '[{"ctx":2048,"seqs":1,"fa":false}]'
import { getLlama, LlamaLogLevel } from "node-llama-cpp";

const [file, configsJson] = process.argv.slice(2);
const configs = JSON.parse(configsJson);
const keep = /buffer size|llama_memory_recurrent|llama_memory_hybrid|llama_kv_cache[^:]*: +size|n_ctx|n_seq_max|n_ubatch|flash_attn|print_info: (file type|model params|n_layer|n_vocab|ssm_)|error|failed/i;
let lines = [];
const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.debug,
  logger: (_level, msg) => { if (keep.test(msg) && !/input tensor|assigned to device|: dev = |layer +\d+: skipped/.test(msg)) lines.push(msg.trimEnd()); } });
const flush = async () => { await new Promise((r) => setTimeout(r, 100)); const l = lines; lines = []; return l; };
const model = await llama.loadModel({ modelPath: file, gpuLayers: 0 });
console.log(JSON.stringify({ load: await flush() }));
for (const c of configs) {
  let error = null;
  try {
    const ctx = await model.createContext({ contextSize: c.ctx, sequences: c.seqs ?? 1, flashAttention: !!c.fa,
      batchSize: c.ubatch ?? 512, ignoreMemorySafetyChecks: true });
    await ctx.dispose();
  } catch (e) {
    error = String(e?.message ?? e);
  }
  console.log(JSON.stringify({ config: c, error, lines: await flush() }));
}
await model.dispose();
await llama.dispose();
