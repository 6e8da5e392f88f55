#!/usr/bin/env python3
"""Torch 2 re-run of the vision CPU ground truth (bench/vision/*.py, made with torch 1.13).

Same model / image / batch matrix and the same definitions as bench/vision/saved_bytes.py,
train_peak.py and autocast_saved.py, counted with bench/torch2/memtrack.py (untyped storages):

  --what autograd    -> vision-cpu-torch2-autograd.jsonl   params, saved_bytes (+by dtype), infer_peak_bytes
  --what train-peak  -> vision-cpu-torch2-train-peak.jsonl train_peak_bytes, fwd_end_bytes (fwd + out.float().sum()
                        + backward, fresh model, as torch 1.13) and, new, a steady-state training step with AdamW
                        (step 2, states live): step_peak_bytes for foreach=False (CPU default) and foreach=True
                        (CUDA default), with the bytes of gradients and optimizer states
  --what autocast    -> vision-cpu-torch2-autocast.jsonl   saved bytes under torch.autocast("cpu", bfloat16),
                        the 4 CNNs of torch 1.13 plus the LayerNorm models torch 1.13's CPU autocast could not run;
                        autocast_weight_copy_bytes = saved bf16 casts of parameters (vramfit's autocast_cache)

torchvision: the 0.28.0 wheel (the release paired with torch 2.13) is a CUDA build; its C extension does not
load against the CPU torch wheel, and its import then fails registering fake kernels for torchvision::nms.
The model definitions are pure Python, so this script stubs the two registration modules before the import
(no detection op is run: detectors are parameter counts only, as in torch 1.13).

Run: /work/venv-t2/bin/python bench/torch2/vision.py --what autograd > bench/accuracy/vision-cpu-torch2-autograd.jsonl
"""
import argparse
import json
import os
import sys
import types

for _n in ("torchvision._meta_registrations", "torchvision._autograd_registrations"):
    sys.modules[_n] = types.ModuleType(_n)

import torch  # noqa: E402
import torchvision  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from memtrack import LiveTracker, by_dtype, module_storages, saved, storage_of  # noqa: E402

M = torchvision.models

CASES = [
    ("resnet18", lambda: M.resnet18(), [(224, 224), (320, 256)], [1, 2]),
    ("resnet50", lambda: M.resnet50(), [(224, 224), (320, 256)], [1, 2]),
    ("resnet101", lambda: M.resnet101(), [(224, 224)], [1, 2]),
    ("mobilenet_v3_large", lambda: M.mobilenet_v3_large(), [(224, 224), (320, 320)], [1, 2]),
    ("mobilenet_v3_small", lambda: M.mobilenet_v3_small(), [(224, 224)], [1, 2]),
    ("efficientnet_b0", lambda: M.efficientnet_b0(), [(224, 224), (256, 320)], [1, 2]),
    ("convnext_tiny", lambda: M.convnext_tiny(), [(224, 224), (256, 256)], [1, 2]),
    ("vit_b_16", lambda: M.vit_b_16(), [(224, 224)], [1, 2]),
    ("vit_b_16@384", lambda: M.vit_b_16(image_size=384), [(384, 384)], [1]),
    ("vit_l_16", lambda: M.vit_l_16(), [(224, 224)], [1, 2]),
    ("swin_t", lambda: M.swin_t(), [(224, 224), (256, 256)], [1, 2]),
    ("fcn_resnet50", lambda: M.segmentation.fcn_resnet50(weights=None, weights_backbone=None, aux_loss=True), [(256, 256)], [2]),
    ("deeplabv3_resnet50", lambda: M.segmentation.deeplabv3_resnet50(weights=None, weights_backbone=None, aux_loss=True), [(256, 256), (320, 256)], [2]),
]


def frozen_bn(model):
    from torchvision.ops.misc import FrozenBatchNorm2d

    def swap(mod):
        for name, child in mod.named_children():
            if isinstance(child, torch.nn.BatchNorm2d):
                setattr(mod, name, FrozenBatchNorm2d(child.num_features))
            else:
                swap(child)

    swap(model.backbone.body)
    return model


PARAMS_ONLY = [
    ("fasterrcnn_resnet50_fpn", lambda: frozen_bn(M.detection.fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None))),
    ("retinanet_resnet50_fpn", lambda: frozen_bn(M.detection.retinanet_resnet50_fpn(weights=None, weights_backbone=None))),
]

CASES_TRAIN = [
    ("resnet18", M.resnet18, (2, 3, 224, 224)),
    ("resnet50", M.resnet50, (2, 3, 224, 224)),
    ("mobilenet_v3_large", M.mobilenet_v3_large, (2, 3, 224, 224)),
    ("efficientnet_b0", M.efficientnet_b0, (2, 3, 224, 224)),
    ("convnext_tiny", M.convnext_tiny, (1, 3, 224, 224)),
    ("vit_b_16", M.vit_b_16, (1, 3, 224, 224)),
    ("swin_t", M.swin_t, (1, 3, 224, 224)),
]

CASES_AMP = [
    ("resnet18", M.resnet18, (2, 3, 224, 224), False),
    ("resnet50", M.resnet50, (1, 3, 224, 224), False),
    ("mobilenet_v3_large", M.mobilenet_v3_large, (2, 3, 224, 224), False),
    ("efficientnet_b0", M.efficientnet_b0, (1, 3, 256, 256), False),
    # new under torch 2: CPU autocast runs layer_norm (in fp32)
    ("convnext_tiny", M.convnext_tiny, (1, 3, 224, 224), True),
    ("vit_b_16", M.vit_b_16, (1, 3, 224, 224), True),
    ("swin_t", M.swin_t, (1, 3, 224, 224), True),
]


def meta(what):
    out = {"autograd": "vision-cpu-torch2-autograd.jsonl", "train-peak": "vision-cpu-torch2-train-peak.jsonl", "autocast": "vision-cpu-torch2-autocast.jsonl"}[what]
    return {
        "torch": torch.__version__,
        "torchvision": torchvision.__version__ + " (python model definitions; C ops not loaded)",
        "threads": torch.get_num_threads(),
        "command": f"/work/venv-t2/bin/python bench/torch2/vision.py --what {what} > bench/accuracy/{out}",
    }


def saved_bytes(model, shape):
    model.train()
    ex = module_storages(model)
    tr = LiveTracker(ex, model.parameters())
    with tr:
        x = torch.randn(*shape)
        with saved(tr, ex) as seen:
            out = model(x)
        del out
    total = sum(nb for nb, _ in seen.values())
    return total, by_dtype(seen)


def infer_peak(model, shape):
    model.eval()
    ex = module_storages(model)
    with torch.no_grad():
        tr = LiveTracker(ex)
        with tr:
            x = torch.randn(*shape)
            out = model(x)
            del x, out
    return tr.peak


def run_autograd(only):
    m = meta("autograd")
    for name, ctor, sizes, batches in CASES:
        if only and name not in only:
            continue
        torch.manual_seed(0)
        model = ctor()
        params = sum(p.numel() for p in model.parameters())
        for (h, w) in sizes:
            for b in batches:
                sb, byd = saved_bytes(model, (b, 3, h, w))
                peak = infer_peak(model, (b, 3, h, w))
                print(json.dumps(dict(model=name.split("@")[0], params=params, batch=b, image=[h, w], dtype="fp32", saved_bytes=sb,
                                      saved_by_dtype=byd, infer_peak_bytes=peak, **m)), flush=True)
    for name, ctor in PARAMS_ONLY:
        if only and name not in only:
            continue
        model = ctor()
        print(json.dumps(dict(model=name, params=sum(p.numel() for p in model.parameters()), **m)), flush=True)


def fwd_bwd_peak(model, shape):
    """As torch 1.13's train_peak.py: fresh model, forward, out.float().sum(), backward."""
    model.train()
    ex = module_storages(model)
    tr = LiveTracker(ex)
    with tr:
        x = torch.randn(*shape)
        out = model(x)
        loss = out.float().sum()
        fwd = tr.live
        loss.backward()
    return tr.peak, fwd


def step_peak(ctor, shape, foreach):
    """Steady-state step: step 1 creates the AdamW states, step 2 is measured (forward, loss, backward,
    optimizer.step(), zero_grad(set_to_none=True))."""
    torch.manual_seed(0)
    model = ctor().train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, foreach=foreach)
    ex = module_storages(model)
    tr = LiveTracker(ex)
    with tr:
        x = torch.randn(*shape)
        for step in range(2):
            if step == 1:
                tr.peak = tr.live
                base = tr.live
            out = model(x)
            loss = out.float().sum()
            del out
            loss.backward()
            del loss
            before_step = tr.live
            tr.start_window()
            opt.step()
            step_window = tr.window_peak - before_step
            grads = sum(storage_of(p.grad)[1] for p in model.parameters() if p.grad is not None)
            opt.zero_grad(set_to_none=True)
        states = 0
        for st in opt.state.values():
            for v in st.values():
                if isinstance(v, torch.Tensor):
                    states += storage_of(v)[1]
        peak = tr.peak
        del x
    return dict(step_peak_bytes=peak, step_baseline_bytes=base, grad_bytes=grads, state_bytes=states, step_transient_bytes=step_window)


def run_train_peak(only):
    m = meta("train-peak")
    for name, ctor, shape in CASES_TRAIN:
        if only and name not in only:
            continue
        torch.manual_seed(0)
        peak, fwd = fwd_bwd_peak(ctor(), shape)
        rec = dict(model=name, batch=shape[0], image=list(shape[2:]), dtype="fp32", train_peak_bytes=peak, fwd_end_bytes=fwd)
        rec["adamw_forloop"] = step_peak(ctor, shape, foreach=False)
        rec["adamw_foreach"] = step_peak(ctor, shape, foreach=True)
        rec["step_notes"] = ("adamw_*: second training step with torch.optim.AdamW (states exist); step_peak_bytes is the live peak "
                             "of that whole step incl. the input image, states, grads; step_baseline_bytes = live at its start "
                             "(input + states); step_transient_bytes = peak inside optimizer.step() above the live bytes before it")
        print(json.dumps(dict(**rec, **m)), flush=True)


def run_autocast(only):
    m = meta("autocast")
    for name, ctor, shape, new in CASES_AMP:
        if only and name not in only:
            continue
        torch.manual_seed(0)
        model = ctor().train()
        ex = module_storages(model)
        tr = LiveTracker(ex, model.parameters())
        with tr:
            x = torch.randn(*shape)
            with torch.autocast("cpu", dtype=torch.bfloat16):
                with saved(tr, ex) as seen:
                    out = model(x)
            del out
        byd = by_dtype(seen)
        wcopy = sum(nb for nb, info in seen.values() if info[3])
        rec = dict(model=name, batch=shape[0], image=list(shape[2:]), precision="amp-bf16", saved_bytes=sum(byd.values()), saved_by_dtype=byd,
                   autocast_weight_copy_bytes=wcopy, new_in_torch2=new)
        if new:
            rec["notes"] = ("CPU autocast has no fp32 rule for layer_norm: it runs in its input dtype (bf16 here), so LayerNorm "
                            "inputs/outputs and the residual stream are bf16. CUDA autocast runs layer_norm in fp32 (its fp32 "
                            "op list), so a GPU run saves fp32 LayerNorm inputs: this record is CPU semantics, not CUDA's.")
        print(json.dumps(dict(**rec, **m)), flush=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--what", choices=["autograd", "train-peak", "autocast"], required=True)
    ap.add_argument("only", nargs="*")
    a = ap.parse_args()
    only = set(a.only)
    {"autograd": run_autograd, "train-peak": run_train_peak, "autocast": run_autocast}[a.what](only)
