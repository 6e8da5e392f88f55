/**
 * `vramfit serve`: the web calculator (web/dist, built by `npm run build:web`) on a local port. A plain
 * node:http static server: the page computes everything in the browser, so the server only hands out
 * files. Binds to 127.0.0.1 by default; only GET/HEAD; no path outside the folder.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { VramfitError } from "../core/errors.js";

export interface ServeOptions {
  /** 0 picks a free port. Default 5177. */
  port?: number;
  host?: string;
  /** Open the page in the default browser. */
  open?: boolean;
  /** Folder to serve (default: the package's web/dist). */
  root?: string;
  /** Where the URL line goes (default: stdout). */
  log?: (line: string) => void;
}

export interface WebServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** web/dist of this package: two levels up from src/cli/ (tsx) and from dist/cli/ (built). */
export function defaultWebRoot(): string {
  return fileURLToPath(new URL("../../web/dist/", import.meta.url));
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".map": "application/json",
};

export async function serveWeb(opts: ServeOptions = {}): Promise<WebServer> {
  const root = resolve(opts.root ?? defaultWebRoot());
  if (!existsSync(join(root, "index.html"))) {
    throw new VramfitError("environment", `the web page is not built (no ${join(root, "index.html")})`, { suggestion: "run `npm run build:web` in the vramfit folder" });
  }
  const host = opts.host ?? "127.0.0.1";
  const log = opts.log ?? ((s: string) => process.stdout.write(`${s}\n`));

  const server = createServer(async (req, res) => {
    const send = (code: number, body: string) => {
      res.writeHead(code, { "content-type": "text/plain; charset=utf-8" });
      res.end(body);
    };
    if (req.method !== "GET" && req.method !== "HEAD") return send(405, "method not allowed");
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    } catch {
      return send(400, "bad request");
    }
    if (path.includes("\0")) return send(400, "bad request");
    const file = normalize(join(root, path.endsWith("/") ? `${path}index.html` : path));
    if (file !== root && !file.startsWith(root + sep)) return send(403, "forbidden");
    try {
      const s = await stat(file);
      if (!s.isFile()) return send(404, "not found");
      const body = await readFile(file);
      const hashed = /[-.][A-Za-z0-9_-]{8,}\.(js|css)$/.test(file);
      res.writeHead(200, {
        "content-type": TYPES[extname(file)] ?? "application/octet-stream",
        "content-length": body.length,
        "cache-control": hashed ? "public, max-age=31536000, immutable" : "no-cache",
        "x-content-type-options": "nosniff",
      });
      res.end(req.method === "HEAD" ? undefined : body);
    } catch {
      send(404, "not found");
    }
  });

  await new Promise<void>((ok, fail) => {
    server.once("error", (e: NodeJS.ErrnoException) =>
      fail(e.code === "EADDRINUSE" ? new VramfitError("environment", `port ${opts.port} on ${host} is in use`, { suggestion: "choose another with --port, or 0 for any free port" }) : e),
    );
    server.listen(opts.port ?? 5177, host, () => ok());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}/`;
  log(`vramfit web calculator: ${url}  (Ctrl+C to stop)`);
  if (opts.open) openBrowser(url);
  return {
    url,
    server,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

function openBrowser(url: string): void {
  const cmd = process.platform === "darwin" ? "open" : process.platform === "win32" ? "cmd" : "xdg-open";
  const args = process.platform === "win32" ? ["/c", "start", "", url] : [url];
  try {
    const child = spawn(cmd, args, { stdio: "ignore", detached: true });
    child.on("error", () => {}); // no browser opener: the URL is printed anyway
    child.unref();
  } catch {
    /* the URL is printed */
  }
}
