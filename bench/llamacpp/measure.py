"""Runs buffers.mjs over a matrix of llama.cpp context settings for every synthetic model and writes one
JSON record per run (bench/accuracy/llamacpp-cpu.jsonl). Usage:
  measure.py GGUF_DIR NODE_LLAMA_DIR OUT.jsonl [model ids...]
GGUF_DIR is what build.sh wrote; NODE_LLAMA_DIR a folder with node-llama-cpp@3 installed."""
import concurrent.futures as cf, json, os, re, shutil, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
MIB = 1 << 20


def matrix(spec):
    meta = spec["metadata"]
    arch = meta["general.architecture"]
    mha = meta[f"{arch}.attention.head_count_kv"] == meta[f"{arch}.attention.head_count"] and arch != "deepseek2"
    swa = any(k.endswith("attention.sliding_window") for k in meta) and arch in ("gemma2", "gemma3", "gpt-oss")
    out = []
    for ctx in (512, 2048, 8192) + (() if mha else (32768,)):  # MHA at 32k needs 10-16 GiB of RAM: skipped
        for fa in (False, True):
            out.append(dict(ctx=ctx, fa=fa))
    out += [dict(ctx=4096, fa=True, k="q8_0", v="q8_0"), dict(ctx=4096, fa=True, k="q4_0", v="q4_0"),
            dict(ctx=4096, fa=True, k="q8_0", v="f16"), dict(ctx=4096, fa=False, k="q8_0", v="f16"),
            dict(ctx=4096, fa=False, k="q8_0", v="q8_0"),  # refused by llama.cpp: quantized V needs flash attention
            dict(ctx=2048, seqs=4, fa=False), dict(ctx=2048, seqs=4, fa=True),
            dict(ctx=3000, seqs=2, fa=True), dict(ctx=1000, seqs=3, fa=False),
            dict(ctx=8192, ubatch=128, fa=False), dict(ctx=8192, ubatch=128, fa=True),
            dict(ctx=4096, ubatch=2048, fa=False), dict(ctx=4096, ubatch=2048, fa=True),
            dict(ctx=1000, fa=False), dict(ctx=300, fa=True),
            # n_ctx / n_seq not a multiple of 256: llama.cpp pads each sequence's share up to 256
            dict(ctx=300, seqs=5, fa=False), dict(ctx=700, seqs=3, fa=True)]
    if swa:
        out += [dict(ctx=8192, fa=True, swaFull=True), dict(ctx=8192, seqs=4, fa=True)]
    return out


def mib(s):
    return round(float(s) * MIB)


def parse(model_id, spec, load, run, versions):
    c = run["config"]
    meta = spec["metadata"]
    rec = {"id": None, "arch": meta["general.architecture"], "spec": model_id,
           "config": {"ctx_per_seq": c["ctx"], "seqs": c.get("seqs", 1), "ubatch": c.get("ubatch", 512),
                      "fa": bool(c.get("fa")), "k": c.get("k", "f16"), "v": c.get("v", "f16"),
                      "swa_full": bool(c.get("swaFull"))}}
    L = run["lines"]
    def grab(pat, conv=int):
        for l in L:
            m = re.search(pat, l)
            if m:
                return conv(m.group(1))
        return None
    rec.update(n_ctx=grab(r"llama_context: n_ctx +=\s+(\d+)"), n_ctx_seq=grab(r"n_ctx_seq +=\s+(\d+)"),
               n_seq=grab(r"n_seq_max +=\s+(\d+)"), n_batch=grab(r"n_batch +=\s+(\d+)"),
               n_ubatch=grab(r"n_ubatch +=\s+(\d+)"),
               flash_attn=grab(r"flash_attn +=\s+(\w+)", str), kv_unified=grab(r"kv_unified +=\s+(\w+)", lambda s: s == "true"),
               type_k=rec["config"]["k"], type_v=rec["config"]["v"], swa_full=rec["config"]["swa_full"])
    rec["flash_attn"] = rec["flash_attn"] == "enabled" if rec["flash_attn"] else rec["config"]["fa"]
    if run["error"]:
        rec["error"] = run["error"]
        rec["error_lines"] = [l for l in L if "llama_init_from_model" in l or "error" in l.lower()][:2]
    caches = []
    kind = ""
    for l in L:
        m = re.search(r"creating +(non-SWA|SWA) KV cache", l)
        if m:
            kind = m.group(1)
        m = re.search(r"llama_kv_cache: size = +([\d.]+) MiB \( *(\d+) cells, +(\d+) layers, +(\d+)/(\d+) seqs\), "
                      r"K \((\w+)\): +([\d.]+) MiB, V \((\w+)\): +([\d.]+) MiB", l)
        if m:
            caches.append({"kind": kind or "full", "cells": int(m.group(2)), "layers": int(m.group(3)),
                           "seqs": f"{m.group(4)}/{m.group(5)}", "size_mib": m.group(1), "type_k": m.group(6),
                           "k_mib": m.group(7), "type_v": m.group(8), "v_mib": m.group(9), "line": l.strip()})
            continue
        m = re.search(r"llama_kv_cache: size = +([\d.]+) MiB \( *(\d+) cells, +(\d+) layers, +(\d+)/(\d+) seqs\), "
                      r"K \((\w+)\): +([\d.]+) MiB", l)  # MLA: no V
        if m:
            caches.append({"kind": kind or "full", "cells": int(m.group(2)), "layers": int(m.group(3)),
                           "seqs": f"{m.group(4)}/{m.group(5)}", "size_mib": m.group(1), "type_k": m.group(6),
                           "k_mib": m.group(7), "type_v": None, "v_mib": "0.00", "line": l.strip()})
    kvbuf = [m.group(1) for l in L for m in [re.search(r"CPU KV buffer size = +([\d.]+) MiB", l)] if m]
    if caches:
        rec["kv_caches"] = caches
        rec["kv_buffer_mib"] = kvbuf
        rec["kv_bytes"] = sum(mib(x) for x in kvbuf)
        rec["k_bytes"] = sum(mib(x["k_mib"]) for x in caches)
        rec["v_bytes"] = sum(mib(x["v_mib"]) for x in caches)
        full = [x for x in caches if x["kind"] != "SWA"]
        swa = [x for x in caches if x["kind"] == "SWA"]
        rec["kv_cells"] = full[0]["cells"] if full else None
        if swa:
            rec["kv_cells_swa"] = swa[0]["cells"]
    for key, pat in (("model_buffer", r"CPU_Mapped model buffer size = +([\d.]+) MiB"),):
        v = [m.group(1) for l in load for m in [re.search(pat, l)] if m]
        rec[key + "_mib"] = v[0] if v else None
        rec[key + "_bytes"] = mib(v[0]) if v else None
    ob = grab(r"CPU +output buffer size = +([\d.]+) MiB", str)
    rec["output_buffer_mib"] = ob
    rec["output_buffer_bytes"] = mib(ob) if ob else None
    cb = grab(r"sched_reserve: +CPU compute buffer size = +([\d.]+) MiB", str)
    cb4 = grab(r"CPU compute buffer size is ([\d.]+) MiB", str)
    rec["compute_buffer_mib"] = cb
    rec["compute_buffer_mib_4dp"] = cb4
    rec["compute_buffer_bytes_cpu"] = mib(cb4 or cb) if (cb4 or cb) else None
    rec["n_vocab"] = next((int(re.search(r"(\d+)$", l).group(1)) for l in load if "n_vocab" in l), None)
    rec["bytes_note"] = "bytes = printed MiB x 2^20, rounded (llama.cpp prints 2 decimals; compute buffer from its 4-decimal line)"
    rec["spec_file"] = f"bench/llamacpp/specs/{model_id}.json"
    rec.update(versions)
    cfg = rec["config"]
    rec["command"] = (f"node bench/llamacpp/buffers.mjs {model_id}.gguf '[{json.dumps(c)}]'  "
                      f"(files from bench/llamacpp/build.sh; see bench/llamacpp/measure.sh)")
    rec["id"] = (f"{model_id}-c{cfg['ctx_per_seq']}-s{cfg['seqs']}-ub{cfg['ubatch']}-{'fa' if cfg['fa'] else 'nofa'}"
                 f"-k{cfg['k']}-v{cfg['v']}" + ("-swafull" if cfg["swa_full"] else ""))
    return rec


def run_model(gguf_dir, node_dir, model_id, versions):
    spec = json.load(open(os.path.join(gguf_dir, "spec", model_id + ".json")))
    configs = matrix(spec)
    t0 = time.time()
    # ESM resolves "node-llama-cpp" from the script's folder, so the script runs from a copy in node_dir
    shutil.copy(os.path.join(HERE, "buffers.mjs"), os.path.join(node_dir, "buffers.mjs"))
    p = subprocess.run(["node", "buffers.mjs", os.path.join(gguf_dir, model_id + ".gguf"),
                        json.dumps(configs)], cwd=node_dir, capture_output=True, text=True)
    rows = [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]
    if not rows or "load" not in rows[0]:
        raise SystemExit(f"{model_id}: load failed\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
    load = rows[0]["load"]
    recs = [parse(model_id, spec, load, r, versions) for r in rows[1:]]
    print(f"{model_id}: {len(recs)} runs in {time.time() - t0:.0f} s", file=sys.stderr, flush=True)
    return recs


def main(gguf_dir, node_dir, out, *ids):
    models = [l.split("\t")[0] for l in open(os.path.join(gguf_dir, "spec", "models.tsv")).read().splitlines()]
    ids = ids or models
    nlc = json.load(open(os.path.join(node_dir, "node_modules", "node-llama-cpp", "package.json")))["version"]
    rel = json.load(open(os.path.join(node_dir, "node_modules", "node-llama-cpp", "llama", "binariesGithubRelease.json")))["release"]
    versions = {"llama_cpp_build": f"ggml-org/llama.cpp release {rel} as bundled by node-llama-cpp {nlc} (CPU, @node-llama-cpp/linux-x64)",
                "node_llama_cpp_version": nlc}
    with cf.ThreadPoolExecutor(2) as ex:
        results = list(ex.map(lambda m: run_model(gguf_dir, node_dir, m, versions), ids))
    with open(out, "w") as f:
        for recs in results:
            for r in recs:
                f.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
