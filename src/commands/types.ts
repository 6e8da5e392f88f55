/**
 * What a pasted serving command means: the engine, the model, every flag typed and under one canonical
 * name, and how the user spelled each one so answers can speak in the user's own flags.
 */
import { VramfitError } from "../core/errors.js";

export type Engine = "vllm" | "sglang" | "llama.cpp" | "ollama";

export type FlagValue = string | number | boolean | string[];

export interface EngineCommand {
  engine: Engine;
  /** As typed, normalised to the entry point: "vllm serve", "python -m sglang.launch_server", "llama-server". */
  program: string;
  /** Model id / path / GGUF / Hugging Face repo / Ollama tag. */
  model?: string;
  /** Canonical snake_case names (max_model_len, tensor_parallel_size, ctx_size, n_gpu_layers, ...). */
  flags: Record<string, FlagValue>;
  /** The environment variables that matter to this engine (CUDA_VISIBLE_DEVICES, OLLAMA_*, LLAMA_ARG_*, ...). */
  env: Record<string, string>;
  /** Canonical name → how the user spelled it ("-tp", "--ctx-size", "OLLAMA_NUM_PARALLEL", "PARAMETER num_ctx"). */
  spelled: Record<string, string>;
  /** Known flags that do not change memory, as spelled. */
  ignored: string[];
  /** Flags this engine does not know (or vramfit does not know), as spelled. */
  unknown: string[];
  /** Things the engine would do differently from what the user probably meant (one line each). */
  warnings: string[];
}

/** How a flag's value is read. */
export type FlagType =
  /** No value: presence sets true (negative spellings set false). */
  | "bool"
  /** A whole number. */
  | "int"
  /** A whole number that also accepts 1k / 1K / 25.6k (vLLM's and SGLang's human_readable_int). */
  | "hint"
  | "float"
  | "string"
  /** One of `choices` (after `normalize`). */
  | "enum"
  /** Repeatable or multi-valued: collected into string[]. */
  | "list";

export interface FlagSpec {
  /** Canonical name used in EngineCommand.flags. */
  name: string;
  /** Every spelling that sets the value (long first). */
  names: string[];
  /** Spellings that set a bool to false (--no-mmap, -nkvo's positive twin, ...). */
  negNames?: string[];
  type: FlagType;
  choices?: readonly string[];
  /** Map a raw value to a canonical one before checking choices (e.g. "enabled" → "on"). */
  normalize?: (raw: string) => string;
  /** Extra validation on the typed value: return an error message, or undefined. */
  check?: (value: number | string) => string | undefined;
  /** Default, as the engine states it (a value, or words when it is derived). */
  default: string;
  /** Does this flag change how much memory the engine allocates (device or host)? */
  memory: boolean;
  /** What it changes in memory (memory flags) or why it does not (others); one sentence. */
  effect: string;
  /** Where the flag and its default are defined: file (+ function/line) at the cited version. */
  source: string;
  /** Environment variable that sets it when the flag is absent (llama.cpp LLAMA_ARG_*). */
  env?: string;
  /** nargs="+" (argparse): take every following token that is not an option. */
  multi?: boolean;
  /** Accepts dotted sub-keys: --compilation-config.cudagraph_mode X (vLLM JSON args). */
  dotted?: boolean;
  /** The value is the model (stored in EngineCommand.model as well as in flags). */
  model?: boolean;
  /** Words accepted besides numbers (-ngl auto|all, --max-model-len auto). */
  words?: readonly string[];
  /** Takes two values (--lora-scaled FNAME SCALE): stored as "a:b" in a list. */
  values?: 2;
  /** pflag NoOptDefVal: the value is given only as --flag=value; the bare flag means this value. */
  optionalValue?: string;
  /** Older builds took this option without a value: when the next word is an option, read this value and warn. */
  bareValue?: string;
  /** Only some versions know it; said in the docs. */
  since?: string;
}

/** A user-facing error for a bad flag value: one line, code "invalid_option". */
export function invalidOption(message: string, suggestion?: string): VramfitError {
  return new VramfitError("invalid_option", message, suggestion === undefined ? {} : { suggestion });
}

/** Shorten what we echo back so a hostile megabyte value never ends up in an error line. */
export function clip(s: string, max = 60): string {
  const oneLine = s.replace(/[\u0000-\u001f\u007f]/g, "?");
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max)}…`;
}

export function emptyCommand(engine: Engine, program: string): EngineCommand {
  return { engine, program, flags: {}, env: {}, spelled: {}, ignored: [], unknown: [], warnings: [] };
}
