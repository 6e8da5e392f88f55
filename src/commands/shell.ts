/**
 * A small POSIX-shell-like splitter for pasted command lines: enough of `sh` to turn what people copy from
 * READMEs, issues and launch scripts into argv arrays, without running anything.
 *
 * Handled: whitespace splitting; '...' (literal) and "..." (with \" \\ \$ \` escapes); backslash escapes;
 * line continuations (backslash, PowerShell backtick or cmd caret before a newline); `# comments`;
 * `;` `&&` `||` `|` `&` and newlines between commands; `KEY=val cmd` prefixes; `export KEY=val`;
 * `$VAR` / `${VAR}` / `${VAR:-default}` from the given environment (unknown variables stay as typed).
 * Not handled (kept literally): command substitution, globs, arrays, here-documents.
 */
import { invalidOption } from "./types.js";

/** Longest input we read: a launch script is a few kB; anything much larger is not a command line. */
export const MAX_INPUT_CHARS = 200_000;
/** Most words in one input. */
export const MAX_WORDS = 20_000;

export interface ShellCommand {
  /** `KEY=val` words before the program (they apply to this command only, as in sh). */
  assignments: Record<string, string>;
  argv: string[];
  /** 1-based line where the command starts (for messages). */
  line: number;
}

export interface ShellParse {
  commands: ShellCommand[];
  /** Variables set by `export KEY=val` (or bare `KEY=val` statements), in order of appearance. */
  exported: Record<string, string>;
  /** Lines read as continuing the previous command although no backslash ended the line before. */
  joinedLines: number[];
}

interface Word {
  text: string;
  /** The first character was not quoted (only then can the word be a redirection). */
  bare: boolean;
  /** Index of the first unquoted '=' when everything before it is an unquoted identifier, else -1. */
  assign: number;
}

type Token = { kind: "word"; word: Word; line: number } | { kind: "sep"; line: number };

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function splitShell(input: string, env: Record<string, string> = {}): ShellParse {
  if (typeof input !== "string") throw invalidOption("the command must be a string");
  if (input.length > MAX_INPUT_CHARS) {
    throw invalidOption(`the command is ${input.length} characters long; at most ${MAX_INPUT_CHARS} are read`);
  }
  const vars: Record<string, string> = { ...env };
  const commands: ShellCommand[] = [];
  const exported: Record<string, string> = {};
  const joinedLines: number[] = [];

  let current: Token[] = [];
  const flush = () => {
    if (current.length === 0) return;
    const words = dropRedirections(current.filter((t): t is Extract<Token, { kind: "word" }> => t.kind === "word"));
    current = [];
    if (words.length === 0) return;
    const line = words[0].line;
    const assignments: Record<string, string> = {};
    let i = 0;
    while (i < words.length && words[i].word.assign > 0) {
      const w = words[i].word;
      assignments[w.text.slice(0, w.assign)] = w.text.slice(w.assign + 1);
      i++;
    }
    const argv = words.slice(i).map((w) => w.word.text);
    if (argv.length === 0) {
      // `KEY=val` on its own: a shell variable; people mean it for the command that follows.
      Object.assign(exported, assignments);
      Object.assign(vars, assignments);
      return;
    }
    if (argv[0] === "export" || argv[0] === "declare" || argv[0] === "typeset" || argv[0] === "set" && argv.length > 1 && IDENT.test(argv[1].split("=")[0])) {
      for (const w of words.slice(i + 1)) {
        if (w.word.text.startsWith("-")) continue;
        if (w.word.assign > 0) {
          const k = w.word.text.slice(0, w.word.assign);
          exported[k] = w.word.text.slice(w.word.assign + 1);
          vars[k] = exported[k];
        }
      }
      return;
    }
    // A line that starts with an option continues the command before it: READMEs often lose the backslashes.
    const prev = commands[commands.length - 1];
    if (argv[0].startsWith("-") && Object.keys(assignments).length === 0 && prev) {
      prev.argv.push(...argv);
      joinedLines.push(line);
      return;
    }
    commands.push({ assignments, argv, line });
  };

  tokenize(input, vars, (t) => {
    if (t.kind === "sep") flush();
    else current.push(t);
  });
  flush();
  return { commands, exported, joinedLines };
}

/** Calls `emit` for each word and separator, in order, so a statement's assignments can expand later words. */
function tokenize(input: string, vars: Record<string, string>, emit: (t: Token) => void): void {
  const out = { push: emit };
  let line = 1;
  let text = "";
  let quotedMask: boolean[] = [];
  let started = false;
  let wordLine = 1;
  let words = 0;

  const push = (ch: string, quoted: boolean) => {
    if (!started) {
      started = true;
      wordLine = line;
    }
    text += ch;
    quotedMask.push(quoted);
  };
  const endWord = () => {
    if (started) {
      if (++words > MAX_WORDS) throw invalidOption(`the command has more than ${MAX_WORDS} words`);
      out.push({ kind: "word", word: { text, bare: quotedMask.length > 0 && !quotedMask[0], assign: assignIndex(text, quotedMask) }, line: wordLine });
    }
    text = "";
    quotedMask = [];
    started = false;
  };
  const sep = () => {
    endWord();
    out.push({ kind: "sep", line });
  };

  const expand = (i: number, quotedCtx: boolean): { value: string; next: number } | undefined => {
    // input[i] === "$"
    const rest = input.slice(i + 1, i + 1 + 300);
    let m = /^\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/.exec(rest);
    if (m) {
      const v = vars[m[1]];
      if (v !== undefined && v !== "") return { value: v, next: i + 1 + m[0].length };
      if (m[2] !== undefined) return { value: m[2], next: i + 1 + m[0].length };
      return undefined;
    }
    m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (m && vars[m[0]] !== undefined) return { value: vars[m[0]], next: i + 1 + m[0].length };
    void quotedCtx;
    return undefined;
  };

  let i = 0;
  const n = input.length;
  while (i < n) {
    const c = input[i];
    // continuation: \<newline>, `<newline> (PowerShell), ^<newline> (cmd.exe), tolerating \r and trailing blanks
    if (c === "\\" || c === "`" || c === "^") {
      const m = /^[ \t]*\r?\n/.exec(input.slice(i + 1, i + 1 + 64));
      if (m) {
        i += 1 + m[0].length;
        line++;
        continue;
      }
    }
    if (c === "\\") {
      if (i + 1 < n) {
        push(input[i + 1], true);
        i += 2;
      } else {
        i++;
      }
      continue;
    }
    if (c === "'") {
      const end = input.indexOf("'", i + 1);
      if (end < 0) throw invalidOption(`unbalanced ' quote (opened on line ${line}, column ${column(input, i)})`);
      if (!started) {
        started = true;
        wordLine = line;
      }
      const body = input.slice(i + 1, end);
      for (const ch of body) push(ch, true);
      line += countNewlines(body);
      i = end + 1;
      continue;
    }
    if (c === '"') {
      if (!started) {
        started = true;
        wordLine = line;
      }
      const openLine = line;
      const openCol = column(input, i);
      let j = i + 1;
      let closed = false;
      while (j < n) {
        const d = input[j];
        if (d === '"') {
          closed = true;
          break;
        }
        if (d === "\\" && j + 1 < n && '"\\$`\n'.includes(input[j + 1])) {
          if (input[j + 1] === "\n") line++;
          else push(input[j + 1], true);
          j += 2;
          continue;
        }
        if (d === "$") {
          const e = expand(j, true);
          if (e) {
            for (const ch of e.value) push(ch, true);
            j = e.next;
            continue;
          }
        }
        if (d === "\n") line++;
        push(d, true);
        j++;
      }
      if (!closed) throw invalidOption(`unbalanced " quote (opened on line ${openLine}, column ${openCol})`);
      i = j + 1;
      continue;
    }
    if (c === "$") {
      const e = expand(i, false);
      if (e) {
        // unquoted expansion splits on whitespace, as sh does
        const parts = e.value.split(/[ \t\n]+/);
        parts.forEach((p, k) => {
          if (k > 0) endWord();
          for (const ch of p) push(ch, false);
        });
        i = e.next;
        continue;
      }
      push(c, false);
      i++;
      continue;
    }
    if (c === "#" && !started) {
      const end = input.indexOf("\n", i);
      i = end < 0 ? n : end;
      continue;
    }
    if (c === "\n") {
      sep();
      line++;
      i++;
      continue;
    }
    if (c === " " || c === "\t" || c === "\r") {
      endWord();
      i++;
      continue;
    }
    if (c === ";" || c === "|" || c === "&") {
      // `2>&1` and `&>` are redirections, not separators
      if (c === "&" && (input[i - 1] === ">" || input[i + 1] === ">")) {
        push(c, false);
        i++;
        continue;
      }
      sep();
      i += input[i + 1] === c ? 2 : 1;
      continue;
    }
    push(c, false);
    i++;
  }
  endWord();
}

/**
 * Drop `> log`, `2>&1`, `>>file`, `< input`: they are the shell's, not the program's. A whole word like
 * `<model.gguf>` is a documentation placeholder and is kept.
 */
function dropRedirections<T extends { word: Word }>(words: T[]): T[] {
  const out: T[] = [];
  for (let i = 0; i < words.length; i++) {
    const t = words[i].word.text;
    if (!words[i].word.bare || /^<[^<>]+>$/.test(t)) {
      out.push(words[i]);
      continue;
    }
    if (/^(\d*|&)(>>?|<)$/.test(t)) {
      i++; // the operator alone: the next word is its target
      continue;
    }
    if (/^(\d*|&)(>>?|<)/.test(t)) continue; // operator and target in one word (2>&1, >log)
    out.push(words[i]);
  }
  return out;
}

/** `KEY=value`: the first '=' unquoted and everything before it an unquoted identifier. */
function assignIndex(text: string, quoted: boolean[]): number {
  const k = text.indexOf("=");
  if (k <= 0 || quoted[k]) return -1;
  for (let j = 0; j < k; j++) if (quoted[j]) return -1;
  return IDENT.test(text.slice(0, k)) ? k : -1;
}

function countNewlines(s: string): number {
  let k = 0;
  for (const ch of s) if (ch === "\n") k++;
  return k;
}

function column(input: string, i: number): number {
  const nl = input.lastIndexOf("\n", i - 1);
  return i - nl;
}
