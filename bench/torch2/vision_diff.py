#!/usr/bin/env python3
"""Per-op breakdown of what a torchvision model saves for backward (or keeps live at the inference peak),
for diffing torch 1.13 (Debian /usr/bin/python3) against torch 2 (/work/venv-t2/bin/python):

  /usr/bin/python3 bench/torch2/vision_diff.py vit_b_16 1 224 > /tmp/t1.json
  /work/venv-t2/bin/python bench/torch2/vision_diff.py vit_b_16 1 224 > /tmp/t2.json

Prints {"saved": {producer-op dtype shape: bytes}, "infer_live_at_peak": {...}}.
"""
import json
import os
import sys
import types

for _n in ("torchvision._meta_registrations", "torchvision._autograd_registrations"):
    sys.modules[_n] = types.ModuleType(_n)
import torch  # noqa: E402

if torch.__version__ >= "2":
    pass
else:  # Debian's torchvision 0.14 imports fine; drop the stubs
    for _n in ("torchvision._meta_registrations", "torchvision._autograd_registrations"):
        del sys.modules[_n]
import torchvision  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from memtrack import LiveTracker, breakdown_by_saver, module_storages, saved, savers  # noqa: E402

name, b, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
torch.manual_seed(0)
kw = {"image_size": size} if name.startswith("vit") and size != 224 else {}
model = getattr(torchvision.models, name)(**kw).train()
ex = module_storages(model)
tr = LiveTracker(ex, model.parameters())
with tr:
    x = torch.randn(b, 3, size, size)
    with saved(tr, ex) as seen:
        out = model(x)
    by = savers([out])
    del out
res = {"torch": torch.__version__, "saved_total": sum(nb for nb, _ in seen.values()), "saved": breakdown_by_saver(seen, by)}


class PeakSnap(LiveTracker):
    def _track(self, t, info):
        before = self.peak
        super()._track(t, info)
        if self.peak > before:
            self.snap = self.live_by()


model.eval()
with torch.no_grad():
    tr = PeakSnap(ex)
    with tr:
        x = torch.randn(b, 3, size, size)
        out = model(x)
        del x, out
res["infer_peak"] = tr.peak
res["infer_live_at_peak"] = tr.snap
print(json.dumps(res, indent=1))
