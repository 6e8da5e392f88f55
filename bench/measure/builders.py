"""Build the model of a case with random weights: nothing is downloaded.

Memory does not depend on weight values, so a model built from its config measures the same as the
published checkpoint. LLMs come from vramfit's own catalog entry (`src/catalog/models/<id>.json`,
field `config`, the model's Hugging Face config.json), so the estimate and the measurement describe
the very same architecture. Vision models come from torchvision or timm by name.
"""
from __future__ import annotations

import importlib
import importlib.util
import re

from cases import image_hw, read_catalog

# vramfit's workload.attention -> transformers' attn_implementation.
ATTN_IMPL = {"sdpa": "sdpa", "eager": "eager", "flash": "flash_attention_2"}
# Keys of a config.json that are not architecture: dropped before AutoConfig.for_model.
NON_ARCH_KEYS = ("model_type", "architectures", "quantization_config", "torch_dtype", "dtype",
                 "transformers_version", "auto_map", "_name_or_path")


class Skip(Exception):
    """This case cannot run here (a library or feature is missing); the reason is recorded."""


def need(module: str, why: str):
    try:
        return importlib.import_module(module)
    except Exception as e:
        raise Skip(f"{module} is not importable ({type(e).__name__}: {e}); needed for {why}") from None


def torch_dtype(torch, name: str):
    return {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[name]


def llm_config(case: dict, layers: int | None):
    """transformers config for a catalog model, with num_hidden_layers overridden if asked."""
    transformers = need("transformers", "LLM cases")
    try:
        entry = read_catalog(case["model"])
    except FileNotFoundError as e:
        raise Skip(str(e)) from None
    cfg = dict(entry["config"])
    model_type = cfg["model_type"]
    for k in NON_ARCH_KEYS:
        cfg.pop(k, None)
    if layers is not None:
        # GPT-2 style configs name the depth n_layer; the rest num_hidden_layers.
        key = next((k for k in ("num_hidden_layers", "n_layer", "num_layers") if k in cfg), "num_hidden_layers")
        full = cfg.get(key)
        cfg[key] = layers
        # Per-layer lists (Qwen2/3 layer_types, Gemma sliding patterns) must match the new depth.
        for k, v in list(cfg.items()):
            if isinstance(v, list) and full is not None and len(v) == full:
                cfg[k] = v[:layers]
    try:
        return transformers.AutoConfig.for_model(model_type, **cfg), entry
    except Exception as e:
        raise Skip(f"transformers {transformers.__version__} cannot build config '{model_type}': {e}") from None


def build_llm(torch, case: dict, device: str, weight_dtype, layers: int | None):
    """A causal LM from config, random weights, created directly on `device` in `weight_dtype`."""
    transformers = need("transformers", "LLM cases")
    cfg, entry = llm_config(case, layers)
    attn = case["workload"].get("attention", "sdpa")
    if attn == "flash" and importlib.util.find_spec("flash_attn") is None:
        raise Skip("attention 'flash' needs the flash_attn package, which is not installed")
    kwargs = {"attn_implementation": ATTN_IMPL[attn]}
    # transformers renamed from_config's torch_dtype to dtype (4.56); 5.x warns on the old name.
    m = re.match(r"(\d+)\.(\d+)", transformers.__version__)
    major_minor = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
    kwargs["dtype" if major_minor >= (4, 56) else "torch_dtype"] = weight_dtype
    ctx = torch.device(device) if device != "cpu" and hasattr(torch.device, "__enter__") else _null()
    with ctx:
        try:
            model = transformers.AutoModelForCausalLM.from_config(cfg, **kwargs)
        except TypeError:
            kwargs["torch_dtype" if "dtype" in kwargs else "dtype"] = kwargs.pop(
                "dtype" if "dtype" in kwargs else "torch_dtype")
            model = transformers.AutoModelForCausalLM.from_config(cfg, **kwargs)
    first = next(model.parameters())
    if first.dtype != weight_dtype or first.device.type != device:
        model.to(device=device, dtype=weight_dtype)
    return model, cfg


def quantize_linears(torch, model, quant: str, compute_dtype, device: str):
    """Swap the decoder's nn.Linear for bitsandbytes layers (what from_pretrained's quantizer does).

    from_config cannot apply a BitsAndBytesConfig, so this reproduces transformers' replacement
    (integrations/bitsandbytes.py: every Linear except lm_head) on a model built on the CPU.
    """
    bnb = need("bitsandbytes", f"quant '{quant}'")
    for name, module in list(model.named_modules()):
        for child_name, child in list(module.named_children()):
            full = f"{name}.{child_name}" if name else child_name
            if not isinstance(child, torch.nn.Linear) or full.endswith("lm_head"):
                continue
            if quant == "nf4":
                new = bnb.nn.Linear4bit(child.in_features, child.out_features, bias=child.bias is not None,
                                        compute_dtype=compute_dtype, compress_statistics=True, quant_type="nf4")
                new.weight = bnb.nn.Params4bit(child.weight.data, requires_grad=False,
                                               compress_statistics=True, quant_type="nf4")
            else:
                new = bnb.nn.Linear8bitLt(child.in_features, child.out_features, bias=child.bias is not None,
                                          has_fp16_weights=False, threshold=6.0)
                new.weight = bnb.nn.Int8Params(child.weight.data, requires_grad=False, has_fp16_weights=False)
            if child.bias is not None:
                new.bias = torch.nn.Parameter(child.bias.data, requires_grad=False)
            setattr(module, child_name, new)
    return model.to(device)  # bitsandbytes quantizes the weights as they move to the GPU


def add_lora(model, workload: dict):
    peft = need("peft", "LoRA cases")
    targets = workload.get("lora_targets") or "all-linear"
    if isinstance(targets, str) and targets != "all-linear":
        targets = [t.strip() for t in targets.split(",") if t.strip()]
    # alpha only scales the update (no memory); dropout > 0 keeps a mask and a dropped copy of the input.
    config = peft.LoraConfig(r=workload["lora_rank"], lora_alpha=workload.get("lora_alpha") or 16,
                             lora_dropout=workload.get("lora_dropout") or 0.0, target_modules=targets,
                             bias="none", task_type="CAUSAL_LM")
    return peft.get_peft_model(model, config)


def build_vision(torch, case: dict, image: tuple[int, int], device: str):
    """A torchvision or timm model by name, random weights."""
    name = case["model"]
    h, w = image
    if case["source"] == "timm":
        timm = need("timm", "timm vision cases")
        kwargs = {}
        if any(k in name for k in ("vit", "deit", "swin", "beit", "eva")):
            kwargs["img_size"] = (h, w)
        return timm.create_model(name, pretrained=False, **kwargs).to(device)
    tv = need("torchvision", "torchvision vision cases")
    models = tv.models
    kwargs: dict = {"weights": None}
    if name.startswith(("vit_",)):
        if h != w:
            raise Skip("torchvision ViT takes square images only")
        kwargs["image_size"] = h
    if name in ("fasterrcnn_resnet50_fpn", "maskrcnn_resnet50_fpn"):
        return finetune_rcnn(tv, name, h, w).to(device)
    if is_detector(name):
        kwargs["weights_backbone"] = None
        # GeneralizedRCNNTransform resizes to min_size/max_size (800/1333 by default): set them to the
        # case's image so the measured size is the size the case names.
        kwargs["min_size"] = min(h, w)
        kwargs["max_size"] = max(h, w)
    try:
        return models.get_model(name, **kwargs).to(device)
    except ValueError as e:
        raise Skip(f"torchvision {tv.__version__} has no model '{name}': {e}") from None


def finetune_rcnn(tv, name: str, h: int, w: int):
    """Faster/Mask R-CNN R50-FPN as torchvision builds it when fine-tuning from ImageNet weights.

    Built with weights=None, torchvision would switch to trainable BatchNorm2d and make all five
    backbone stages trainable (models/detection/faster_rcnn.py: is_trained=False). Everyone trains
    these detectors from pretrained weights, which means FrozenBatchNorm2d and
    trainable_backbone_layers=3; this is that model with random values. Its parameter count matches
    torchvision's published one (41,755,286 for Faster R-CNN).
    """
    from torchvision.models.detection import FasterRCNN, MaskRCNN
    from torchvision.models.detection.backbone_utils import _resnet_fpn_extractor
    from torchvision.ops import misc as misc_nn_ops

    backbone = tv.models.resnet50(weights=None, norm_layer=misc_nn_ops.FrozenBatchNorm2d)
    backbone = _resnet_fpn_extractor(backbone, 3)
    cls = FasterRCNN if name.startswith("fasterrcnn") else MaskRCNN
    # GeneralizedRCNNTransform resizes to min_size/max_size (800/1333 by default): set them to the
    # case's image so the measured size is the size the case names.
    return cls(backbone, num_classes=91, min_size=min(h, w), max_size=max(h, w))


def is_detector(name: str) -> bool:
    return name.startswith(("fasterrcnn", "maskrcnn", "retinanet", "fcos", "keypointrcnn", "ssd"))


class _null:
    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


__all__ = ["Skip", "need", "torch_dtype", "build_llm", "quantize_linears", "add_lora", "build_vision",
           "is_detector", "image_hw"]
