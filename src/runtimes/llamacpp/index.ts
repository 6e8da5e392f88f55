/** llama.cpp / Ollama runtime profile: pure functions, no I/O. */
export { llamaCppContextParams, LLAMA_CPP_CTX_PAD } from "./context-params.js";
export type { LlamaCppContextInput, LlamaCppContextParams } from "./context-params.js";
export { llamaCppKvCache, llamaCppKvType, llamaCppKvWidths, LLAMA_CPP_KV_TYPES } from "./kv-cache.js";
export type { LlamaCppKvCache, LlamaCppKvLayer, LlamaCppKvOptions, LlamaCppKvType } from "./kv-cache.js";
export { llamaCppComputeBuffer } from "./compute-buffer.js";
export type { LlamaCppBackend, LlamaCppComputeBuffer, LlamaCppComputeOptions } from "./compute-buffer.js";
export { llamaCppModelBuffers } from "./model-buffers.js";
export type { LlamaCppModelBuffers, NamedTensorBytes } from "./model-buffers.js";
export { llamaCppMemory } from "./memory.js";
export type { LlamaCppMemory, LlamaCppMemoryOptions } from "./memory.js";
export { OLLAMA_DEFAULTS, ollamaDefaultContext, ollamaLlamaCppContext, ollamaReservedBytes } from "./ollama.js";
