/**
 * The shape of the code, checked: no runtime import cycles, a core that names no reader, catalog,
 * runtime or front end, and comments whose cited notes exist in the repository.
 */
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name === "node_modules" || e.name === "dist" || e.name === "fixtures") continue;
      out.push(...sourceFiles(rel));
    } else if (/\.(ts|tsx)$/.test(e.name) && !/\.(spec|test)\.tsx?$/.test(e.name) && !e.name.endsWith(".d.ts")) out.push(rel);
  }
  return out;
}

/** Runtime imports of a module (type-only imports and `import type` are erased by the compiler). */
export function runtimeImports(file: string): string[] {
  const text = fs.readFileSync(path.join(root, file), "utf8");
  const out: string[] = [];
  const re = /^\s*(import|export)\s+(type\s+)?([^'";]*?\s+from\s+)?["']([^"']+)["']/gm;
  for (const m of text.matchAll(re)) {
    if (m[2]) continue; // import type / export type
    const spec = m[4];
    if (!spec.startsWith(".")) continue;
    // `import { type A, type B } from` is erased too.
    const names = m[3] ?? "";
    const inner = /\{([^}]*)\}/.exec(names)?.[1];
    if (inner && !/^\s*\*/.test(names) && inner.split(",").every((n) => !n.trim() || n.trim().startsWith("type "))) continue;
    let target = path.normalize(path.join(path.dirname(file), spec)).replace(/\.js$/, ".ts");
    if (!fs.existsSync(path.join(root, target))) {
      if (fs.existsSync(path.join(root, target.replace(/\.ts$/, ".tsx")))) target = target.replace(/\.ts$/, ".tsx");
      else if (!target.endsWith(".json")) continue;
    }
    out.push(target);
  }
  return out;
}

describe("architecture", () => {
  const files = [...sourceFiles("src"), ...sourceFiles("web/src")];

  it("has no runtime import cycles", () => {
    const graph = new Map(files.map((f) => [f, runtimeImports(f).filter((t) => t.endsWith(".ts") || t.endsWith(".tsx"))]));
    const state = new Map<string, "open" | "done">();
    const cycles: string[] = [];
    const visit = (f: string, stack: string[]) => {
      if (state.get(f) === "done") return;
      if (state.get(f) === "open") {
        cycles.push([...stack.slice(stack.indexOf(f)), f].join(" → "));
        return;
      }
      state.set(f, "open");
      for (const t of graph.get(f) ?? []) visit(t, [...stack, f]);
      state.set(f, "done");
    };
    for (const f of files) visit(f, []);
    expect(cycles).toEqual([]);
  });

  it("keeps the core pure: it imports only itself and the ggml facts at run time (types may name a family's model)", () => {
    const outside = files
      .filter((f) => f.startsWith("src/core/"))
      .flatMap((f) => runtimeImports(f).filter((t) => !t.startsWith("src/core/") && !t.startsWith("src/ggml/")).map((t) => `${f} → ${t}`));
    expect(outside).toEqual([]);
  });

  it("wires profiles in one list, with no registries", () => {
    const registries = files.filter((f) => /\bregister[A-Z]\w*\(/.test(fs.readFileSync(path.join(root, f), "utf8")));
    expect(registries).toEqual([]);
  });

  it("cites notes that exist in the repository", () => {
    const missing: string[] = [];
    const ownDocDirs = new Set(fs.readdirSync(path.join(root, "docs"), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name));
    for (const dir of ["src", "web/src", "bench", "scripts"]) {
      const walk = (d: string) => {
        for (const e of fs.readdirSync(path.join(root, d), { withFileTypes: true })) {
          const rel = path.join(d, e.name);
          if (e.isDirectory()) {
            if (!["node_modules", "dist"].includes(e.name)) walk(rel);
          } else if (/\.(ts|tsx|mjs|py|md)$/.test(e.name)) {
            const text = fs.readFileSync(path.join(root, rel), "utf8");
            // Our notes live in docs/<topic>/ (research, engines, frameworks); other projects' docs/ paths are cited as theirs.
            for (const m of text.matchAll(/(?<![\w/.-])docs\/([\w.-]+)\/[\w./-]+\.md/g)) {
              if (ownDocDirs.has(m[1]) && !fs.existsSync(path.join(root, m[0]))) missing.push(`${rel}: ${m[0]}`);
            }
          }
        }
      };
      walk(dir);
    }
    expect(missing).toEqual([]);
  });
});

describe("tests never read ../shared", () => {
  it("the suite's setup makes any read of ../shared throw (vitest.config.ts setupFiles)", async () => {
    const { SHARED_DIR } = await import("./test-support/no-shared.js");
    const { readFileSync, existsSync } = await import("node:fs");
    const fsp = await import("node:fs/promises");
    expect(() => fs.readFileSync(path.join(SHARED_DIR, "README.md"))).toThrow(/not part of the repository/);
    expect(() => readFileSync(path.join(root, "..", "shared", "fixtures"))).toThrow(/not part of the repository/);
    expect(() => existsSync(SHARED_DIR)).toThrow(/not part of the repository/);
    await expect(fsp.readFile(path.join(SHARED_DIR, "README.md"))).rejects.toThrow(/not part of the repository/);
    // the repository's own fixtures stay readable
    expect(fs.existsSync(path.join(root, "fixtures"))).toBe(true);
  });
});
