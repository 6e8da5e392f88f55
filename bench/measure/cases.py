"""Case files: load and check them.

A case file is JSON read by this harness and by vramfit's TypeScript accuracy script, so the
`workload` of each case uses vramfit's own JSON vocabulary (snake_case keys of the `workload`
object an estimate echoes). Format (bench/measure/README.md has the full description):

    {"description": "...", "cases": [
      {"id": "qwen2.5-0.5b-train-b4-s1024-ampbf16-adamw", "kind": "llm_train",
       "source": "transformers", "model": "qwen2.5-0.5b", "layers": null, "new_tokens": null,
       "workload": {"mode": "train", "batch": 4, "seq": 1024, "dtype": "bf16", "precision": "amp-bf16",
                    "optimizer": "adamw", "checkpointing": false, "attention": "sdpa",
                    "lora_rank": null, "lora_targets": null, "quant": null, "image": null}}]}
"""
from __future__ import annotations

import json
import os
import re

KINDS = ("llm_infer", "llm_train", "vision_infer", "vision_train")
SOURCES = ("transformers", "torchvision", "timm")
CASE_KEYS = {"id", "kind", "source", "model", "layers", "new_tokens", "workload", "note"}
# Keys of vramfit's workload JSON that this harness understands (see src/core/workload.ts and the
# training / vision issues: precision, optimizer, checkpointing, lora_*, image).
WORKLOAD_KEYS = {
    "mode", "runtime", "batch", "seq", "dtype", "quant", "kv_dtype", "attention", "gpus", "logits",
    "precision", "optimizer", "optimizer_impl", "checkpointing", "lora_rank", "lora_alpha", "lora_targets",
    "lora_dropout", "qlora", "image",
}
PRECISIONS = ("fp32", "amp-bf16", "amp-fp16", "bf16")
OPTIMIZERS = ("adamw", "sgd", "sgd-momentum", "adamw-8bit")
OPTIMIZER_IMPLS = (None, "foreach", "fused", "for-loop")
DTYPES = ("fp32", "fp16", "bf16")
ATTENTIONS = ("sdpa", "flash", "eager")
QUANTS = (None, "nf4", "int8")
ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CATALOG_DIR = os.path.join(REPO_ROOT, "src", "catalog", "models")


class CaseError(ValueError):
    """A case file that cannot be run as written."""


def load_cases(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        try:
            doc = json.load(f)
        except json.JSONDecodeError as e:
            raise CaseError(f"{path}: not valid JSON ({e})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("cases"), list):
        raise CaseError(f"{path}: expected an object with a 'cases' array")
    seen: set[str] = set()
    for i, case in enumerate(doc["cases"]):
        check_case(case, where=f"{path} case #{i}")
        if case["id"] in seen:
            raise CaseError(f"{path}: duplicate case id '{case['id']}'")
        seen.add(case["id"])
    return doc["cases"]


def check_case(case: dict, where: str = "case") -> None:
    if not isinstance(case, dict):
        raise CaseError(f"{where}: not an object")
    extra = set(case) - CASE_KEYS
    if extra:
        raise CaseError(f"{where}: unknown keys {sorted(extra)}")
    cid = case.get("id")
    if not isinstance(cid, str) or not ID_RE.match(cid):
        raise CaseError(f"{where}: id must be lower-case letters, digits, '.', '_' or '-'")
    where = f"{where} ({cid})"
    if case.get("kind") not in KINDS:
        raise CaseError(f"{where}: kind must be one of {KINDS}")
    if case.get("source") not in SOURCES:
        raise CaseError(f"{where}: source must be one of {SOURCES}")
    if case["kind"].startswith("llm") != (case["source"] == "transformers"):
        raise CaseError(f"{where}: llm_* cases use source 'transformers', vision cases torchvision or timm")
    if not isinstance(case.get("model"), str):
        raise CaseError(f"{where}: model must be a string")
    layers = case.get("layers")
    if layers is not None and (not isinstance(layers, int) or layers < 1):
        raise CaseError(f"{where}: layers must be null or a positive integer")
    nt = case.get("new_tokens")
    if nt is not None and (case["kind"] != "llm_infer" or not isinstance(nt, int) or nt < 1):
        raise CaseError(f"{where}: new_tokens is a positive integer, for llm_infer only")
    w = case.get("workload")
    if not isinstance(w, dict):
        raise CaseError(f"{where}: workload must be an object")
    extra = set(w) - WORKLOAD_KEYS
    if extra:
        raise CaseError(f"{where}: unknown workload keys {sorted(extra)}")
    train = case["kind"].endswith("_train")
    if w.get("mode") != ("train" if train else "infer"):
        raise CaseError(f"{where}: workload.mode must be '{'train' if train else 'infer'}' for {case['kind']}")
    if not isinstance(w.get("batch"), int) or w["batch"] < 1:
        raise CaseError(f"{where}: workload.batch must be a positive integer")
    if w.get("dtype") not in DTYPES:
        raise CaseError(f"{where}: workload.dtype must be one of {DTYPES}")
    if w.get("attention", "sdpa") not in ATTENTIONS:
        raise CaseError(f"{where}: workload.attention must be one of {ATTENTIONS}")
    if w.get("quant") not in QUANTS:
        raise CaseError(f"{where}: workload.quant must be one of {QUANTS}")
    if case["kind"].startswith("llm"):
        if not isinstance(w.get("seq"), int) or w["seq"] < 1:
            raise CaseError(f"{where}: workload.seq must be a positive integer")
        if nt is not None and nt >= w["seq"]:
            raise CaseError(f"{where}: workload.seq counts prompt + new tokens, so it must exceed new_tokens")
    else:
        image_hw(w.get("image"), where)
    if train:
        if w.get("precision") not in PRECISIONS:
            raise CaseError(f"{where}: workload.precision must be one of {PRECISIONS}")
        if w.get("optimizer") not in OPTIMIZERS:
            raise CaseError(f"{where}: workload.optimizer must be one of {OPTIMIZERS}")
        rank = w.get("lora_rank")
        if rank is not None and (not isinstance(rank, int) or rank < 1):
            raise CaseError(f"{where}: workload.lora_rank must be null or a positive integer")
        if (w.get("quant") is not None or w.get("qlora")) and rank is None:
            raise CaseError(f"{where}: a quantized base can only be trained with LoRA (QLoRA)")
        if w.get("optimizer_impl") not in OPTIMIZER_IMPLS:
            raise CaseError(f"{where}: workload.optimizer_impl must be one of {OPTIMIZER_IMPLS[1:]}")


def image_hw(image, where: str = "case") -> tuple[int, int]:
    """vramfit's --image: 640 (square) or "1333x800" (width x height). Returns (height, width)."""
    if isinstance(image, int) and image > 0:
        return image, image
    if isinstance(image, str):
        m = re.fullmatch(r"(\d+)x(\d+)", image)
        if m and int(m.group(1)) > 0 and int(m.group(2)) > 0:
            return int(m.group(2)), int(m.group(1))
    raise CaseError(f"{where}: workload.image must be a positive integer or 'WIDTHxHEIGHT'")


def read_catalog(model_id: str) -> dict:
    """The catalog entry {id, hf_id, config} that vramfit itself uses for this model."""
    path = os.path.join(CATALOG_DIR, f"{model_id}.json")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no catalog entry src/catalog/models/{model_id}.json")
    with open(path, encoding="utf-8") as f:
        entry = json.load(f)
    if not isinstance(entry.get("config"), dict) or "model_type" not in entry["config"]:
        raise CaseError(f"src/catalog/models/{model_id}.json has no config with a model_type")
    return entry
