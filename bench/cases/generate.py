#!/usr/bin/env python3
"""Write the case files gpu-h100.json and cpu-smoke.json from the compact tables below.

    python3 bench/cases/generate.py      # rewrites both files beside this script

The JSON files are the contract (run_cases.py and vramfit's accuracy script read them); this script
only keeps them consistent: ids built the same way, every workload key present, snake_case as in
vramfit's `workload` JSON. Ids: <model>-<mode>-b<batch>-s<seq>|i<image>-<precision or dtype>
[-<optimizer>[-<impl>]][-ckpt][-lora<rank>[-<targets>]][-qlora][-nf4][-gen<new tokens>][-<attention if not sdpa>].
"""
from __future__ import annotations

import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def workload(mode, batch, dtype, *, seq=None, image=None, precision=None, optimizer=None, optimizer_impl=None,
             checkpointing=None, attention="sdpa", lora_rank=None, lora_targets=None, qlora=None, quant=None,
             logits=None):
    train = mode == "train"
    return {
        "mode": mode, "batch": batch, "seq": seq, "dtype": dtype, "precision": precision,
        "optimizer": optimizer,
        # PyTorch's default on CUDA is the multi-tensor (foreach) implementation.
        "optimizer_impl": (optimizer_impl or "foreach") if train else None,
        "checkpointing": bool(checkpointing) if train else None, "attention": attention,
        "lora_rank": lora_rank, "lora_alpha": 2 * lora_rank if lora_rank else None,
        "lora_dropout": 0 if lora_rank else None, "lora_targets": lora_targets,
        "qlora": bool(qlora) if train and image is None else None, "quant": quant, "image": image,
        "logits": logits,
    }


def llm_infer(model, batch, seq, dtype="bf16", new_tokens=None, attention="sdpa", quant=None, layers=None):
    # A plain forward returns logits for every position ("all"); generate() only for the last ("last").
    w = workload("infer", batch, dtype, seq=seq, attention=attention, quant=quant,
                 logits="all" if new_tokens is None else "last")
    parts = [model, "infer", f"b{batch}", f"s{seq}", quant or dtype]
    if new_tokens:
        parts.append(f"gen{new_tokens}")
    if attention != "sdpa":
        parts.append(attention)
    return {"id": "-".join(parts), "kind": "llm_infer", "source": "transformers", "model": model,
            "layers": layers, "new_tokens": new_tokens, "workload": w}


def llm_train(model, batch, seq, precision, optimizer="adamw", ckpt=False, lora=None, targets=None,
              qlora=False, impl=None, layers=None):
    dtype = {"fp32": "fp32", "amp-bf16": "bf16", "amp-fp16": "fp16", "bf16": "bf16"}[precision]
    w = workload("train", batch, dtype, seq=seq, precision=precision, optimizer=optimizer, optimizer_impl=impl,
                 checkpointing=ckpt, lora_rank=lora, lora_targets=targets, qlora=qlora, logits="all")
    parts = [model, "train", f"b{batch}", f"s{seq}", precision, optimizer] + ([impl] if impl else [])
    if ckpt:
        parts.append("ckpt")
    if lora:
        parts.append(f"lora{lora}")
        parts.append("all" if targets in (None, "all-linear") else targets.replace("_proj", "").replace(",", ""))
    if qlora:
        parts.append("qlora")
    return {"id": "-".join(parts), "kind": "llm_train", "source": "transformers", "model": model,
            "layers": layers, "new_tokens": None, "workload": w}


def vision_infer(model, batch, image, dtype="fp32", source="torchvision"):
    w = workload("infer", batch, dtype, image=image)
    img = image if isinstance(image, str) else f"{image}"
    mid = model if source == "torchvision" else f"timm-{model}"
    return {"id": f"{mid}-infer-b{batch}-i{img}-{dtype}", "kind": "vision_infer", "source": source,
            "model": model, "layers": None, "new_tokens": None, "workload": w}


def vision_train(model, batch, image, precision="fp32", optimizer="sgd-momentum", ckpt=False, source="torchvision",
                 impl=None):
    dtype = {"fp32": "fp32", "amp-bf16": "bf16", "amp-fp16": "fp16", "bf16": "bf16"}[precision]
    w = workload("train", batch, dtype, image=image, precision=precision, optimizer=optimizer,
                 optimizer_impl=impl, checkpointing=ckpt)
    mid = model if source == "torchvision" else f"timm-{model}"
    parts = [mid, "train", f"b{batch}", f"i{image}", precision, optimizer] + ([impl] if impl else [])
    parts += ["ckpt"] if ckpt else []
    return {"id": "-".join(parts), "kind": "vision_train", "source": source, "model": model,
            "layers": None, "new_tokens": None, "workload": w}


def gpu_h100() -> list[dict]:
    """Small to large models that fit one 80 GB H100, about 20 minutes of device time in all."""
    return [
        # LLM inference: prefill (forward over the whole prompt, KV cache kept, logits for every position)
        llm_infer("qwen3-0.6b", 1, 1024),
        llm_infer("qwen3-0.6b", 16, 1024),
        llm_infer("qwen3-0.6b", 1, 1024, dtype="fp32"),
        llm_infer("llama-3.2-1b", 1, 512),
        llm_infer("llama-3.2-1b", 1, 2048),
        llm_infer("llama-3.2-1b", 4, 2048),
        llm_infer("llama-3.2-1b", 8, 4096),
        llm_infer("llama-3.2-1b", 4, 2048, dtype="fp16"),
        llm_infer("llama-3.2-1b", 1, 2048, attention="eager"),
        llm_infer("qwen2.5-1.5b", 1, 1024),
        llm_infer("qwen2.5-1.5b", 4, 4096),
        llm_infer("gemma-2-2b", 1, 2048),
        llm_infer("llama-3.2-3b", 2, 4096),
        llm_infer("phi-3-mini", 1, 2048),
        llm_infer("qwen2.5-7b", 1, 2048),
        llm_infer("qwen2.5-7b", 4, 4096),
        llm_infer("mistral-7b-v0.3", 1, 4096),
        llm_infer("llama-3.1-8b", 1, 2048),
        llm_infer("llama-3.1-8b", 2, 8192),
        # LLM inference: generate (prefill + decode with the KV cache; seq = prompt + new tokens)
        llm_infer("llama-3.2-1b", 1, 768, new_tokens=256),
        llm_infer("llama-3.2-1b", 8, 2048, new_tokens=128),
        llm_infer("qwen2.5-7b", 1, 1024, new_tokens=128),
        llm_infer("qwen2.5-7b", 4, 4096, new_tokens=128),
        llm_infer("llama-3.1-8b", 1, 2048, new_tokens=256),
        llm_infer("llama-3.1-8b", 16, 1024, new_tokens=128),
        llm_infer("qwen3-8b", 1, 4096, new_tokens=128),
        llm_infer("llama-3.1-8b", 1, 2048, quant="nf4", new_tokens=128),
        # LLM full training: precision policies, optimizers, checkpointing
        llm_train("qwen3-0.6b", 4, 1024, "fp32"),
        llm_train("qwen3-0.6b", 4, 1024, "amp-bf16"),
        llm_train("qwen3-0.6b", 4, 1024, "amp-fp16"),
        llm_train("qwen3-0.6b", 4, 1024, "bf16"),
        llm_train("qwen3-0.6b", 4, 1024, "amp-bf16", optimizer="sgd"),
        llm_train("qwen3-0.6b", 4, 1024, "amp-bf16", optimizer="sgd-momentum"),
        llm_train("qwen3-0.6b", 4, 1024, "amp-bf16", optimizer="adamw-8bit"),
        llm_train("qwen3-0.6b", 4, 1024, "amp-bf16", impl="fused"),
        llm_train("qwen3-0.6b", 4, 1024, "amp-bf16", ckpt=True),
        llm_train("qwen3-0.6b", 8, 2048, "bf16", ckpt=True),
        llm_train("llama-3.2-1b", 2, 2048, "amp-bf16"),
        llm_train("llama-3.2-1b", 4, 1024, "bf16"),
        llm_train("llama-3.2-1b", 8, 2048, "bf16", ckpt=True),
        llm_train("llama-3.2-1b", 2, 1024, "fp32", optimizer="sgd"),
        llm_train("qwen2.5-1.5b", 4, 1024, "bf16"),
        llm_train("qwen2.5-1.5b", 4, 2048, "amp-bf16", ckpt=True),
        llm_train("llama-3.2-3b", 2, 1024, "bf16"),
        llm_train("llama-3.2-3b", 1, 1024, "amp-bf16", ckpt=True),
        # LoRA / QLoRA (base frozen in bf16; QLoRA needs bitsandbytes and is skipped without it)
        llm_train("llama-3.2-1b", 4, 1024, "bf16", lora=16, targets="q_proj,v_proj"),
        llm_train("llama-3.2-1b", 4, 1024, "amp-bf16", ckpt=True, lora=16, targets="all-linear"),
        llm_train("qwen2.5-1.5b", 8, 1024, "bf16", lora=8, targets="q_proj,v_proj"),
        llm_train("qwen2.5-3b", 2, 2048, "bf16", lora=16, targets="all-linear"),
        llm_train("llama-3.2-3b", 4, 2048, "bf16", ckpt=True, lora=16, targets="all-linear"),
        llm_train("llama-3.2-3b", 2, 1024, "bf16", lora=64, targets="q_proj,k_proj,v_proj,o_proj"),
        llm_train("qwen2.5-7b", 2, 1024, "bf16", ckpt=True, lora=8, targets="all-linear"),
        llm_train("llama-3.1-8b", 1, 2048, "bf16", ckpt=True, lora=16, targets="q_proj,v_proj"),
        llm_train("llama-3.1-8b", 1, 2048, "bf16", ckpt=True, lora=16, targets="all-linear", qlora=True),
        # Vision inference
        vision_infer("resnet50", 32, 224),
        vision_infer("resnet50", 32, 224, dtype="fp16"),
        vision_infer("resnet50", 8, 512),
        vision_infer("vit_b_16", 32, 224),
        vision_infer("vit_b_16", 8, 384, dtype="fp16"),
        vision_infer("convnext_tiny", 32, 224, source="timm"),
        vision_infer("convnext_tiny", 16, 512, dtype="bf16", source="timm"),
        vision_infer("fasterrcnn_resnet50_fpn", 1, "1333x800"),
        vision_infer("fasterrcnn_resnet50_fpn", 4, 640),
        # Vision training at several image sizes
        vision_train("resnet50", 32, 224),
        vision_train("resnet50", 64, 224, precision="amp-fp16"),
        vision_train("resnet50", 32, 320, precision="amp-bf16"),
        vision_train("resnet50", 16, 448, precision="amp-bf16"),
        vision_train("vit_b_16", 32, 224, precision="amp-bf16", optimizer="adamw"),
        vision_train("vit_b_16", 16, 224, optimizer="adamw"),
        vision_train("convnext_tiny", 32, 224, precision="amp-bf16", optimizer="adamw", source="timm"),
        vision_train("convnext_tiny", 16, 384, precision="amp-bf16", optimizer="adamw", source="timm"),
        vision_train("convnext_tiny", 8, 512, precision="amp-bf16", optimizer="adamw", source="timm"),
        vision_train("convnext_tiny", 32, 224, precision="amp-bf16", optimizer="adamw", ckpt=True, source="timm"),
        vision_train("fasterrcnn_resnet50_fpn", 2, "1333x800"),
        vision_train("fasterrcnn_resnet50_fpn", 4, 640),
        vision_train("fasterrcnn_resnet50_fpn", 2, "1333x800", precision="amp-fp16"),
    ]


def cpu_smoke() -> list[dict]:
    """Tiny models (2 layers, short sequences, small images): every code path of the harness once."""
    L = 2
    return [
        llm_infer("gpt2", 1, 32, dtype="fp32", layers=L),
        llm_infer("qwen3-0.6b", 2, 32, layers=L),
        llm_infer("llama-3.2-1b", 1, 32, dtype="fp16", layers=L),
        llm_infer("llama-3.2-1b", 1, 32, attention="eager", layers=L),
        llm_infer("llama-3.2-1b", 1, 24, new_tokens=8, layers=L),
        llm_infer("llama-3.2-1b", 1, 24, quant="nf4", new_tokens=8, layers=L),
        llm_train("gpt2", 2, 32, "fp32", layers=L),
        llm_train("qwen3-0.6b", 2, 32, "amp-bf16", layers=L),
        llm_train("qwen3-0.6b", 2, 32, "amp-fp16", layers=L),
        llm_train("qwen3-0.6b", 2, 32, "bf16", optimizer="sgd", layers=L),
        llm_train("qwen3-0.6b", 2, 32, "bf16", optimizer="sgd-momentum", layers=L),
        llm_train("qwen3-0.6b", 2, 32, "amp-bf16", impl="fused", layers=L),
        llm_train("qwen3-0.6b", 2, 32, "amp-bf16", optimizer="adamw-8bit", layers=L),
        llm_train("llama-3.2-1b", 2, 32, "bf16", ckpt=True, layers=L),
        llm_train("llama-3.2-1b", 2, 32, "bf16", lora=8, targets="q_proj,v_proj", layers=L),
        llm_train("llama-3.2-1b", 2, 32, "amp-bf16", ckpt=True, lora=8, targets="all-linear", layers=L),
        llm_train("llama-3.2-1b", 2, 32, "bf16", lora=8, targets="all-linear", qlora=True, layers=L),
        vision_infer("resnet50", 2, 64),
        vision_infer("resnet50", 2, 64, dtype="bf16"),
        vision_infer("vit_b_16", 2, 64),
        vision_infer("convnext_tiny", 2, 64, source="torchvision"),
        vision_infer("convnext_tiny", 2, 64, source="timm"),
        vision_infer("fasterrcnn_resnet50_fpn", 1, 128),
        vision_train("resnet50", 2, 64),
        vision_train("resnet50", 2, 64, precision="amp-fp16"),
        vision_train("vit_b_16", 2, 64, precision="amp-bf16", optimizer="adamw"),
        vision_train("vit_b_16", 2, 64, precision="bf16", optimizer="sgd"),
        vision_train("resnet50", 2, 64, precision="amp-bf16", optimizer="adamw", impl="for-loop"),
        vision_train("convnext_tiny", 2, 64, precision="amp-bf16", optimizer="adamw", ckpt=True, source="timm"),
        vision_train("resnet50", 2, 64, ckpt=True),
        vision_train("fasterrcnn_resnet50_fpn", 1, 128),
        vision_train("fasterrcnn_resnet50_fpn", 1, "160x128", precision="amp-bf16"),
    ]


def write(name: str, description: str, cases: list[dict]) -> None:
    ids = [c["id"] for c in cases]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise SystemExit(f"duplicate ids in {name}: {sorted(dupes)}")
    path = os.path.join(HERE, name)
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"description": description, "cases": cases}, f, indent=1)
        f.write("\n")
    print(f"{path}: {len(cases)} cases")


if __name__ == "__main__":
    write("gpu-h100.json",
          "Measurement matrix for one 80 GB H100 (about 20 minutes): LLM prefill/generate, full training "
          "(fp32, AMP, bf16; AdamW, SGD, 8-bit AdamW), checkpointing, LoRA/QLoRA, torchvision/timm vision "
          "inference and training at several image sizes. Generated by bench/cases/generate.py.",
          gpu_h100())
    write("cpu-smoke.json",
          "Tiny configurations (2 layers, short sequences, 64-160 px images) that exercise every path of the "
          "harness on the CPU with --dry-run. Not meant for measurement. Generated by bench/cases/generate.py.",
          cpu_smoke())
