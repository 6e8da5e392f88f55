#!/usr/bin/env python3
"""Run a case file, one fresh process per case, and write one JSON line per case.

    python3 bench/measure/run_cases.py --cases bench/cases/gpu-h100.json --out bench/measurements/h100.jsonl
    python3 bench/measure/run_cases.py --cases bench/cases/cpu-smoke.json --dry-run --out /tmp/dry.jsonl

Each case runs as `python3 bench/measure/measure_one.py '<case json>'` in its own process, so peak
counters, cached allocator blocks and CUDA context growth never leak from one case to the next.
A case that crashes or hangs its process is recorded as "error" (or "oom" when the process died of
it) and the run goes on. bench/measure/README.md describes every field.
"""
from __future__ import annotations

import argparse
import fnmatch
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from cases import CaseError, load_cases  # noqa: E402
from device_memory import device_used_bytes  # noqa: E402

GIB = 1 << 30


def select(cases: list[dict], only: str | None, shard: str | None) -> list[dict]:
    if only:
        patterns = [p.strip() for p in only.split(",") if p.strip()]
        unknown = [p for p in patterns if not any(fnmatch.fnmatchcase(c["id"], p) for c in cases)]
        if unknown:
            raise CaseError(f"--only matches no case: {', '.join(unknown)}")
        cases = [c for c in cases if any(fnmatch.fnmatchcase(c["id"], p) for p in patterns)]
    if shard:
        try:
            k, n = (int(x) for x in shard.split("/"))
            assert 1 <= k <= n
        except (ValueError, AssertionError):
            raise CaseError("--shard must be K/N with 1 <= K <= N, e.g. 2/3") from None
        cases = cases[k - 1::n]
    return cases


def finished_ids(path: str) -> set[str]:
    """Ids already in an output file with a final status (for --resume)."""
    done: set[str] = set()
    if not os.path.isfile(path):
        return done
    with open(path, encoding="utf-8") as f:
        for line in f:
            try:
                r = json.loads(line)
            except json.JSONDecodeError:
                continue
            not_run = str(r.get("reason") or "").startswith("not run:")  # --budget-s ran out
            if r.get("status") in ("ok", "oom", "skipped", "dry-run-ok") and not not_run:
                done.add(r.get("id"))
    return done


def run_one(case: dict, args, baseline: int | None) -> dict:
    cmd = [args.python, os.path.join(HERE, "measure_one.py"), json.dumps(case)]
    if args.dry_run:
        cmd.append("--dry-run")
    if baseline is not None:
        cmd += ["--baseline-used", str(baseline)]
    if args.steps:
        cmd += ["--steps", str(args.steps)]
    t0 = time.time()
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout, env=env)
    except subprocess.TimeoutExpired:
        return failed(case, "error", f"timed out after {args.timeout} s", t0, args.dry_run)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    tail = " | ".join((proc.stderr or proc.stdout).strip().splitlines()[-8:])
    status = "oom" if "out of memory" in tail.lower() or proc.returncode in (-9, 137) else "error"
    return failed(case, status, f"process exited {proc.returncode} without a result: {tail[:1500]}", t0, args.dry_run)


def failed(case: dict, status: str, reason: str, t0: float, dry_run: bool) -> dict:
    r = {"id": case["id"], "case": case, "status": status, "reason": reason,
         "allocated_peak_bytes": None, "reserved_peak_bytes": None, "device_bytes": None,
         "phases": {}, "env": None, "wall_s": round(time.time() - t0, 3)}
    if dry_run:
        r["dry_run"] = True
    return r


def gib(x) -> str:
    return "-" if x is None else f"{x / GIB:.2f}"


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description="Run a vramfit measurement case file, one process per case.")
    ap.add_argument("--cases", required=True, help="case file (JSON), e.g. bench/cases/gpu-h100.json")
    ap.add_argument("--out", required=True, help="output JSONL, one line per case")
    ap.add_argument("--only", help="comma-separated case ids or shell patterns (qwen2.5-0.5b-*)")
    ap.add_argument("--shard", help="K/N: run every N-th case starting at the K-th (split a matrix over calls)")
    ap.add_argument("--dry-run", action="store_true", help="CPU, tiny sizes: check every case builds and steps")
    ap.add_argument("--resume", action="store_true", help="append, skipping ids already finished in --out")
    ap.add_argument("--timeout", type=float, default=300, help="seconds per case before it is killed (300)")
    ap.add_argument("--budget-s", type=float, default=None,
                    help="start no new case after this many seconds; the rest are recorded as skipped")
    ap.add_argument("--steps", type=int, default=None, help="training steps per case (default 3; dry run 1)")
    ap.add_argument("--python", default=sys.executable, help="interpreter for the per-case processes")
    args = ap.parse_args(argv)

    try:
        cases = select(load_cases(args.cases), args.only, args.shard)
    except (CaseError, OSError) as e:
        print(f"run_cases: {e}", file=sys.stderr)
        return 2
    skip_ids = finished_ids(args.out) if args.resume else set()
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    counts: dict[str, int] = {}
    t_start = time.time()
    print(f"run_cases: {len(cases)} cases from {args.cases}{' (dry run)' if args.dry_run else ''}", file=sys.stderr)
    with open(args.out, "a" if args.resume else "w", encoding="utf-8") as out:
        for i, case in enumerate(cases, 1):
            if case["id"] in skip_ids:
                continue
            if args.budget_s is not None and time.time() - t_start > args.budget_s:
                r = failed(case, "skipped", f"not run: --budget-s {args.budget_s:g} spent", time.time(), args.dry_run)
            else:
                baseline = None if args.dry_run else device_used_bytes()
                r = run_one(case, args, baseline)
            out.write(json.dumps(r) + "\n")
            out.flush()
            counts[r["status"]] = counts.get(r["status"], 0) + 1
            why = f"  ({r['reason'][:160]})" if r.get("reason") else ""
            print(f"[{i}/{len(cases)}] {r['status']:<10} {case['id']:<48} alloc {gib(r.get('allocated_peak_bytes'))} "
                  f"reserved {gib(r.get('reserved_peak_bytes'))} device {gib(r.get('device_bytes'))} GiB "
                  f"{r.get('wall_s', 0):.1f}s{why}", file=sys.stderr, flush=True)
    summary = ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))
    print(f"run_cases: {summary} in {time.time() - t_start:.0f} s -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
