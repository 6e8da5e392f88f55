#!/usr/bin/env python3
"""Parameter counts of transformers 5.18 Mask2FormerForUniversalSegmentation (meta device, no weights) with the
configurations of the facebook/mask2former-swin-* checkpoints (Swin backbone embed/depths/heads/window, num_labels,
num_queries), for vramfit's graph (src/vision/models/mask2former.ts, src/vision/models/mask2former.spec.ts).

Run: /work/tmp/h18a-venv/bin/python bench/vision/mask2former_params.py > bench/vision/mask2former-params.jsonl
(recorded with transformers 5.18.0, torch 2.13.0+cpu)
"""
import json
import sys

import torch
import transformers
from transformers import Mask2FormerConfig, Mask2FormerForUniversalSegmentation, SwinConfig

SWIN = {
    "tiny": dict(embed_dim=96, depths=[2, 2, 6, 2], num_heads=[3, 6, 12, 24], window_size=7),
    "small": dict(embed_dim=96, depths=[2, 2, 18, 2], num_heads=[3, 6, 12, 24], window_size=7),
    "base": dict(embed_dim=128, depths=[2, 2, 18, 2], num_heads=[4, 8, 16, 32], window_size=12),
    "large": dict(embed_dim=192, depths=[2, 2, 18, 2], num_heads=[6, 12, 24, 48], window_size=12),
}
# (size, labels, queries): COCO instance 80, COCO panoptic 133, ADE20K semantic 150, Cityscapes semantic 19.
CASES = [("tiny", 80, 100), ("small", 80, 100), ("base", 80, 100), ("large", 80, 200), ("tiny", 133, 100), ("tiny", 150, 100), ("tiny", 19, 100)]


def count(size, labels, queries, breakdown=False):
    bc = SwinConfig(out_features=["stage1", "stage2", "stage3", "stage4"], **SWIN[size])
    c = Mask2FormerConfig(backbone_config=bc, num_labels=labels, num_queries=queries)
    with torch.device("meta"):
        m = Mask2FormerForUniversalSegmentation(c)
    total = sum(p.numel() for p in m.parameters())
    parts = {}
    for n, p in m.named_parameters():
        k = ".".join(n.split(".")[:4])
        parts[k] = parts.get(k, 0) + p.numel()
    return total, parts if breakdown else None


if __name__ == "__main__":
    bd = "--breakdown" in sys.argv
    for size, labels, queries in CASES:
        total, parts = count(size, labels, queries, bd)
        print(json.dumps({"transformers": transformers.__version__, "torch": torch.__version__, "backbone": f"swin-{size}", "num_labels": labels, "num_queries": queries, "params": total, **({"parts": parts} if parts else {})}))
