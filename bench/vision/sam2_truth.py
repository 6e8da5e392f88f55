#!/usr/bin/env python3
"""CPU ground truth for vramfit's SAM 2 image encoder (src/vision/models/sam2.ts): transformers 5.18 Sam2VisionModel
(torch 2.13 CPU, SDPA) configured with the sam2.1_hiera_t / _s trunk settings (facebookresearch/sam2 configs/sam2.1).
Measured: parameter count and autograd's saved bytes of a train-mode forward (distinct storages, parameters and
buffers excluded; bench/torch2/memtrack.py). No eval peak: transformers' Sam2MultiScaleAttention also computes an eager
softmax it then discards (a transient the sam2 repository does not have), so its live peak is not the sam2 one.

Run: /work/venv-t2/bin/python bench/vision/sam2_truth.py > bench/vision/sam2-cpu-torch2.jsonl
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "torch2"))
import transformers_cpu  # noqa: E402,F401  (before transformers)
import transformers  # noqa: E402
import torch  # noqa: E402
from transformers.models.sam2.configuration_sam2 import Sam2HieraDetConfig, Sam2VisionConfig  # noqa: E402
from transformers.models.sam2.modeling_sam2 import Sam2VisionModel  # noqa: E402

from memtrack import LiveTracker, module_storages, saved  # noqa: E402

SIZES = {"t": (96, 1, [1, 2, 7, 2], [5, 7, 9], [8, 4, 14, 7], [7, 7]), "s": (96, 1, [1, 2, 11, 2], [7, 10, 13], [8, 4, 14, 7], [7, 7])}

if __name__ == "__main__":
    torch.manual_seed(0)
    for k, (e, h, st, g, w, bk) in SIZES.items():
        bc = Sam2HieraDetConfig(hidden_size=e, num_attention_heads=h, blocks_per_stage=st, embed_dim_per_stage=[e, 2 * e, 4 * e, 8 * e],
                                num_attention_heads_per_stage=[h, 2 * h, 4 * h, 8 * h], window_size_per_stage=w, global_attention_blocks=g,
                                window_positional_embedding_background_size=bk)
        m = Sam2VisionModel(Sam2VisionConfig(backbone_config=bc, backbone_channel_list=[8 * e, 4 * e, 2 * e, e]))
        m.train()
        ex = module_storages(m)
        tr = LiveTracker(ex, m.parameters())
        with tr:
            x = torch.randn(1, 3, 512, 512)
            with saved(tr, ex) as seen:
                out = m(pixel_values=x)
            del out
        print(json.dumps(dict(model=f"sam2.1_hiera_{k}", params=sum(p.numel() for p in m.parameters()), batch=1, image=[512, 512], dtype="fp32", attention="sdpa",
                              saved_bytes=sum(nb for nb, _ in seen.values()), torch=torch.__version__, transformers=transformers.__version__,
                              command="/work/venv-t2/bin/python bench/vision/sam2_truth.py > bench/vision/sam2-cpu-torch2.jsonl")), flush=True)
