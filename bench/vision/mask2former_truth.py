#!/usr/bin/env python3
"""CPU ground truth for vramfit's Mask2Former graph (src/vision/models/mask2former.ts): transformers 5.18
Mask2FormerForUniversalSegmentation (torch 2.13 CPU, the PyTorch grid_sample deformable attention) with the
facebook/mask2former-swin-tiny-coco-instance settings (Swin-T backbone, 80 labels, 100 queries). Measured: parameter
count; autograd's saved bytes of a train-mode forward without labels (no matcher, no loss), distinct storages,
parameters and buffers excluded; the live peak of an eval forward under no_grad (bench/torch2/memtrack.py). Rows with
"masks": a train-mode forward with that many random binary mask labels per image (and class labels): saved bytes
including the loss (Hungarian matcher on 12544 points, point-sampled mask losses, cross-entropy) and the live peak of
that forward (labels and inputs included).

Run: /work/tmp/h18a-venv/bin/python bench/vision/mask2former_truth.py > bench/vision/mask2former-cpu-torch2.jsonl
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "torch2"))
import transformers_cpu  # noqa: E402,F401  (before transformers)
import transformers  # noqa: E402
import torch  # noqa: E402
from transformers import Mask2FormerConfig, Mask2FormerForUniversalSegmentation, SwinConfig  # noqa: E402

from memtrack import LiveTracker, module_storages, saved, saved_and_infer_peak  # noqa: E402


def measure(model, shape):
    return saved_and_infer_peak(model, shape, lambda m, x: m(pixel_values=x))


if __name__ == "__main__":
    torch.manual_seed(0)
    bc = SwinConfig(out_features=["stage1", "stage2", "stage3", "stage4"], embed_dim=96, depths=[2, 2, 6, 2], num_heads=[3, 6, 12, 24], window_size=7)
    model = Mask2FormerForUniversalSegmentation(Mask2FormerConfig(backbone_config=bc, num_labels=80))
    params = sum(p.numel() for p in model.parameters())
    for shape in [(1, 3, 256, 256), (2, 3, 384, 384)]:
        sb, peak = measure(model, shape)
        print(json.dumps(dict(model="mask2former_swin_tiny_coco_instance", params=params, batch=shape[0], image=list(shape[2:]), dtype="fp32",
                              attention=model.config._attn_implementation, saved_bytes=sb, infer_peak_bytes=peak, torch=torch.__version__,
                              transformers=transformers.__version__, threads=torch.get_num_threads(),
                              command="/work/tmp/h18a-venv/bin/python bench/vision/mask2former_truth.py > bench/vision/mask2former-cpu-torch2.jsonl")), flush=True)
    for n, s, masks in [(1, 256, 10), (2, 384, 20)]:
        model.train()
        ex = module_storages(model)
        tr = LiveTracker(ex, model.parameters())
        with tr:
            x = torch.randn(n, 3, s, s)
            ml = [(torch.rand(masks, s, s) > 0.5).float() for _ in range(n)]
            cl = [torch.randint(0, 80, (masks,)) for _ in range(n)]
            with saved(tr, ex) as seen:
                out = model(pixel_values=x, mask_labels=ml, class_labels=cl)
            peak = tr.peak
            del out
        sb = sum(nb for nb, _ in seen.values())
        print(json.dumps(dict(model="mask2former_swin_tiny_coco_instance", params=params, batch=n, image=[s, s], masks=masks, dtype="fp32",
                              saved_bytes=sb, train_forward_peak_bytes=peak, torch=torch.__version__, transformers=transformers.__version__,
                              threads=torch.get_num_threads(),
                              command="/work/tmp/h18a-venv/bin/python bench/vision/mask2former_truth.py > bench/vision/mask2former-cpu-torch2.jsonl")), flush=True)
