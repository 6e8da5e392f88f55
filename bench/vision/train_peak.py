#!/usr/bin/env python3
"""CPU ground truth for the training step's activation/gradient peak (issue 5).

For each case: one fp32 training-mode forward, `out.float().sum()` as the loss, and loss.backward(),
under the same storage-level LiveTracker as saved_bytes.py (parameters and buffers excluded; parameter
gradients, which backward allocates, included). Prints the peak of live bytes over the whole step
(`train_peak_bytes`) and the live bytes at the end of forward (`fwd_end_bytes`). vramfit's
max(trainingForwardPeak, backwardPeak) with parameter grads in fp32 is compared with train_peak_bytes.

Run: /usr/bin/python3 bench/vision/train_peak.py > bench/accuracy/vision-cpu-train-peak.jsonl
"""
import json
import sys

sys.argv = sys.argv[:1]
import os

HERE = os.path.dirname(os.path.abspath(__file__))
exec(open(os.path.join(HERE, "saved_bytes.py")).read().split("def main():")[0])

CASES_TRAIN = [
    ("resnet18", M.resnet18, (2, 3, 224, 224)),
    ("resnet50", M.resnet50, (2, 3, 224, 224)),
    ("mobilenet_v3_large", M.mobilenet_v3_large, (2, 3, 224, 224)),
    ("efficientnet_b0", M.efficientnet_b0, (2, 3, 224, 224)),
    ("convnext_tiny", M.convnext_tiny, (1, 3, 224, 224)),
    ("vit_b_16", M.vit_b_16, (1, 3, 224, 224)),
    ("swin_t", M.swin_t, (1, 3, 224, 224)),
]


def train_peak(model, shape):
    model.train()
    ex = {storage_key(p)[0] for p in model.parameters()} | {storage_key(b)[0] for b in model.buffers()}
    tracker = LiveTracker(ex)
    with tracker:
        x = torch.randn(*shape)
        out = model(x)
        loss = out.float().sum()
        fwd = tracker.live
        loss.backward()
    return tracker.peak, fwd


for name, ctor, shape in CASES_TRAIN:
    torch.manual_seed(0)
    m = ctor()
    peak, fwd = train_peak(m, shape)
    print(json.dumps(dict(model=name, batch=shape[0], image=list(shape[2:]), dtype="fp32", train_peak_bytes=peak,
                          fwd_end_bytes=fwd, torch=torch.__version__, torchvision=torchvision.__version__,
                          command="/usr/bin/python3 bench/vision/train_peak.py > bench/accuracy/vision-cpu-train-peak.jsonl")), flush=True)
