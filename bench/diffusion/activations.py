"""CPU ground truth for the diffusion layer graphs (src/diffusion/architectures.ts): the peak of live activation
bytes (no_grad inference) and, for training cases, the saved-for-backward bytes, of real diffusers v0.35.1 /
transformers 5.18.0 modules built from the catalog configs (some shrunk to fewer layers so they fit a CPU),
measured with bench/torch2/memtrack.py's LiveTracker (storages counted once; parameters excluded).

Convolutional models run in fp32 (bf16 convolutions have no fast CPU kernel here); the DiTs and T5 in bf16.
Writes bench/diffusion/activations.json; src/diffusion/activations.spec.ts compares vramfit with it (`python3 activations.py <id>...` re-runs some cases in place).
Run: PYTHONPATH=<diffusers>/src python3 bench/diffusion/activations.py
"""
import copy
import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "torch2"))
from memtrack import LiveTracker, module_storages, saved  # noqa: E402

import diffusers  # noqa: E402
import transformers  # noqa: E402

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
CAT = os.path.join(ROOT, "src", "catalog", "diffusion")
DT = {"fp32": torch.float32, "bf16": torch.bfloat16}


def cfg(path, **over):
    c = json.load(open(os.path.join(CAT, path)))
    c = {k: v for k, v in c.items() if not k.startswith("_") and k not in ("quantization_config", "architectures")}
    c.update(over)
    return c


def build(cls_name, c, dtype):
    torch.manual_seed(0)
    if hasattr(diffusers, cls_name):
        m = getattr(diffusers, cls_name).from_config(c)
    else:
        cls = getattr(transformers, cls_name)
        kw = {"attn_implementation": "sdpa"} if cls_name.startswith("CLIP") else {}
        m = cls(cls.config_class(**c), **kw) if not kw else cls._from_config(cls.config_class(**c), **kw)
    return m.to(DT[dtype]).eval()


def run(case):
    dtype = DT[case["dtype"]]
    m = build(case["class"], cfg(case["config"], **case.get("override", {})), case["dtype"])
    excl = module_storages(m)
    kind = case["kind"]
    b = case["batch"]
    tr = LiveTracker(excluded=excl)
    with torch.no_grad(), tr:
        if kind == "vae_decoder":
            z = torch.randn(b, m.config.latent_channels, case["h"], case["w"], dtype=dtype)
            out = m.decode(z).sample
        elif kind == "unet":
            c = m.config
            x = torch.randn(b, c.in_channels, case["h"], case["w"], dtype=dtype)
            ctx = torch.randn(b, case["ctx"], c.cross_attention_dim, dtype=dtype)
            t = torch.tensor([500.0] * b)
            extra = {}
            if c.addition_embed_type == "text_time":
                extra = {"added_cond_kwargs": {"text_embeds": torch.randn(b, 1280, dtype=dtype), "time_ids": torch.randn(b, 6, dtype=dtype)}}
            out = m(x, t, ctx, **extra).sample
        elif kind == "flux":
            c = m.config
            s = (case["h"] // 2) * (case["w"] // 2)
            x = torch.randn(b, s, c.in_channels, dtype=dtype)
            ctx = torch.randn(b, case["txt"], c.joint_attention_dim, dtype=dtype)
            pooled = torch.randn(b, c.pooled_projection_dim, dtype=dtype)
            img_ids = torch.zeros(s, 3)
            txt_ids = torch.zeros(case["txt"], 3)
            g = torch.full((b,), 3.5) if c.guidance_embeds else None
            out = m(hidden_states=x, encoder_hidden_states=ctx, pooled_projections=pooled, timestep=torch.full((b,), 0.5), img_ids=img_ids, txt_ids=txt_ids, guidance=g).sample
        elif kind == "sd3":
            c = m.config
            x = torch.randn(b, c.in_channels, case["h"], case["w"], dtype=dtype)
            ctx = torch.randn(b, case["txt"], c.joint_attention_dim, dtype=dtype)
            pooled = torch.randn(b, c.pooled_projection_dim, dtype=dtype)
            out = m(hidden_states=x, encoder_hidden_states=ctx, pooled_projections=pooled, timestep=torch.full((b,), 500.0)).sample
        elif kind == "wan":
            c = m.config
            x = torch.randn(b, c.in_channels, case["frames"], case["h"], case["w"], dtype=dtype)
            ctx = torch.randn(b, case["txt"], c.text_dim, dtype=dtype)
            out = m(hidden_states=x, timestep=torch.full((b,), 500.0), encoder_hidden_states=ctx).sample
        elif kind == "clip":
            ids = torch.randint(0, 1000, (b, m.config.max_position_embeddings))
            out = m(ids).last_hidden_state
        elif kind == "t5":
            ids = torch.randint(0, 1000, (b, case["seq"]))
            out = m(ids).last_hidden_state
        else:
            raise ValueError(kind)
    return {"peak_bytes": tr.peak, "output_bytes": out.untyped_storage().nbytes()}


CASES = [
    {"id": "vae-sd15-fp32-32", "kind": "vae_decoder", "class": "AutoencoderKL", "config": "sd-1.5/vae/config.json", "dtype": "fp32", "batch": 1, "h": 32, "w": 32},
    {"id": "vae-sd15-fp32-b2-24x40", "kind": "vae_decoder", "class": "AutoencoderKL", "config": "sd-1.5/vae/config.json", "dtype": "fp32", "batch": 2, "h": 24, "w": 40},
    {"id": "vae-flux-fp32-32", "kind": "vae_decoder", "class": "AutoencoderKL", "config": "flux.1-schnell/vae/config.json", "dtype": "fp32", "batch": 1, "h": 32, "w": 32},
    {"id": "unet-sd15-fp32-16-b2", "kind": "unet", "class": "UNet2DConditionModel", "config": "sd-1.5/unet/config.json", "dtype": "fp32", "batch": 2, "h": 16, "w": 16, "ctx": 77},
    {"id": "unet-sdxl-1layer-fp32-16-b2", "kind": "unet", "class": "UNet2DConditionModel", "config": "sdxl-base/unet/config.json", "override": {"transformer_layers_per_block": [1, 1, 1]}, "dtype": "fp32", "batch": 2, "h": 16, "w": 16, "ctx": 77},
    {"id": "flux-2+2-bf16-32", "kind": "flux", "class": "FluxTransformer2DModel", "config": "flux.1-dev/transformer/config.json", "override": {"num_layers": 2, "num_single_layers": 2}, "dtype": "bf16", "batch": 1, "h": 32, "w": 32, "txt": 64},
    {"id": "sd35m-3-bf16-32", "kind": "sd3", "class": "SD3Transformer2DModel", "config": "sd3.5-medium/transformer/config.json", "override": {"num_layers": 3, "dual_attention_layers": [0]}, "dtype": "bf16", "batch": 2, "h": 32, "w": 32, "txt": 64},
    {"id": "wan13-2-bf16", "kind": "wan", "class": "WanTransformer3DModel", "config": "wan2.1-1.3b/transformer/config.json", "override": {"num_layers": 2}, "dtype": "bf16", "batch": 1, "frames": 3, "h": 16, "w": 16, "txt": 64},
    {"id": "flux-2+2-bf16-32-b2", "kind": "flux", "class": "FluxTransformer2DModel", "config": "flux.1-dev/transformer/config.json", "override": {"num_layers": 2, "num_single_layers": 2}, "dtype": "bf16", "batch": 2, "h": 32, "w": 32, "txt": 64},
    {"id": "sd3m-2-bf16-32-b1", "kind": "sd3", "class": "SD3Transformer2DModel", "config": "sd3-medium/transformer/config.json", "override": {"num_layers": 2}, "dtype": "bf16", "batch": 1, "h": 32, "w": 32, "txt": 64},
    {"id": "unet-sd21-fp32-16x24-b2", "kind": "unet", "class": "UNet2DConditionModel", "config": "sd-2.1/unet/config.json", "dtype": "fp32", "batch": 2, "h": 16, "w": 24, "ctx": 77},
    {"id": "clip-bigg-2-fp32-b2", "kind": "clip", "class": "CLIPTextModelWithProjection", "config": "sdxl-base/text_encoder_2/config.json", "override": {"num_hidden_layers": 2}, "dtype": "fp32", "batch": 2},
    {"id": "clip-l-fp32-b2", "kind": "clip", "class": "CLIPTextModel", "config": "sd-1.5/text_encoder/config.json", "dtype": "fp32", "batch": 2},
    {"id": "t5-2-bf16-64", "kind": "t5", "class": "T5EncoderModel", "config": "flux.1-schnell/text_encoder_2/config.json", "override": {"num_layers": 2}, "dtype": "bf16", "batch": 1, "seq": 64},
]


def main():
    torch.set_num_threads(2)
    out = {"diffusers": diffusers.__version__, "transformers": transformers.__version__, "torch": torch.__version__, "cases": []}
    only = sys.argv[1:]
    for case in CASES:
        if only and case["id"] not in only:
            continue
        r = run(case)
        out["cases"].append({**case, **r})
        print(case["id"], r, file=sys.stderr)
    path = os.path.join(os.path.dirname(__file__), "activations.json")
    if only:
        # Re-run some cases: replace (or add) them in the existing file, keeping the CASES order.
        old = json.load(open(path))
        assert (old["diffusers"], old["transformers"], old["torch"]) == (out["diffusers"], out["transformers"], out["torch"]), "versions differ: re-run every case"
        got = {c["id"]: c for c in old["cases"] + out["cases"]}
        out["cases"] = [got[c["id"]] for c in CASES if c["id"] in got]
    json.dump(out, open(path, "w"), indent=1)


if __name__ == "__main__":
    main()
