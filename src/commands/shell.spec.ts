import { describe, expect, it } from "vitest";
import { VramfitError } from "../core/errors.js";
import { splitShell } from "./shell.js";

const argv = (s: string, env?: Record<string, string>) => splitShell(s, env).commands.map((c) => c.argv);

describe("splitShell", () => {
  it("splits on blanks and keeps quoted words whole", () => {
    expect(argv(`llama-server -ot "exps=CPU" --alias 'my model'`)).toEqual([["llama-server", "-ot", "exps=CPU", "--alias", "my model"]]);
  });

  it("joins backslash, backtick and caret line continuations (also with CRLF and trailing blanks)", () => {
    expect(argv("vllm serve m \\\n  --max-model-len 8192")).toEqual([["vllm", "serve", "m", "--max-model-len", "8192"]]);
    expect(argv("vllm serve m \\  \r\n  -tp 2")).toEqual([["vllm", "serve", "m", "-tp", "2"]]);
    expect(argv("vllm serve m `\n -tp 2")).toEqual([["vllm", "serve", "m", "-tp", "2"]]);
    expect(argv("llama-server.exe -m x.gguf ^\n -c 4096")).toEqual([["llama-server.exe", "-m", "x.gguf", "-c", "4096"]]);
  });

  it("reads KEY=val prefixes as the command's environment", () => {
    const p = splitShell("CUDA_VISIBLE_DEVICES=0,1 OLLAMA_NUM_PARALLEL=4 ollama serve");
    expect(p.commands[0].assignments).toEqual({ CUDA_VISIBLE_DEVICES: "0,1", OLLAMA_NUM_PARALLEL: "4" });
    expect(p.commands[0].argv).toEqual(["ollama", "serve"]);
  });

  it("keeps quoted values of assignments and does not take --flag=value for one", () => {
    const p = splitShell(`FOO="a b" cmd --x=1 'BAR=2'`);
    expect(p.commands[0].assignments).toEqual({ FOO: "a b" });
    expect(p.commands[0].argv).toEqual(["cmd", "--x=1", "BAR=2"]);
  });

  it("collects export statements and splits commands on ; && || | & and newlines", () => {
    const p = splitShell("export OLLAMA_KV_CACHE_TYPE=q8_0 && ollama serve & ollama run llama3.2 | tee log; echo done");
    expect(p.exported).toEqual({ OLLAMA_KV_CACHE_TYPE: "q8_0" });
    expect(p.commands.map((c) => c.argv[0])).toEqual(["ollama", "ollama", "tee", "echo"]);
  });

  it("expands $VAR and ${VAR:-default} from the environment, keeps unknown ones as typed", () => {
    expect(argv("vllm serve $MODEL --port ${PORT:-8000} --x $NOPE", { MODEL: "Qwen/Qwen2.5-7B" })).toEqual([
      ["vllm", "serve", "Qwen/Qwen2.5-7B", "--port", "8000", "--x", "$NOPE"],
    ]);
    expect(argv("M=a/b; vllm serve \"$M\"")).toEqual([["vllm", "serve", "a/b"]]);
    expect(argv("vllm serve '$M'", { M: "x" })).toEqual([["vllm", "serve", "$M"]]);
  });

  it("drops comments and redirections but keeps <placeholders>", () => {
    expect(argv("# start\nllama-server -m <model.gguf> -c 4096 > server.log 2>&1 # comment")).toEqual([["llama-server", "-m", "<model.gguf>", "-c", "4096"]]);
  });

  it("reads a line that starts with an option as a continuation and says so", () => {
    const p = splitShell("vllm serve m\n  --max-model-len 4096\n  -tp 2");
    expect(p.commands.map((c) => c.argv)).toEqual([["vllm", "serve", "m", "--max-model-len", "4096", "-tp", "2"]]);
    expect(p.joinedLines).toEqual([2, 3]);
  });

  it("handles escapes inside double quotes", () => {
    expect(argv(`cmd "a \\"b\\" \\$c \\\\ d"`)).toEqual([["cmd", 'a "b" $c \\ d']]);
  });

  it("refuses unbalanced quotes with a one-line VramfitError naming the position", () => {
    for (const s of [`vllm serve "Qwen`, `llama-server -ot 'exps=CPU`, `a "b\nc`]) {
      let err: unknown;
      try {
        splitShell(s);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(VramfitError);
      expect((err as VramfitError).code).toBe("invalid_option");
      expect((err as VramfitError).message).toMatch(/unbalanced . quote \(opened on line \d+, column \d+\)/);
      expect((err as VramfitError).message).not.toContain("\n");
    }
  });

  it("refuses huge inputs and too many words", () => {
    expect(() => splitShell("a".repeat(300_000))).toThrow(VramfitError);
    expect(() => splitShell("a ".repeat(30_000))).toThrow(/more than 20000 words/);
  });
});
