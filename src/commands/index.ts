/**
 * Paste a serving command, get it back typed: which engine, which model, every flag under its canonical
 * name. Accepts an argv array or one shell string (quotes, `\` continuations, `KEY=val` prefixes,
 * `export`, `docker run <image> ...`, `python -m ...`, wrappers like sudo/nohup/uv run), or a Modelfile.
 */
import { parseLlamaCpp, llamaProgram } from "./llamacpp.js";
import { parseOllama, parseOllamaModelfile } from "./ollama.js";
import { parseSglang, SGLANG_MODULES } from "./sglang.js";
import { splitShell } from "./shell.js";
import { clip, invalidOption, type EngineCommand } from "./types.js";
import { parseVllm, vllmProgram, VLLM_MODULES } from "./vllm.js";

export type { EngineCommand, Engine, FlagSpec, FlagValue } from "./types.js";
export { LLAMACPP_FLAGS } from "./llamacpp.js";
export { VLLM_FLAGS } from "./vllm.js";
export { SGLANG_FLAGS } from "./sglang.js";
export { OLLAMA_ENV_FLAGS, OLLAMA_PARAM_FLAGS, OLLAMA_CLI_FLAGS, parseOllamaModelfile } from "./ollama.js";
export { splitShell } from "./shell.js";

const ASSIGN = /^[A-Za-z_][A-Za-z0-9_]*=/;

/**
 * Parse one engine command. `input` is argv (["vllm", "serve", "Qwen/Qwen2.5-7B", "-tp", "2"]) or a shell
 * string; `env` is the environment it runs in (OLLAMA_*, LLAMA_ARG_*, CUDA_VISIBLE_DEVICES, ...). Variables
 * set in the command itself (`KEY=val cmd`, `export KEY=val; cmd`, `docker run -e KEY=val`) win over `env`.
 * Throws a one-line VramfitError (code invalid_option) for malformed input and invalid values.
 */
export function parseEngineCommand(input: string | readonly string[], env: Record<string, string> = {}): EngineCommand {
  const baseEnv = sanitizeEnv(env);
  if (typeof input === "string") {
    if (looksLikeModelfile(input)) return parseOllamaModelfile(input, baseEnv);
    const parsed = splitShell(input, baseEnv);
    if (parsed.commands.length === 0) throw invalidOption("the command is empty");
    let firstError: unknown;
    for (const c of parsed.commands) {
      const e = { ...baseEnv, ...parsed.exported, ...c.assignments };
      let cmd: EngineCommand | undefined;
      try {
        cmd = dispatch(c.argv, e);
      } catch (err) {
        firstError ??= err;
        continue;
      }
      if (cmd) {
        if (parsed.joinedLines.length > 0) {
          cmd.warnings.push(`line${parsed.joinedLines.length > 1 ? "s" : ""} ${parsed.joinedLines.join(", ")} read as part of the command although the line before does not end with \\`);
        }
        return cmd;
      }
    }
    if (firstError) throw firstError;
    throw invalidOption(`no vLLM, SGLang, llama.cpp or Ollama command found (first program: ${clip(parsed.commands[0].argv[0] ?? "")})`, "paste e.g. `vllm serve <model> ...`, `llama-server -m model.gguf ...`, `ollama run <model>` or `python -m sglang.launch_server --model-path ...`");
  }
  if (!Array.isArray(input) || input.some((w) => typeof w !== "string")) throw invalidOption("argv must be an array of strings");
  if (input.length > 20_000) throw invalidOption(`argv has ${input.length} words; at most 20000 are read`);
  const argv = [...input];
  const e = { ...baseEnv };
  while (argv.length > 0 && ASSIGN.test(argv[0])) {
    const w = argv.shift()!;
    e[w.slice(0, w.indexOf("="))] = w.slice(w.indexOf("=") + 1);
  }
  if (argv.length === 0) throw invalidOption("the command is empty");
  const cmd = dispatch(argv, e);
  if (!cmd) throw invalidOption(`not a vLLM, SGLang, llama.cpp or Ollama command: ${clip(argv[0])}`, "paste e.g. `vllm serve <model> ...` or `llama-server -m model.gguf ...`");
  return cmd;
}

function sanitizeEnv(env: Record<string, string>): Record<string, string> {
  if (env === null || typeof env !== "object") throw invalidOption("env must be an object of strings");
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (typeof v === "string") out[k] = v;
  return out;
}

function looksLikeModelfile(s: string): boolean {
  const first = s.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== "" && !l.startsWith("#"));
  return first !== undefined && (/^FROM\s+\S/i.test(first) || /^\/set\s+parameter\s/i.test(first)) && !/^from\s+\S+\s+import\b/.test(first);
}

const PYTHON = /^(python|python3|python3\.\d+|py|pypy3?)(\.exe)?$/i;

/** Unwrap launchers and pick the engine; undefined when the words are not an engine command. */
function dispatch(argvIn: readonly string[], envIn: Record<string, string>): EngineCommand | undefined {
  let argv = [...argvIn];
  const env = { ...envIn };
  for (let guard = 0; guard < 16 && argv.length > 0; guard++) {
    const base = basename(argv[0]);
    if (base === "env") {
      argv = argv.slice(1);
      while (argv.length > 0 && (argv[0].startsWith("-") || ASSIGN.test(argv[0]))) {
        const w = argv.shift()!;
        if (w === "-u" || w === "--unset") argv.shift();
        else if (ASSIGN.test(w)) env[w.slice(0, w.indexOf("="))] = w.slice(w.indexOf("=") + 1);
      }
      continue;
    }
    if (["sudo", "nohup", "exec", "time", "command", "nice", "setsid", "stdbuf", "numactl", "taskset", "ionice", "chrt", "caffeinate"].includes(base)) {
      argv = skipWrapperOptions(base, argv.slice(1));
      while (argv.length > 0 && ASSIGN.test(argv[0])) {
        const w = argv.shift()!;
        env[w.slice(0, w.indexOf("="))] = w.slice(w.indexOf("=") + 1);
      }
      continue;
    }
    if ((base === "uv" || base === "poetry" || base === "pipenv" || base === "pixi" || base === "hatch") && argv[1] === "run") {
      argv = skipWrapperOptions("uv", argv.slice(2));
      continue;
    }
    if (base === "uvx" || base === "pipx" && argv[1] === "run") {
      argv = skipWrapperOptions("uv", argv.slice(base === "uvx" ? 1 : 2));
      continue;
    }
    if ((base === "conda" || base === "mamba" || base === "micromamba") && argv[1] === "run") {
      argv = skipWrapperOptions("conda", argv.slice(2));
      continue;
    }
    if ((base === "docker" || base === "podman" || base === "nerdctl") && argv[1] === "run") {
      return dispatchDocker(argv.slice(2), env);
    }
    break;
  }
  if (argv.length === 0) return undefined;
  const base = basename(argv[0]);

  if (PYTHON.test(base)) {
    let i = 1;
    while (i < argv.length && argv[i].startsWith("-") && argv[i] !== "-m") {
      if (argv[i] === "-X" || argv[i] === "-W") i++;
      i++;
    }
    if (argv[i] !== "-m") return undefined;
    const mod = argv[i + 1];
    const rest = argv.slice(i + 2);
    if (mod === undefined) throw invalidOption("python -m needs a module");
    if (VLLM_MODULES.includes(mod)) return parseVllm("python -m vllm.entrypoints.openai.api_server", rest, env);
    if (mod === "vllm.entrypoints.cli.main" && rest[0] === "serve") return parseVllm("vllm serve", rest.slice(1), env);
    if (SGLANG_MODULES.includes(mod)) return parseSglang(`python -m ${mod}`, rest, env);
    if (mod.startsWith("vllm") || mod.startsWith("sglang")) throw invalidOption(`python -m ${clip(mod)} is not a server entry point vramfit reads`, "use python -m vllm.entrypoints.openai.api_server or python -m sglang.launch_server");
    return undefined;
  }
  const v = vllmProgram(argv);
  if (v) return parseVllm(v.program, argv.slice(v.rest), env);
  if (base === "sglang") {
    if (argv[1] === "serve") return parseSglang("sglang serve", argv.slice(2), env);
    throw invalidOption(`'sglang ${clip(argv[1] ?? "")}' does not start a server; only 'sglang serve' is read`);
  }
  if (llamaProgram(argv[0])) return parseLlamaCpp(argv, env);
  if (base === "ollama") return parseOllama(argv, env);
  return undefined;
}

function basename(word: string): string {
  return word.replace(/\\/g, "/").split("/").pop()!.replace(/\.exe$/i, "");
}

/** Options of launchers that take a value (so the value is not mistaken for the program). */
const WRAPPER_VALUE_OPTIONS: Record<string, string[]> = {
  sudo: ["-u", "-g", "-p", "-C", "-h", "-r", "-t", "-U", "-D"],
  nice: ["-n"],
  ionice: ["-c", "-n", "-p"],
  chrt: ["-p"],
  taskset: ["-c", "-p"],
  numactl: ["-N", "-m", "-C", "-p", "-i", "--cpunodebind", "--membind", "--physcpubind", "--preferred", "--interleave"],
  stdbuf: ["-i", "-o", "-e"],
  uv: ["--with", "--python", "-p", "--directory", "--project", "--package", "--group", "--extra", "--env-file", "--index", "--from"],
  conda: ["-n", "--name", "-p", "--prefix", "--cwd"],
  time: ["-f", "-o"],
};

function skipWrapperOptions(wrapper: string, argv: string[]): string[] {
  const valued = WRAPPER_VALUE_OPTIONS[wrapper] ?? [];
  let i = 0;
  while (i < argv.length && argv[i].startsWith("-")) {
    if (argv[i] === "--") {
      i++;
      break;
    }
    if (valued.includes(argv[i])) i++;
    i++;
  }
  if (wrapper === "taskset" && /^(0x)?[0-9a-fA-F,-]+$/.test(argv[i] ?? "") && argv.length > i + 1) i++;
  if (wrapper === "chrt" && /^\d+$/.test(argv[i] ?? "")) i++;
  return argv.slice(i);
}

/** `docker run` options that take a value. */
const DOCKER_VALUE_OPTIONS = new Set([
  "-e", "--env", "--env-file", "-v", "--volume", "-p", "--publish", "--name", "--gpus", "--ipc", "--shm-size", "--runtime", "-w", "--workdir",
  "--entrypoint", "--network", "--net", "--device", "-u", "--user", "--restart", "--ulimit", "--mount", "--platform", "--cpus", "-m", "--memory",
  "-h", "--hostname", "-l", "--label", "--cap-add", "--cap-drop", "--security-opt", "--log-driver", "--log-opt", "--pull", "--add-host", "--group-add",
  "--cidfile", "--tmpfs", "--expose", "--memory-swap", "--cpuset-cpus", "--pid", "--uts", "--stop-signal", "--health-cmd", "--label-file", "--dns",
]);

function dispatchDocker(argv: string[], env: Record<string, string>): EngineCommand | undefined {
  let i = 0;
  const notes: string[] = [];
  let entrypoint: string | undefined;
  while (i < argv.length && argv[i].startsWith("-")) {
    const w = argv[i];
    const eq = w.indexOf("=");
    const name = w.startsWith("--") && eq > 0 ? w.slice(0, eq) : w;
    let value: string | undefined = w.startsWith("--") && eq > 0 ? w.slice(eq + 1) : undefined;
    if (value === undefined && DOCKER_VALUE_OPTIONS.has(name)) {
      value = argv[i + 1];
      i++;
    }
    if ((name === "-e" || name === "--env") && value !== undefined) {
      const k = value.indexOf("=");
      if (k > 0) env[value.slice(0, k)] = value.slice(k + 1);
    }
    if (name === "--env-file") notes.push(`docker --env-file ${clip(value ?? "")} is not read`);
    if (name === "--entrypoint") entrypoint = value;
    i++;
  }
  const image = argv[i];
  if (image === undefined) throw invalidOption("docker run needs an image");
  const rest = argv.slice(i + 1);
  const imageName = image.toLowerCase();
  let cmd: EngineCommand | undefined;
  if (entrypoint !== undefined) cmd = dispatch([entrypoint, ...rest], env);
  else if (/vllm\/vllm-openai|vllm-openai/.test(imageName)) cmd = rest[0] === "vllm" || PYTHON.test(basename(rest[0] ?? "")) ? dispatch(rest, env) : parseVllm("vllm serve", rest, env);
  else if (/llama\.cpp:(server|full-cuda|server-\w+)|llama-cpp-server|llama\.cpp:server/.test(imageName) || /ggml-org\/llama\.cpp:server/.test(imageName)) cmd = parseLlamaCpp(["llama-server", ...rest], env);
  else if (/llama\.cpp:(light|cli)/.test(imageName)) cmd = parseLlamaCpp(["llama-cli", ...rest], env);
  else if (/llama\.cpp:full/.test(imageName) && rest[0] === "--server") cmd = parseLlamaCpp(["llama-server", ...rest.slice(1)], env);
  else if (/llama\.cpp:full/.test(imageName) && rest[0] === "--run") cmd = parseLlamaCpp(["llama-cli", ...rest.slice(1)], env);
  else if (/^(docker\.io\/)?ollama\/ollama/.test(imageName)) cmd = rest.length > 0 ? dispatch(["ollama", ...rest], env) : parseOllama(["ollama", "serve"], env);
  else if (rest.length > 0) cmd = dispatch(rest, env);
  if (cmd) cmd.warnings.push(...notes);
  return cmd;
}
