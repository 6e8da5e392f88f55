/**
 * Options as data. Every option of a workload is one OptionSpec, declared by whoever owns it (the core's
 * common workload, a runtime profile, a training profile, a model family). One entry drives the library's
 * validation, the CLI flag and its --help group, the web page's field and URL key, and the JSON echo —
 * so a new runtime's flags appear everywhere by being declared once.
 */
import type { z } from "zod";

/** Where an option means something. Absent fields: everywhere. */
export interface OptionScope {
  /** Model families (transformer, vision, ...). */
  families?: readonly string[];
  modes?: readonly ("infer" | "train")[];
  /** Runtime profile ids (inference only). */
  runtimes?: readonly string[];
}

/** The configuration a front end shows options for. */
export interface OptionContext {
  family: string;
  mode: string;
  /** The runtime profile in use ("" when left to the library). */
  runtime: string;
  /** The values set so far (some fields hide depending on others: quant under QLoRA). */
  values: Record<string, unknown>;
}

/** How the CLI reads the flag's text. */
export type OptionArg = "int" | "tokens" | "number" | "onoff" | "layers" | "string" | "flag";

export interface OptionCli {
  /** Commander flags, e.g. "-c, --ctx-size <tokens>"; default `--<key-with-dashes> <value>` (or no value for "flag"). */
  flags?: string;
  arg: OptionArg;
  /** A flag whose presence sets the option to false (--keep-grads sets zero_grad_set_to_none false). */
  invert?: boolean;
}

export interface OptionWeb {
  label: string;
  kind: "select" | "int" | "bool" | "text";
  choices?: readonly string[];
  min?: number;
  max?: number;
  /** The value the library uses when the option is absent (shown selected). */
  def?: string | number | boolean;
  /** Placeholder / empty choice label: the library decides. */
  auto?: string;
  pattern?: RegExp;
  example?: string;
  /** Text sent to the library as a number. */
  numeric?: boolean;
  /** A select shown as on/off but sent as a boolean. */
  boolean?: boolean;
  /** Hides the field beyond its scope (quant under QLoRA, llama.cpp's own cache types instead of kv_dtype). */
  visible?: (c: OptionContext) => boolean;
}

export interface OptionSpec {
  /** snake_case: the library option, the JSON key, the URL key. */
  key: string;
  /** Validation and default of the value (absent: the owning engine validates it itself). */
  schema?: z.ZodType;
  /** One line for --help and the web's tooltip. */
  help: string;
  /** --help group and web section ("Workload", "Training", "llama.cpp / Ollama", ...). */
  group: string;
  /** How the CLI takes it; false: library only. */
  cli?: OptionCli | false;
  /** How the web page shows it; absent: not on the page. */
  web?: OptionWeb;
  scope?: OptionScope;
  /** This option is another spelling of `aliasOf` (llama.cpp --ctx-size is --seq). Values in `unset` mean "not given" (vLLM's auto). */
  aliasOf?: string;
  unset?: readonly unknown[];
}

export function inScope(scope: OptionScope | undefined, c: Pick<OptionContext, "family" | "mode" | "runtime">): boolean {
  if (!scope) return true;
  if (scope.families && !scope.families.includes(c.family)) return false;
  if (scope.modes && !scope.modes.includes(c.mode as "infer" | "train")) return false;
  if (scope.runtimes && (c.mode === "train" || (c.runtime !== "" && !scope.runtimes.includes(c.runtime)))) return false;
  return true;
}

/** Options declared by several owners (precision for LLM training and for vision) merge into one entry per key. */
export interface MergedOption extends OptionSpec {
  /** Each declaration with its scope: the web picks the variant of the current context. */
  variants: readonly OptionSpec[];
}

export function mergeOptions(specs: readonly OptionSpec[]): MergedOption[] {
  const byKey = new Map<string, OptionSpec[]>();
  for (const s of specs) {
    const list = byKey.get(s.key);
    if (list) list.push(s);
    else byKey.set(s.key, [s]);
  }
  return [...byKey.values()].map((variants) => {
    const first = variants[0];
    if (variants.length === 1) return { ...first, variants };
    const help = [...new Set(variants.map((v) => v.help))].join("; ");
    const choices = [...new Set(variants.flatMap((v) => v.web?.choices ?? []))];
    const scopes = variants.map((v) => v.scope);
    return {
      ...first,
      help,
      variants,
      scope: scopes.some((s) => !s) ? undefined : { families: union(scopes.map((s) => s!.families)), modes: union(scopes.map((s) => s!.modes)), runtimes: union(scopes.map((s) => s!.runtimes)) },
      web: first.web ? { ...first.web, choices: choices.length ? choices : first.web.choices } : variants.find((v) => v.web)?.web,
    } as MergedOption;
  });
}

function union<T>(lists: (readonly T[] | undefined)[]): readonly T[] | undefined {
  if (lists.some((l) => !l)) return undefined;
  return [...new Set(lists.flatMap((l) => l!))];
}

/** The variant of a merged option that applies in a context (or undefined: the field is hidden). */
export function variantFor(o: MergedOption, c: OptionContext): OptionSpec | undefined {
  return o.variants.find((v) => inScope(v.scope, c) && (v.web?.visible?.(c) ?? true));
}

/** `--ctx-size` from `ctx_size`. */
export function defaultFlag(key: string, arg: OptionArg): string {
  const name = `--${key.replace(/_/g, "-")}`;
  return arg === "flag" ? name : `${name} <${arg === "tokens" ? "tokens" : arg === "onoff" ? "on|off" : "value"}>`;
}
