#!/usr/bin/env python3
"""CPU ground truth for vramfit's BEiT graph (src/vision/models/beit.ts): transformers 5.18 BeitForImageClassification
(torch 2.13 CPU; relative position bias per layer, layer scale, mean pooling, 1000 labels; drop_path 0 here, so the
graph is built with dropPath 0) with SDPA and eager attention. Measured: parameter count, autograd's saved bytes of a
train-mode forward (distinct storages, parameters and buffers excluded) and the live peak of an eval forward under
no_grad (bench/torch2/memtrack.py).

Run: /work/venv-t2/bin/python bench/vision/beit_truth.py > bench/vision/beit-cpu-torch2.jsonl
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "torch2"))
import transformers_cpu  # noqa: E402,F401  (before transformers)
import transformers  # noqa: E402
import torch  # noqa: E402
from transformers import BeitConfig, BeitForImageClassification  # noqa: E402

from memtrack import saved_and_infer_peak  # noqa: E402


def measure(model, shape):
    return saved_and_infer_peak(model, shape, lambda m, x: m(pixel_values=x))


if __name__ == "__main__":
    torch.manual_seed(0)
    for attn in ("sdpa", "eager"):
        cfg = BeitConfig(use_relative_position_bias=True, num_labels=1000, drop_path_rate=0.0)
        cfg._attn_implementation = attn
        model = BeitForImageClassification(cfg)
        params = sum(p.numel() for p in model.parameters())
        for b in (1, 2):
            sb, peak = measure(model, (b, 3, 224, 224))
            print(json.dumps(dict(model="beit_base_patch16_224", params=params, batch=b, image=[224, 224], dtype="fp32", attention=attn, drop_path=0.0,
                                  saved_bytes=sb, infer_peak_bytes=peak, torch=torch.__version__, transformers=transformers.__version__, threads=torch.get_num_threads(),
                                  command="/work/venv-t2/bin/python bench/vision/beit_truth.py > bench/vision/beit-cpu-torch2.jsonl")), flush=True)
