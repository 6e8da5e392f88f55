"""Exact parameter counts of every diffusion component config in src/catalog/diffusion, by building the
module on the meta device with diffusers (v0.35.1, commit 0f252be0ed42006c125ef4429156cb13ae6c1d60, run from a
source checkout) and transformers 5.18.0, and counting `p.numel()` per module kind (nn.Linear weights, their
biases, convolutions, norms, embeddings, other). Writes bench/diffusion/params.json, which the specs read.

Run: PYTHONPATH=<diffusers>/src python3 bench/diffusion/params.py
(Pillow is not needed: a stub PIL package on the path is enough, no image is touched.)
"""
import json
import os
import sys

import torch
import diffusers
import transformers

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
CAT = os.path.join(ROOT, "src", "catalog", "diffusion")

# Text encoders whose config.json is not in the catalog: dims from components.json (Wan's UMT5-XXL).
UMT5_XXL = dict(vocab_size=256384, d_model=4096, d_kv=64, d_ff=10240, num_layers=24, num_heads=64,
                feed_forward_proj="gated-gelu", relative_attention_num_buckets=32, is_encoder_decoder=False)


def kinds(model):
    out = {"linear_weight": 0, "linear_bias": 0, "conv": 0, "norm": 0, "embedding": 0, "other": 0}
    seen = set()
    for mod in model.modules():
        for name, p in mod.named_parameters(recurse=False):
            if id(p) in seen:
                continue
            seen.add(id(p))
            n = p.numel()
            if isinstance(mod, torch.nn.Linear):
                out["linear_weight" if name == "weight" else "linear_bias"] += n
            elif isinstance(mod, (torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.Conv3d, torch.nn.ConvTranspose2d)):
                out["conv"] += n
            elif "norm" in type(mod).__name__.lower() or isinstance(mod, (torch.nn.LayerNorm, torch.nn.GroupNorm)):
                out["norm"] += n
            elif isinstance(mod, torch.nn.Embedding):
                out["embedding"] += n
            else:
                out["other"] += n
    out["total"] = sum(out.values())
    # Buffers travel with the weights (.to(device, dtype) moves and casts floating ones): SD3's pos_embed.
    out["buffers"] = {n: [list(b.shape), str(b.dtype).replace("torch.", "")] for n, b in model.named_buffers()}
    assert out["total"] == sum(p.numel() for p in model.parameters()), "shared parameters"
    return out


def build(cls_name, cfg):
    with torch.device("meta"):
        if hasattr(diffusers, cls_name):
            cls = getattr(diffusers, cls_name)
            cfg = {k: v for k, v in cfg.items() if not k.startswith("_") and k != "quantization_config"}
            return cls.from_config(cfg)
        cls = getattr(transformers, cls_name)
        conf_cls = cls.config_class
        cfg = {k: v for k, v in cfg.items() if k not in ("quantization_config", "architectures")}
        return cls(conf_cls(**cfg))


def main():
    result = {"diffusers": diffusers.__version__, "transformers": transformers.__version__, "torch": torch.__version__, "files": {}}
    done = {}
    for model in sorted(os.listdir(CAT)):
        comp_file = os.path.join(CAT, model, "components.json")
        if not os.path.exists(comp_file):
            continue
        comps = json.load(open(comp_file))["components"]
        for name, c in comps.items():
            key = c.get("config")
            cls = c["class"]
            if key is None and cls == "UMT5EncoderModel":
                key, cfg = "umt5-xxl (components.json dims)", UMT5_XXL
            elif key is None and cls in ("AutoencoderKLWan", "AutoencoderKLHunyuanVideo"):
                key, cfg = "class defaults", {}
            elif key is None:
                continue
            else:
                cfg = json.load(open(os.path.join(CAT, key)))
            if (key, cls) in done:
                continue
            m = build(cls, cfg)
            done[(key, cls)] = True
            result["files"][f"{key}#{cls}"] = kinds(m)
            r = result["files"][f"{key}#{cls}"]
            print(key, cls, r["total"], {k: v for k, v in r.items() if k not in ("total",)}, file=sys.stderr)
    json.dump(result, open(os.path.join(os.path.dirname(__file__), "params.json"), "w"), indent=1)


if __name__ == "__main__":
    main()
