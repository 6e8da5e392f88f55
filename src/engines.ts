/**
 * Registers the optional engines (training, runtime profiles, vision) with the core. Imported once by
 * the public entry points so that `estimate()` can dispatch without the core importing them.
 */
export {};
import "./core/training/register.js";
import "./runtimes/llamacpp/register.js";
import "./runtimes/vllm/register.js";
import "./vision/register.js";
