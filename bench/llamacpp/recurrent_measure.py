"""Runs recurrent-buffers.mjs over a matrix of llama.cpp context settings for each recurrent / hybrid synthetic model
of recurrent_specs.py and writes one JSON record per run (bench/accuracy/llamacpp-recurrent-cpu.jsonl): the
recurrent-state (RS) buffer with its R/S split, the KV cache of the attention layers, the compute buffer and the
context parameters llama.cpp really used. Printed MiB values are kept as printed (2 decimals); bytes = MiB × 2^20
rounded, so a check compares the printed string.
Usage: recurrent_measure.py GGUF_DIR NODE_LLAMA_DIR OUT.jsonl [model ids...]"""
import json, os, re, shutil, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
MATRIX = ([dict(ctx=c, fa=fa) for c in (512, 4096, 32768) for fa in (False, True)]
          + [dict(ctx=2048, seqs=2, fa=True), dict(ctx=2048, seqs=4, fa=False), dict(ctx=1000, seqs=3, fa=True),
             dict(ctx=4096, ubatch=128, fa=False), dict(ctx=4096, ubatch=2048, fa=True)])


def grab(lines, pat, conv=int):
    for l in lines:
        m = re.search(pat, l)
        if m:
            return conv(m.group(1))
    return None


def parse(mid, arch, run, version):
    c, L = run["config"], run["lines"]
    rec = {"id": f"llamacpp-recurrent-{mid}-ctx{c['ctx']}-s{c.get('seqs', 1)}-ub{c.get('ubatch', 512)}-fa{int(bool(c.get('fa')))}",
           "arch": arch, "spec": mid, "llama_cpp": version,
           "config": {"ctx_per_seq": c["ctx"], "seqs": c.get("seqs", 1), "ubatch": c.get("ubatch", 512), "fa": bool(c.get("fa"))},
           "n_ctx": grab(L, r"llama_context: n_ctx +=\s+(\d+)"), "n_ctx_seq": grab(L, r"n_ctx_seq +=\s+(\d+)"),
           "n_seq": grab(L, r"n_seq_max +=\s+(\d+)"), "n_ubatch": grab(L, r"n_ubatch +=\s+(\d+)")}
    if run["error"]:
        rec["error"] = run["error"]
    for l in L:
        m = re.search(r"llama_memory_recurrent: size = +([\d.]+) MiB \( *(\d+) cells, +(\d+) layers, +(\d+) seqs +(\d+) rs_seq\), "
                      r"R \(f32\): +([\d.]+) MiB, S \(f32\): +([\d.]+) MiB", l)
        if m:
            rec["rs"] = {"size_mib": m.group(1), "cells": int(m.group(2)), "r_mib": m.group(6), "s_mib": m.group(7), "line": l.strip()}
        m = re.search(r"llama_kv_cache: size = +([\d.]+) MiB \( *(\d+) cells, +(\d+) layers, +(\d+)/(\d+) seqs\), "
                      r"K \((\w+)\): +([\d.]+) MiB, V \((\w+)\): +([\d.]+) MiB", l)
        if m:
            rec["kv"] = {"size_mib": m.group(1), "cells": int(m.group(2)), "layers": int(m.group(3)),
                         "k_mib": m.group(7), "v_mib": m.group(9), "line": l.strip()}
        m = re.search(r"CPU compute buffer size is ([\d.]+) MiB", l)
        if m:
            rec["compute_mib"] = m.group(1)
    return rec


def main(gguf_dir, node_dir, out, *ids):
    info = json.load(open(os.path.join(node_dir, "node_modules", "node-llama-cpp", "package.json")))
    version = f"node-llama-cpp {info['version']} (bundled llama.cpp gitRelease.bundle)"
    specs = os.path.join(gguf_dir, "spec")
    rows = [l.split("\t")[0] for l in open(os.path.join(specs, "models.tsv")).read().split("\n") if l]
    recs = []
    for mid in (ids or rows):
        arch = json.load(open(os.path.join(specs, f"{mid}.json")))["metadata"]["general.architecture"]
        # ESM resolves node-llama-cpp next to the script: run a copy inside NODE_LLAMA_DIR
        shutil.copy(os.path.join(HERE, "recurrent-buffers.mjs"), node_dir)
        p = subprocess.run(["node", "recurrent-buffers.mjs", os.path.join(gguf_dir, f"{mid}.gguf"), json.dumps(MATRIX)],
                           cwd=node_dir, capture_output=True, text=True, timeout=3600)
        for line in p.stdout.splitlines():
            if line.startswith("{\"config\""):
                recs.append(parse(mid, arch, json.loads(line), version))
        print(mid, len(recs), file=sys.stderr)
    with open(out, "w") as f:
        for r in recs:
            f.write(json.dumps(r) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
