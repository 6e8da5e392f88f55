"""The environment a measurement was taken in: GPU, driver, CUDA and library versions.

Memory depends on all of these (allocator rounding, cuBLAS workspace per architecture, how a
transformers version computes logits), so every result line carries them.
"""
from __future__ import annotations

import importlib
import os
import platform
import subprocess


def _version(module: str) -> str | None:
    try:
        return getattr(importlib.import_module(module), "__version__", "unknown")
    except Exception:
        return None


def _driver_version() -> str | None:
    try:
        import pynvml

        pynvml.nvmlInit()
        v = pynvml.nvmlSystemGetDriverVersion()
        return v.decode() if isinstance(v, bytes) else v
    except Exception:
        pass
    try:
        r = subprocess.run(
            ["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
            capture_output=True, text=True, timeout=20,
        )
        return r.stdout.strip().splitlines()[0] if r.returncode == 0 and r.stdout.strip() else None
    except (OSError, subprocess.TimeoutExpired):
        return None


def collect(torch_module=None) -> dict:
    env: dict = {
        "python": platform.python_version(),
        "torch": _version("torch"),
        "transformers": _version("transformers"),
        "timm": _version("timm"),
        "torchvision": _version("torchvision"),
        "peft": _version("peft"),
        "bitsandbytes": _version("bitsandbytes"),
        "pytorch_cuda_alloc_conf": os.environ.get("PYTORCH_CUDA_ALLOC_CONF"),
        "cuda_module_loading": os.environ.get("CUDA_MODULE_LOADING"),
        "device": "cpu",
        "gpu": None,
        "gpu_total_bytes": None,
        "gpu_capability": None,
        "driver": None,
        "cuda": None,
        "cudnn": None,
    }
    torch = torch_module
    if torch is None:
        try:
            import torch  # noqa: F811
        except Exception:
            return env
    env["cuda"] = torch.version.cuda
    if torch.cuda.is_available():
        p = torch.cuda.get_device_properties(0)
        env.update(
            device="cuda",
            gpu=p.name,
            gpu_total_bytes=int(p.total_memory),
            gpu_capability=f"{p.major}.{p.minor}",
            driver=_driver_version(),
            cudnn=torch.backends.cudnn.version(),
            cudnn_benchmark=bool(torch.backends.cudnn.benchmark),
        )
    return env
