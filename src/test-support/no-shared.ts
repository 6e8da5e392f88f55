/**
 * Vitest setup: a test that touches ../shared (the reference material beside the repository) throws.
 * ../shared is not part of the project, and `npm test` must pass in a fresh clone with nothing beside it
 * (issue #15): this makes every run — CI's included — prove it, rather than trusting a grep.
 */
import fs from "node:fs";
import fsp from "node:fs/promises";
import { syncBuiltinESMExports } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { REPO_ROOT } from "./paths.js";

export const SHARED_DIR = path.resolve(REPO_ROOT, "..", "shared");

function check(p: unknown): void {
  let s: string | undefined;
  if (typeof p === "string") s = p;
  else if (p instanceof URL && p.protocol === "file:") s = fileURLToPath(p);
  else if (Buffer.isBuffer(p)) s = p.toString();
  if (s === undefined) return;
  const abs = path.resolve(s);
  if (abs === SHARED_DIR || abs.startsWith(SHARED_DIR + path.sep)) {
    throw new Error(`a test read ${abs}: ../shared is not part of the repository (copy what the test needs into fixtures/, with its source)`);
  }
}

type AnyFn = (...args: unknown[]) => unknown;
function guard(target: Record<string, unknown>, names: readonly string[], promises = false): void {
  for (const name of names) {
    const original = target[name];
    if (typeof original !== "function" || (original as { __noShared?: boolean }).__noShared) continue;
    const wrapped = function (this: unknown, ...args: unknown[]) {
      try {
        check(args[0]);
      } catch (e) {
        if (promises) return Promise.reject(e);
        throw e;
      }
      return (original as AnyFn).apply(this, args);
    };
    Object.assign(wrapped, original); // keeps properties such as fs.realpathSync.native
    Object.defineProperty(wrapped, "__noShared", { value: true });
    target[name] = wrapped;
  }
}

const READS = ["readFileSync", "existsSync", "statSync", "lstatSync", "readdirSync", "openSync", "accessSync", "createReadStream", "readFile", "stat", "lstat", "readdir", "open", "access", "opendir", "opendirSync"];
guard(fs as unknown as Record<string, unknown>, READS);
guard(fsp as unknown as Record<string, unknown>, ["readFile", "stat", "lstat", "readdir", "open", "access", "opendir"], true);
syncBuiltinESMExports();
