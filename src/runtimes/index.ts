/**
 * vramfit/runtimes: the runtime and training profiles (what src/profiles.ts wires) and the pure functions
 * behind them — llama.cpp/Ollama buffers, vLLM's startup budget, GGUF/ggml facts.
 */
export { transformersRuntime } from "./transformers/profile.js";
export { vllmRuntime, VLLM_OPTIONS, checkpointQuant } from "./vllm/profile.js";
export { vllmMemory } from "./vllm/memory.js";
export { llamaCppRuntime, ollamaRuntime, LLAMA_CPP_OPTIONS } from "./llamacpp/profile.js";
export * from "./llamacpp/index.js";
export * from "../ggml/index.js";
export { transformersTraining } from "../training/profile.js";
export { TRAINING_OPTIONS } from "../training/options.js";
export { RUNTIMES, TRAINING, FAMILIES, DEFAULT_PROFILES } from "../profiles.js";
