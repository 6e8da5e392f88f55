#!/usr/bin/env python3
"""CPU ground truth for vramfit's DETR graph (src/vision/models/detr.ts), torch 2.13 CPU.

DETR is written here from its published structure (facebookresearch/detr @ 29901c51: torchvision ResNet with
FrozenBatchNorm2d, conv1/layer1 frozen; 1x1 input projection; sine position embedding from the padding mask;
6 post-norm encoder layers and 6 decoder layers over nn.MultiheadAttention (sequence-first, need_weights left
True, dropout 0.1); the decoder norm after every layer; class Linear and a 3-layer box MLP on all 6 outputs).
Only the model forward is measured (no matcher or loss): saved bytes of autograd (distinct storages, parameters
and buffers excluded) in train mode and the live peak of an eval forward under no_grad, counted with
bench/torch2/memtrack.py. Input: an unpadded batch (mask all False), already normalised (DETR normalises in the
data loader).

Run: /work/venv-t2/bin/python bench/vision/detr_truth.py > bench/vision/detr-cpu-torch2.jsonl
"""
import json
import math
import os
import sys
import types

for _n in ("torchvision._meta_registrations", "torchvision._autograd_registrations"):
    sys.modules[_n] = types.ModuleType(_n)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import torchvision  # noqa: E402
from torchvision.ops.misc import FrozenBatchNorm2d  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "torch2"))
from memtrack import saved_and_infer_peak  # noqa: E402


class Enc(nn.Module):
    def __init__(self, d=256, h=8, f=2048, p=0.1):
        super().__init__()
        self.attn = nn.MultiheadAttention(d, h, dropout=p)
        self.l1, self.l2 = nn.Linear(d, f), nn.Linear(f, d)
        self.n1, self.n2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.d0, self.d1, self.d2 = nn.Dropout(p), nn.Dropout(p), nn.Dropout(p)

    def forward(self, x, mask, pos):
        qk = x + pos
        a = self.attn(qk, qk, value=x, key_padding_mask=mask)[0]
        x = self.n1(x + self.d1(a))
        y = self.l2(self.d0(F.relu(self.l1(x))))
        return self.n2(x + self.d2(y))


class Dec(nn.Module):
    def __init__(self, d=256, h=8, f=2048, p=0.1):
        super().__init__()
        self.sa = nn.MultiheadAttention(d, h, dropout=p)
        self.ca = nn.MultiheadAttention(d, h, dropout=p)
        self.l1, self.l2 = nn.Linear(d, f), nn.Linear(f, d)
        self.n1, self.n2, self.n3 = nn.LayerNorm(d), nn.LayerNorm(d), nn.LayerNorm(d)
        self.d0, self.d1, self.d2, self.d3 = nn.Dropout(p), nn.Dropout(p), nn.Dropout(p), nn.Dropout(p)

    def forward(self, t, mem, mask, pos, qpos):
        qk = t + qpos
        t = self.n1(t + self.d1(self.sa(qk, qk, value=t)[0]))
        c = self.ca(query=t + qpos, key=mem + pos, value=mem, key_padding_mask=mask)[0]
        t = self.n2(t + self.d2(c))
        y = self.l2(self.d0(F.relu(self.l1(t))))
        return self.n3(t + self.d3(y))


class Detr(nn.Module):
    def __init__(self, depth=50, dc5=False, classes=91, queries=100, d=256):
        super().__init__()
        ctor = {50: torchvision.models.resnet50, 101: torchvision.models.resnet101}[depth]
        r = ctor(replace_stride_with_dilation=[False, False, dc5], norm_layer=FrozenBatchNorm2d)
        for name, p in r.named_parameters():
            if "layer2" not in name and "layer3" not in name and "layer4" not in name:
                p.requires_grad_(False)
        self.body = nn.Sequential(r.conv1, r.bn1, r.relu, r.maxpool, r.layer1, r.layer2, r.layer3, r.layer4)
        self.proj = nn.Conv2d(2048, d, 1)
        self.enc = nn.ModuleList([Enc() for _ in range(6)])
        self.dec = nn.ModuleList([Dec() for _ in range(6)])
        self.dnorm = nn.LayerNorm(d)
        self.query = nn.Embedding(queries, d)
        self.cls = nn.Linear(d, classes + 1)
        self.box = nn.ModuleList([nn.Linear(d, d), nn.Linear(d, d), nn.Linear(d, 4)])
        self.d = d

    def pos_embed(self, mask):
        # sine embedding, normalize=True, temperature 10000, num_pos_feats d/2
        npf = self.d // 2
        not_mask = ~mask
        y = not_mask.cumsum(1, dtype=torch.float32)
        x = not_mask.cumsum(2, dtype=torch.float32)
        eps, scale = 1e-6, 2 * math.pi
        y = y / (y[:, -1:, :] + eps) * scale
        x = x / (x[:, :, -1:] + eps) * scale
        dim_t = torch.arange(npf, dtype=torch.float32)
        dim_t = 10000 ** (2 * (dim_t // 2) / npf)
        px, py = x[:, :, :, None] / dim_t, y[:, :, :, None] / dim_t
        px = torch.stack((px[:, :, :, 0::2].sin(), px[:, :, :, 1::2].cos()), dim=4).flatten(3)
        py = torch.stack((py[:, :, :, 0::2].sin(), py[:, :, :, 1::2].cos()), dim=4).flatten(3)
        return torch.cat((py, px), dim=3).permute(0, 3, 1, 2)

    def forward(self, img):
        n = img.shape[0]
        f = self.body(img)
        mask = torch.zeros(n, img.shape[2], img.shape[3], dtype=torch.bool)
        mask = F.interpolate(mask[None].float(), size=f.shape[-2:]).to(torch.bool)[0]
        with torch.no_grad():
            pos = self.pos_embed(mask).to(f.dtype)
        src = self.proj(f).flatten(2).permute(2, 0, 1)
        pos = pos.flatten(2).permute(2, 0, 1)
        m = mask.flatten(1)
        for layer in self.enc:
            src = layer(src, m, pos)
        qpos = self.query.weight.unsqueeze(1).repeat(1, n, 1)
        t = torch.zeros_like(qpos)
        inter = []
        for layer in self.dec:
            t = layer(t, src, m, pos, qpos)
            inter.append(self.dnorm(t))
        hs = torch.stack(inter).transpose(1, 2)
        logits = self.cls(hs)
        b = F.relu(self.box[0](hs))
        b = F.relu(self.box[1](b))
        return logits, self.box[2](b).sigmoid()


def measure(model, shape):
    return saved_and_infer_peak(model, shape)


CASES = [("detr_resnet50", 50, False, [(1, 256, 320), (2, 320, 320)]), ("detr_resnet50_dc5", 50, True, [(1, 256, 256)]), ("detr_resnet101", 101, False, [(1, 256, 320)])]

if __name__ == "__main__":
    torch.manual_seed(0)
    for name, depth, dc5, shapes in CASES:
        model = Detr(depth, dc5)
        params = sum(p.numel() for p in model.parameters())
        for (b, h, w) in shapes:
            sb, peak = measure(model, (b, 3, h, w))
            print(json.dumps(dict(model=name, params=params, batch=b, image=[h, w], dtype="fp32", saved_bytes=sb, infer_peak_bytes=peak,
                                  torch=torch.__version__, torchvision=torchvision.__version__ + " (python model definitions)", threads=torch.get_num_threads(),
                                  command="/work/venv-t2/bin/python bench/vision/detr_truth.py > bench/vision/detr-cpu-torch2.jsonl")), flush=True)
