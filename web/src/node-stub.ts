/**
 * Browser stand-in for the Node built-ins that reader modules import (node:fs/promises, node:path).
 * The page never takes those code paths: dropped files are read with File.slice (web/src/files.ts).
 */
function unavailable(name: string): never {
  throw new Error(`${name} is not available in the browser; drop the file on the page instead`);
}
export const open = () => unavailable("open");
export const readFile = () => unavailable("readFile");
export const readdir = () => unavailable("readdir");
export const stat = () => unavailable("stat");
export const mkdir = () => unavailable("mkdir");
export const writeFile = () => unavailable("writeFile");
export const rename = () => unavailable("rename");
export const rm = () => unavailable("rm");
export const homedir = () => "/";
export const tmpdir = () => "/tmp";
export const createHash = () => unavailable("createHash");
export const sep = "/";
export const basename = (p: string) => p.split("/").pop() ?? p;
export const dirname = (p: string) => p.split("/").slice(0, -1).join("/") || ".";
export const join = (...parts: string[]) => parts.join("/").replace(/\/+/g, "/");
export const resolve = join;
export const extname = (p: string) => /\.[^./]*$/.exec(p)?.[0] ?? "";
export default { open, readFile, readdir, stat, mkdir, writeFile, rename, rm, homedir, tmpdir, createHash, sep, basename, dirname, join, resolve, extname };
