#!/usr/bin/env python3
"""What is live at the backward peak of one block (blocks.py configuration), by producer op, and the order
in which the backward allocates: a diagnostic for COMPARISON.md.

  /work/venv-t2/bin/python bench/torch2/diag_backward.py --filter llama-h256,sdpa_repeat-b2s512-fp32-full
"""
import argparse
import gc
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import blocks  # noqa: E402
from memtrack import LiveTracker, module_storages, storage_of  # noqa: E402


class Snap(LiveTracker):
    def _track(self, t, info):
        before = self.adj_window_peak
        super()._track(t, info)
        if self.adj_window_peak > before:
            self.snap = (self.live_by(), self.discount)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--filter", required=True)
    a = ap.parse_args()
    words = a.filter.split(",")
    cs = [c for c in blocks.grid() if all(w in blocks.config_id(dict(c)) for w in words)]
    for c in cs:
        c = dict(c)
        m = blocks.build(c)
        prec = c["precision"]
        act = blocks.DT[c["base_dtype"]] if c.get("lora_rank") is not None else (torch.bfloat16 if prec == "bf16" else torch.float32)
        params = list(m.parameters())
        ex = module_storages(m)
        tr = Snap(ex, params)
        with tr:
            x0, x, extra = blocks.inputs(c, act, True)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=(prec == "amp-bf16")):
                y = blocks.call(m, c, x, extra)
            del x
            gc.collect()
            end_fwd = tr.live_by()
            dy = torch.ones_like(y) if c["arch"] != "head" else None
            hooks = tr.grad_hooks(params)
            tr.start_window()
            y.backward(dy) if dy is not None else y.backward()
            for h in hooks:
                h.remove()
        print(blocks.config_id(c))
        live, disc = tr.snap
        keys = sorted(set(end_fwd) | set(live))
        print(f"  {'end of forward':>16} {'at bwd peak':>14}  producer")
        for k in keys:
            print(f"  {end_fwd.get(k, 0):>16} {live.get(k, 0):>14}  {k}")
        print(f"  param grads accumulated at the peak (left out): {disc}")


if __name__ == "__main__":
    main()
