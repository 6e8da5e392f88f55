/**
 * A local stand-in for the Hugging Face Hub on 127.0.0.1 (support for specs and benchmarks; not a test).
 * Serves folders in the Hub's URL layout, the two kinds of request @huggingface/hub and hub.ts make:
 *   GET /api/models/{org}/{name}/revision/{rev}?expand=...   → {id, sha, siblings: [{rfilename}]}
 *   GET /{org}/{name}/resolve/{rev}/{path}  (Range honoured)  → file bytes, 206 + Content-Range
 * Errors as the Hub sends them: 404 + X-Error-Code RepoNotFound / EntryNotFound, 401/403 GatedRepo,
 * 429 with Retry-After.
 */
import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join, relative } from "node:path";

export interface HubRepoSpec {
  dir: string;
  /** Token required (Bearer); without it 401, with a wrong one 403 (GatedRepo). */
  gatedToken?: string;
  /** Private: anonymous requests get 401 + RepoNotFound, as huggingface.co answers. */
  private?: boolean;
  /** Answer every request with 429. */
  rateLimited?: boolean;
  /** Ignore Range headers (a server without range support). */
  noRanges?: boolean;
}

export interface ServedRequest {
  url: string;
  range?: string;
  status: number;
  bytes: number;
}

export interface FakeHub {
  endpoint: string;
  requests: ServedRequest[];
  close(): Promise<void>;
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(join(d, e.name));
      else out.push(relative(dir, join(d, e.name)).split("\\").join("/"));
    }
  };
  await walk(dir);
  return out.sort();
}

export async function startFakeHub(repos: Record<string, HubRepoSpec>): Promise<FakeHub> {
  const requests: ServedRequest[] = [];
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      res.statusCode = 500;
      res.end(String(e));
    });
  });

  const send = (req: IncomingMessage, res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(body);
    requests.push({ url: req.url ?? "", range: req.headers.range, status, bytes: Buffer.byteLength(body) });
  };

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://x");
    const path = decodeURIComponent(url.pathname);
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/]+)$/.exec(path);
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    const repoId = api?.[1] ?? resolve?.[1];
    const spec = repoId ? repos[repoId] : undefined;
    if (!repoId || !spec) {
      return send(req, res, 404, JSON.stringify({ error: "Repository not found" }), { "x-error-code": "RepoNotFound" });
    }
    if (spec.private && !req.headers.authorization) {
      return send(req, res, 401, JSON.stringify({ error: "Repository not found" }), { "x-error-code": "RepoNotFound" });
    }
    if (spec.rateLimited) return send(req, res, 429, JSON.stringify({ error: "rate limited" }), { "retry-after": "30" });
    if (spec.gatedToken) {
      const auth = req.headers.authorization;
      if (!auth) return send(req, res, 401, JSON.stringify({ error: "gated" }), { "x-error-code": "GatedRepo" });
      if (auth !== `Bearer ${spec.gatedToken}`) return send(req, res, 403, JSON.stringify({ error: "gated" }), { "x-error-code": "GatedRepo" });
    }
    const files = await listFiles(spec.dir);
    if (api) {
      const body = {
        _id: repoId,
        id: repoId,
        sha: "0123456789abcdef0123456789abcdef01234567",
        private: false,
        gated: spec.gatedToken ? "auto" : false,
        downloads: 0,
        likes: 0,
        lastModified: "2026-01-01T00:00:00.000Z",
        siblings: files.map((rfilename) => ({ rfilename })),
      };
      return send(req, res, 200, JSON.stringify(body));
    }
    const file = resolve![3];
    if (!files.includes(file)) return send(req, res, 404, JSON.stringify({ error: "Entry not found" }), { "x-error-code": "EntryNotFound" });
    const full = join(spec.dir, file);
    const size = (await stat(full)).size;
    const m = spec.noRanges ? null : /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
    const headers: Record<string, string> = { "content-type": "application/octet-stream", etag: `"${size}"`, "accept-ranges": "bytes" };
    if (m) {
      const start = Number(m[1]);
      const end = Math.min(m[2] === "" ? size - 1 : Number(m[2]), size - 1);
      if (start >= size) {
        res.writeHead(416, { "content-range": `bytes */${size}` });
        res.end();
        requests.push({ url: req.url ?? "", range: req.headers.range, status: 416, bytes: 0 });
        return;
      }
      res.writeHead(206, { ...headers, "content-range": `bytes ${start}-${end}/${size}`, "content-length": String(end - start + 1) });
      requests.push({ url: req.url ?? "", range: req.headers.range, status: 206, bytes: end - start + 1 });
      if (req.method === "HEAD") return res.end();
      createReadStream(full, { start, end }).pipe(res);
      return;
    }
    res.writeHead(200, { ...headers, "content-length": String(size) });
    const entry: ServedRequest = { url: req.url ?? "", range: req.headers.range, status: 200, bytes: 0 };
    requests.push(entry);
    if (req.method === "HEAD") return res.end();
    const stream = createReadStream(full);
    stream.on("data", (c) => (entry.bytes += c.length));
    res.on("close", () => stream.destroy());
    stream.pipe(res);
  }

  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
