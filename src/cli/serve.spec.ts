import { mkdtempSync, writeFileSync, mkdirSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VramfitError } from "../core/errors.js";
import { serveWeb, type WebServer } from "./serve.js";

/** A raw request (fetch would normalize "/../" away before it reaches the server). */
function get(url: string, path: string, method = "GET"): Promise<{ status: number; type?: string; body: string }> {
  const u = new URL(url);
  return new Promise((ok, fail) => {
    const req = request({ host: u.hostname, port: u.port, path, method }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => ok({ status: res.statusCode ?? 0, type: res.headers["content-type"], body }));
    });
    req.on("error", fail);
    req.end();
  });
}

describe("serveWeb", () => {
  const outside = mkdtempSync(join(tmpdir(), "vramfit-serve-"));
  const root = join(outside, "dist");
  let server: WebServer;
  beforeAll(async () => {
    mkdirSync(join(root, "assets"), { recursive: true });
    writeFileSync(join(root, "index.html"), "<!doctype html><title>page</title>");
    writeFileSync(join(root, "assets/app-abcdef12.js"), "console.log(1)");
    writeFileSync(join(outside, "secret.txt"), "secret");
    server = await serveWeb({ port: 0, root, log: () => {} });
  });
  afterAll(() => server.close());

  it("binds to 127.0.0.1 and serves index.html for / (query strings ignored)", async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const r = await get(server.url, "/?model=llama-3.1-8b&gpu=rtx-4090");
    expect(r.status).toBe(200);
    expect(r.type).toBe("text/html; charset=utf-8");
    expect(r.body).toContain("<title>page</title>");
  });

  it("serves assets with their type; HEAD has no body", async () => {
    const r = await get(server.url, "/assets/app-abcdef12.js");
    expect([r.status, r.type, r.body]).toEqual([200, "text/javascript; charset=utf-8", "console.log(1)"]);
    const h = await get(server.url, "/assets/app-abcdef12.js", "HEAD");
    expect([h.status, h.body]).toEqual([200, ""]);
  });

  it("never serves outside its folder, and refuses other methods", async () => {
    for (const p of ["/../secret.txt", "/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt"]) {
      const r = await get(server.url, p);
      expect(r.status, p).not.toBe(200);
      expect(r.body).not.toContain("secret");
    }
    expect((await get(server.url, "/missing.js")).status).toBe(404);
    expect((await get(server.url, "/", "POST")).status).toBe(405);
  });

  it("says how to build the page when it is missing", async () => {
    await expect(serveWeb({ port: 0, root: join(outside, "nowhere"), log: () => {} })).rejects.toThrow(VramfitError);
    await expect(serveWeb({ port: 0, root: join(outside, "nowhere"), log: () => {} })).rejects.toThrow(/not built/);
  });

  it("a port in use is one clear error", async () => {
    const port = Number(new URL(server.url).port);
    await expect(serveWeb({ port, root, log: () => {} })).rejects.toThrow(/port \d+ on 127\.0\.0\.1 is in use/);
  });
});
