#!/usr/bin/env python3
"""CPU ground truth for autocast (AMP) training activations (issue 5).

torch.autocast("cpu", dtype=torch.bfloat16) casts conv/linear inputs and weights to bf16 as CUDA autocast
does for fp16/bf16; batch norm, ReLU, pooling and add run in their input's dtype on both. This script
counts, like saved_bytes.py, the distinct storages autograd saves (parameters and buffers excluded) by
dtype. The bf16 total includes the bf16 weight copies conv/linear save for backward (autocast's weight
cast cache): vramfit reports those as the `autocast_cache` component, the rest as activations.
Models with LayerNorm are left out: Debian's torch 1.13 CPU autocast fails on layer_norm with bf16 input.

Run: /usr/bin/python3 bench/vision/autocast_saved.py > bench/accuracy/vision-cpu-autocast.jsonl
"""
import json
import os
import sys

sys.argv = sys.argv[:1]
HERE = os.path.dirname(os.path.abspath(__file__))
exec(open(os.path.join(HERE, "saved_bytes.py")).read().split("def main():")[0])

CASES_AMP = [
    ("resnet18", M.resnet18, (2, 3, 224, 224)),
    ("resnet50", M.resnet50, (1, 3, 224, 224)),
    ("mobilenet_v3_large", M.mobilenet_v3_large, (2, 3, 224, 224)),
    ("efficientnet_b0", M.efficientnet_b0, (1, 3, 256, 256)),
]

for name, ctor, shape in CASES_AMP:
    torch.manual_seed(0)
    m = ctor().train()
    excluded = {storage_key(p)[0] for p in m.parameters()} | {storage_key(b)[0] for b in m.buffers()}
    seen = {}

    def pack(t):
        ptr, nb = storage_key(t)
        if ptr not in excluded and ptr not in seen:
            seen[ptr] = (nb, str(t.dtype).replace("torch.", ""))
        return t

    x = torch.randn(*shape)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
            out = m(x)
    by = {}
    for nb, d in seen.values():
        by[d] = by.get(d, 0) + nb
    print(json.dumps(dict(model=name, batch=shape[0], image=list(shape[2:]), precision="amp-bf16", saved_bytes=sum(by.values()),
                          saved_by_dtype=by, torch=torch.__version__, torchvision=torchvision.__version__,
                          command="/usr/bin/python3 bench/vision/autocast_saved.py > bench/accuracy/vision-cpu-autocast.jsonl")), flush=True)
