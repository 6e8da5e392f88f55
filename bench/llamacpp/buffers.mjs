// Loads a GGUF once on CPU with the llama.cpp build bundled in node-llama-cpp, then creates one context per
// configuration and prints, as one JSON line each, llama.cpp's own log lines about buffers and context
// parameters. Like ../../../shared/tools/llama-cpp-buffers.mjs, plus separate K/V cache types, --swa-full
// and many configurations per load (loading a big sparse file takes ~30 s, a context well under that).
// Usage (from a folder where node-llama-cpp@3 is installed):
//   node buffers.mjs FILE.gguf '[{"ctx":2048,"seqs":1,"ubatch":512,"fa":false,"k":"f16","v":"f16","swaFull":false}]'
// `ctx` is per sequence: node-llama-cpp asks llama.cpp for n_ctx = ctx * seqs (padded up to 256) and for
// n_batch = n_ubatch = ubatch (+1 on sliding-window models); the printed llama_context lines give what
// llama.cpp really used, and those are what the records keep.
import { getLlama, LlamaLogLevel } from "node-llama-cpp";

const [file, configsJson] = process.argv.slice(2);
const configs = JSON.parse(configsJson);
const keep = /buffer size|llama_kv_cache[^:]*: +size|llama_kv_cache[^:]*: +(creating|n_)|n_ctx|n_seq_max|n_batch|n_ubatch|flash_attn|kv_unified|swa|type_k|type_v|print_info: (file type|model params|n_swa|n_vocab|n_layer|n_ctx_train)|error|failed|does not divide|requires|llama_kv_cache.*(cells|layer  *0:)/i;
let lines = [];
const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.debug,
  logger: (_level, msg) => { if (keep.test(msg) && !/input tensor|assigned to device|: dev = /.test(msg)) lines.push(msg.trimEnd()); } });
const flush = async () => { await new Promise((r) => setTimeout(r, 100)); const l = lines; lines = []; return l; };
const model = await llama.loadModel({ modelPath: file, gpuLayers: 0 });
console.log(JSON.stringify({ load: await flush() }));
for (const c of configs) {
  let error = null;
  try {
    const ctx = await model.createContext({
      contextSize: c.ctx, sequences: c.seqs ?? 1, flashAttention: !!c.fa, swaFullCache: !!c.swaFull,
      batchSize: c.ubatch ?? 512, ignoreMemorySafetyChecks: true,
      ...(c.k && { experimentalKvCacheKeyType: c.k.toUpperCase() }),
      ...(c.v && { experimentalKvCacheValueType: c.v.toUpperCase() }) });
    await ctx.dispose();
  } catch (e) {
    error = String(e?.message ?? e);
  }
  console.log(JSON.stringify({ config: c, error, lines: await flush() }));
}
await model.dispose();
await llama.dispose();
