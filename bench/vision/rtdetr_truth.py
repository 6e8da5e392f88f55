#!/usr/bin/env python3
"""CPU ground truth for vramfit's RT-DETR graph (src/vision/models/rtdetr.ts): transformers 5.18
RTDetrForObjectDetection (torch 2.13 CPU, SDPA attention, disable_custom_kernels: the PyTorch grid_sample path) with
the paper's R18/R50 configurations, 80 labels. Measured: parameter count; autograd's saved bytes of a train-mode
forward without labels (so no denoising queries and no loss), distinct storages, parameters and buffers excluded;
the live peak of an eval forward under no_grad (bench/torch2/memtrack.py).

transformers' image-processor import of torchvision is switched off (torchvision's C ops do not load against the CPU
wheel); the model does not use torchvision.

Run: /work/venv-t2/bin/python bench/vision/rtdetr_truth.py > bench/vision/rtdetr-cpu-torch2.jsonl
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "torch2"))
import transformers_cpu  # noqa: E402,F401  (before transformers)
import transformers  # noqa: E402
import torch  # noqa: E402
from transformers import RTDetrConfig, RTDetrForObjectDetection, RTDetrResNetConfig  # noqa: E402

from memtrack import saved_and_infer_peak  # noqa: E402

SPECS = {
    "rtdetr_r18vd": dict(bb=dict(layer_type="basic", depths=[2, 2, 2, 2], hidden_sizes=[64, 128, 256, 512]), enc_in=[128, 256, 512], hid=256, ffn=1024, exp=0.5, dec=3),
    "rtdetr_r50vd": dict(bb=dict(), enc_in=[512, 1024, 2048], hid=256, ffn=1024, exp=1.0, dec=6),
}


def build(v):
    bc = RTDetrResNetConfig(out_features=["stage2", "stage3", "stage4"], **v["bb"])
    c = RTDetrConfig(backbone_config=bc, encoder_in_channels=v["enc_in"], encoder_hidden_dim=v["hid"], encoder_ffn_dim=v["ffn"], hidden_expansion=v["exp"],
                     decoder_layers=v["dec"], decoder_in_channels=[v["hid"]] * 3 if v["hid"] != 256 else [256, 256, 256], num_labels=80)
    return RTDetrForObjectDetection(c)


def measure(model, shape):
    return saved_and_infer_peak(model, shape, lambda m, x: m(pixel_values=x))


if __name__ == "__main__":
    torch.manual_seed(0)
    for name, v in SPECS.items():
        model = build(v)
        params = sum(p.numel() for p in model.parameters())
        for shape in [(1, 3, 320, 320), (2, 3, 256, 320)]:
            sb, peak = measure(model, shape)
            print(json.dumps(dict(model=name, params=params, batch=shape[0], image=list(shape[2:]), dtype="fp32", attention=model.config._attn_implementation,
                                  saved_bytes=sb, infer_peak_bytes=peak, torch=torch.__version__, transformers=transformers.__version__, threads=torch.get_num_threads(),
                                  command="/work/venv-t2/bin/python bench/vision/rtdetr_truth.py > bench/vision/rtdetr-cpu-torch2.jsonl")), flush=True)
