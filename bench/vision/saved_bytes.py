#!/usr/bin/env python3
"""Exact CPU ground truth for vramfit's vision engine (issue 5).

For each torchvision architecture, image size and batch, print one JSON line with:
  (a) params: exact parameter count (sum of p.numel() over model.parameters());
  (b) saved_bytes: bytes of the distinct storages autograd saves for backward in one fp32 training-mode
      forward, counted with torch.autograd.graph.saved_tensors_hooks. Each saved tensor is reduced to its
      storage (data_ptr), each storage counted once (a tensor saved by two ops, or two views of one
      storage, count once), parameters (and buffers such as BN running stats) excluded. The input image is
      included when an op saves it (the first conv does, for its weight gradient).
      saved_by_dtype splits it by element type (float32 / int64 indices / bool masks).
  (c) infer_peak_bytes: the live-tensor peak of an inference forward under torch.no_grad, parameters
      excluded, input image included. Tracked with a TorchDispatchMode: every storage an op returns that
      is not yet live is added with its nbytes; a weakref finalizer on each returned tensor object
      decrements a per-storage reference count and frees the storage when the last view dies. Tensors
      that live only inside one ATen op (oneDNN/im2col scratch) are not seen: on the GPU those are the cuDNN
      workspace that vramfit reports as a separate component.

Run: /usr/bin/python3 bench/vision/saved_bytes.py > bench/accuracy/vision-cpu-autograd.jsonl
(Debian python3-torch / python3-torchvision, CPU only, ~5 min on 2 cores.)
"""
import json
import sys
import weakref

import torch
import torchvision
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_flatten

torch.manual_seed(0)
torch.set_grad_enabled(True)

M = torchvision.models

# (name, constructor, list of (image_h, image_w), batches)
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
    # Segmentation with the auxiliary head (aux_loss=True, as the published weights). Batch 2: the ASPP
    # image-pooling BatchNorm cannot train on one 1×1 value per channel.
    ("fcn_resnet50", lambda: M.segmentation.fcn_resnet50(weights=None, weights_backbone=None, aux_loss=True), [(256, 256)], [2]),
    ("deeplabv3_resnet50", lambda: M.segmentation.deeplabv3_resnet50(weights=None, weights_backbone=None, aux_loss=True), [(256, 256), (320, 256)], [2]),
]


def frozen_bn(model):
    """Built without weights, torchvision detectors use trainable BatchNorm2d in the backbone; with the
    published weights they use FrozenBatchNorm2d (buffers, not parameters), which is what their published
    num_params counts. Swap to match (torchvision/models/detection/*.py: `norm_layer =
    FrozenBatchNorm2d if is_trained else nn.BatchNorm2d`)."""
    from torchvision.ops.misc import FrozenBatchNorm2d

    def swap(mod):
        for name, child in mod.named_children():
            if isinstance(child, torch.nn.BatchNorm2d):
                setattr(mod, name, FrozenBatchNorm2d(child.num_features))
            else:
                swap(child)
    swap(model.backbone.body)
    return model


# Detectors: parameter counts only (their training forward needs targets and samples proposals at random).
PARAMS_ONLY = [
    ("fasterrcnn_resnet50_fpn", lambda: frozen_bn(M.detection.fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None))),
    ("retinanet_resnet50_fpn", lambda: frozen_bn(M.detection.retinanet_resnet50_fpn(weights=None, weights_backbone=None))),
]


def storage_key(t):
    s = t.storage()
    return s.data_ptr(), s.nbytes()


def saved_bytes(model, x):
    excluded = {storage_key(p)[0] for p in model.parameters()} | {storage_key(b)[0] for b in model.buffers()}
    seen = {}

    def pack(t):
        ptr, nbytes = storage_key(t)
        if ptr not in excluded and ptr not in seen:
            seen[ptr] = (nbytes, str(t.dtype).replace("torch.", ""))
        return t

    model.train()
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = model(x)
    total = sum(b for b, _ in seen.values())
    by_dtype = {}
    for b, d in seen.values():
        by_dtype[d] = by_dtype.get(d, 0) + b
    del out
    return total, by_dtype


class LiveTracker(TorchDispatchMode):
    """Live storages of an inference forward; see module docstring (c)."""

    def __init__(self, excluded):
        super().__init__()
        self.excluded = excluded
        self.refs = {}  # storage ptr -> [refcount, nbytes]
        self.live = 0
        self.peak = 0

    def track(self, t):
        ptr, nbytes = storage_key(t)
        if ptr in self.excluded or nbytes == 0:
            return
        ent = self.refs.get(ptr)
        if ent is None:
            ent = self.refs[ptr] = [0, nbytes]
            self.live += nbytes
            self.peak = max(self.peak, self.live)
        ent[0] += 1
        weakref.finalize(t, self.release, ptr)

    def release(self, ptr):
        ent = self.refs.get(ptr)
        if ent is None:
            return
        ent[0] -= 1
        if ent[0] == 0:
            self.live -= ent[1]
            del self.refs[ptr]

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in tree_flatten(out)[0]:
            if isinstance(t, torch.Tensor):
                self.track(t)
        return out


def infer_peak(model, shape):
    model.eval()
    excluded = {storage_key(p)[0] for p in model.parameters()} | {storage_key(b)[0] for b in model.buffers()}
    with torch.no_grad():
        tracker = LiveTracker(excluded)
        with tracker:
            x = torch.randn(*shape)  # created under the mode: the input counts as live
            out = model(x)
            del x
            del out
        return tracker.peak


def main():
    meta = {
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "command": "/usr/bin/python3 bench/vision/saved_bytes.py > bench/accuracy/vision-cpu-autograd.jsonl",
    }
    only = set(sys.argv[1:])
    for name, ctor, sizes, batches in CASES:
        if only and name not in only:
            continue
        model = ctor()
        params = sum(p.numel() for p in model.parameters())
        for (h, w) in sizes:
            for b in batches:
                x = torch.randn(b, 3, h, w)
                sb, by_dtype = saved_bytes(model, x)
                peak = infer_peak(model, (b, 3, h, w))
                rec = dict(model=name.split("@")[0], params=params, batch=b, image=[h, w], dtype="fp32",
                           saved_bytes=sb, saved_by_dtype=by_dtype, infer_peak_bytes=peak, **meta)
                print(json.dumps(rec), flush=True)
    for name, ctor in PARAMS_ONLY:
        if only and name not in only:
            continue
        model = ctor()
        params = sum(p.numel() for p in model.parameters())
        print(json.dumps(dict(model=name, params=params, **meta)), flush=True)


if __name__ == "__main__":
    main()
