#!/usr/bin/env python3
"""Measure one case in this process and print one line `RESULT {json}`.

    python3 bench/measure/measure_one.py '<case json>' [--dry-run] [--baseline-used BYTES] [--steps N]

run_cases.py starts one of these per case so that no allocator state, CUDA context growth or peak
counter leaks from one case into the next. The three levels recorded are vramfit's (see
docs/research/memory-model.md §1): `torch.cuda.max_memory_allocated`, `torch.cuda.max_memory_reserved`,
and the driver's figure for this process (NVML), which adds the CUDA context.

Phases: `load` (building the model on the device), then `forward` / `generate` for inference, or
`forward`, `backward`, `optimizer` for each training step. The peak counters are reset at the start
of every phase (torch.cuda.reset_peak_memory_stats), so a phase's figure is the highest point inside
it; over several training steps each phase keeps its highest value (step 2 onward is the steady
state, when optimizer states exist). The case's peak is the highest phase.

--dry-run: on the CPU, at tiny sizes (2 layers, batch 1, short sequence, small image), one step of
everything a case does, to prove it builds and steps. Memory figures are then null and the status is
"dry-run-ok": these are not measurements.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import environment  # noqa: E402
from builders import (Skip, add_lora, build_llm, build_vision, is_detector, need,  # noqa: E402
                      quantize_linears, torch_dtype)
from cases import check_case, image_hw  # noqa: E402
from device_memory import DeviceMemory, PeakSampler  # noqa: E402

DRY_LAYERS = 2
DRY_SEQ = 16
DRY_NEW_TOKENS = 4
DRY_IMAGE = 64
DRY_DETECTOR_IMAGE = 128


class Meter:
    """Per-phase peaks of the three memory levels."""

    def __init__(self, torch, cuda: bool, sampler: PeakSampler | None):
        self.torch = torch
        self.cuda = cuda
        self.sampler = sampler
        self.phases: dict[str, dict] = {}
        self.current: str | None = None

    @contextlib.contextmanager
    def phase(self, name: str):
        self.current = name
        if self.cuda:
            self.torch.cuda.synchronize()
            self.torch.cuda.reset_peak_memory_stats()
        try:
            yield
        finally:
            self._close(name)
        self.current = None

    def _close(self, name: str) -> None:
        p = self.phases.setdefault(name, {"allocated": None, "reserved": None, "device": None})
        if not self.cuda:
            return
        try:
            self.torch.cuda.synchronize()
        except Exception:
            pass
        now = {
            "allocated": int(self.torch.cuda.max_memory_allocated()),
            "reserved": int(self.torch.cuda.max_memory_reserved()),
            "device": self.sampler.sample() if self.sampler else None,
        }
        for k, v in now.items():
            if v is not None and (p[k] is None or v > p[k]):
                p[k] = v

    def peak(self, level: str) -> int | None:
        vals = [p[level] for p in self.phases.values() if p[level] is not None]
        return max(vals) if vals else None


class Plan:
    """The sizes a case actually runs at: the case's own, or tiny ones for a dry run."""

    def __init__(self, case: dict, dry_run: bool, cuda: bool):
        w = dict(case["workload"])
        self.notes: list[str] = []
        self.layers = case.get("layers")
        self.new_tokens = case.get("new_tokens")
        self.image = None if case["kind"].startswith("llm") else image_hw(w.get("image"))
        self.precision = w.get("precision")
        if dry_run:
            self.layers = min(self.layers or DRY_LAYERS, DRY_LAYERS)
            w["batch"] = 1
            if case["kind"].startswith("llm"):
                if self.new_tokens is not None:
                    self.new_tokens = min(self.new_tokens, DRY_NEW_TOKENS)
                w["seq"] = min(w["seq"], DRY_SEQ)
                if self.new_tokens is not None and w["seq"] <= self.new_tokens:
                    w["seq"] = self.new_tokens + 4
            else:
                side = DRY_DETECTOR_IMAGE if is_detector(case["model"]) else DRY_IMAGE
                self.image = (side, side)
        if not cuda:
            # PyTorch's CPU kernels and CPU autocast cover bf16, not fp16 (torch 1.13): keep the
            # case's structure and swap the 16-bit type.
            if w.get("dtype") == "fp16":
                w["dtype"] = "bf16"
                self.notes.append("fp16 run as bf16 on the CPU")
            if self.precision == "amp-fp16":
                self.precision = "amp-bf16"
                self.notes.append("amp-fp16 run as amp-bf16 on the CPU (no GradScaler)")
            if w.get("optimizer_impl") == "fused":
                w["optimizer_impl"] = "foreach"
                self.notes.append("fused optimizer run as foreach on the CPU")
            if self.precision == "amp-bf16" and is_detector(case["model"]):
                # torchvision's CPU nms has no bf16 kernel and (0.14) no CPU autocast rule; on CUDA
                # its autocast rule runs nms in fp32.
                self.precision = "fp32"
                self.notes.append("detector AMP stepped without autocast on the CPU (no bf16 nms kernel)")
        self.workload = w
        self.dry = {"layers": self.layers, "batch": w["batch"], "seq": w.get("seq"),
                    "new_tokens": self.new_tokens, "image": list(self.image) if self.image else None} if dry_run else None


def is_oom(torch, e: BaseException) -> bool:
    oom_type = getattr(torch.cuda, "OutOfMemoryError", None)
    if oom_type is not None and isinstance(e, oom_type):
        return True
    msg = str(e)
    return "out of memory" in msg.lower() or "CUBLAS_STATUS_ALLOC_FAILED" in msg


def count_params(model) -> tuple[int, int]:
    total = trainable = 0
    for p in model.parameters():
        n = p.numel()
        # bitsandbytes 4-bit packs two weights per uint8 element.
        if getattr(p, "quant_state", None) is not None:
            n *= 2
        total += n
        if p.requires_grad:
            trainable += n
    return total, trainable


def make_optimizer(torch, name: str, impl: str | None, params):
    """vramfit's optimizer and optimizer_impl (foreach: PyTorch's default on CUDA; fused; for-loop)."""
    kw = {}
    if name in ("adamw", "sgd", "sgd-momentum"):
        if impl == "fused":
            kw["fused"] = True
        elif impl == "for-loop":
            kw["foreach"] = False
        elif impl == "foreach":
            kw["foreach"] = True
    if name == "adamw":
        return torch.optim.AdamW(params, lr=1e-5, **kw)
    if name == "sgd":
        return torch.optim.SGD(params, lr=1e-3, **kw)
    if name == "sgd-momentum":
        return torch.optim.SGD(params, lr=1e-3, momentum=0.9, **kw)
    if name == "adamw-8bit":
        return need("bitsandbytes", "optimizer adamw-8bit").optim.AdamW8bit(params, lr=1e-5)
    raise Skip(f"optimizer '{name}' is not implemented by the harness")


def autocast_and_scaler(torch, precision: str, device: str, cuda: bool):
    if precision in ("amp-bf16", "amp-fp16"):
        dtype = torch.bfloat16 if precision == "amp-bf16" else torch.float16
        ctx = lambda: torch.autocast(device_type=device, dtype=dtype)  # noqa: E731
        scaler = None
        if precision == "amp-fp16" and cuda:
            scaler = torch.amp.GradScaler("cuda") if hasattr(torch, "amp") and hasattr(torch.amp, "GradScaler") \
                else torch.cuda.amp.GradScaler()
        return ctx, scaler
    return contextlib.nullcontext, None


def train_steps(meter: Meter, loss_fn, opt, autocast, scaler, steps: int) -> None:
    for _ in range(steps):
        with meter.phase("forward"):
            with autocast():
                loss = loss_fn()
        with meter.phase("backward"):
            (scaler.scale(loss) if scaler else loss).backward()
            del loss
        with meter.phase("optimizer"):
            if scaler:
                scaler.step(opt)
                scaler.update()
            else:
                opt.step()
            opt.zero_grad(set_to_none=True)


def llm_infer(torch, case, plan: Plan, meter: Meter, device: str, result: dict) -> None:
    w = plan.workload
    dtype = torch_dtype(torch, w["dtype"])
    quant = w.get("quant")
    if quant:
        need("bitsandbytes", f"quant '{quant}'")
    with meter.phase("load"):
        model, cfg = build_llm(torch, case, "cpu" if quant else device, dtype, plan.layers)
        if quant:
            model = quantize_linears(torch, model, quant, dtype, device)
    model.eval()
    result["params"], result["trainable_params"] = count_params(model)
    prompt = w["seq"] - (plan.new_tokens or 0)
    ids = torch.randint(0, cfg.vocab_size, (w["batch"], prompt), device=device)
    with torch.inference_mode():
        if plan.new_tokens is None:
            with meter.phase("forward"):
                out = model(input_ids=ids, use_cache=True)  # logits for every position + KV cache
                del out
        else:
            with meter.phase("generate"):
                out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), do_sample=False,
                                     max_new_tokens=plan.new_tokens, min_new_tokens=plan.new_tokens,
                                     use_cache=True, pad_token_id=0)
            result["generated_tokens"] = int(out.shape[1] - prompt)
            del out


def llm_train(torch, case, plan: Plan, meter: Meter, device: str, cuda: bool, steps: int, result: dict) -> None:
    w = plan.workload
    lora = w.get("lora_rank") is not None
    # vramfit's qlora flag: NF4 base (bitsandbytes, double quantization) with LoRA on top.
    quant = w.get("quant") or ("nf4" if w.get("qlora") else None)
    if quant:
        need("bitsandbytes", f"QLoRA base quant '{quant}'")
    if lora:
        need("peft", "LoRA")
    if w["optimizer"] == "adamw-8bit":
        need("bitsandbytes", "optimizer adamw-8bit")
    compute = torch_dtype(torch, w["dtype"])
    # Full training keeps the weights in the precision policy's master dtype (fp32 for fp32/AMP, bf16
    # for pure bf16); LoRA freezes the base in the compute dtype, as PEFT recipes load it.
    weight_dtype = compute if lora else (torch.bfloat16 if plan.precision == "bf16" else torch.float32)
    with meter.phase("load"):
        model, cfg = build_llm(torch, case, "cpu" if quant else device, weight_dtype, plan.layers)
        if quant:
            model = quantize_linears(torch, model, quant, compute, device)
            peft = need("peft", "QLoRA")
            model = peft.prepare_model_for_kbit_training(model, use_gradient_checkpointing=bool(w.get("checkpointing")))
            result["notes"].append("peft.prepare_model_for_kbit_training applied (casts non-quantized params to fp32)")
        if w.get("checkpointing"):
            try:
                model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
            except TypeError:
                model.gradient_checkpointing_enable()
        if lora:
            model = add_lora(model, w)
    model.config.use_cache = False
    model.train()
    result["params"], result["trainable_params"] = count_params(model)
    opt = make_optimizer(torch, w["optimizer"], w.get("optimizer_impl"), [p for p in model.parameters() if p.requires_grad])
    autocast, scaler = autocast_and_scaler(torch, plan.precision, device, cuda)
    ids = torch.randint(0, cfg.vocab_size, (w["batch"], w["seq"]), device=device)

    def loss_fn():
        return model(input_ids=ids, labels=ids, use_cache=False).loss

    train_steps(meter, loss_fn, opt, autocast, scaler, steps)


def vision_inputs(torch, case, plan: Plan, device: str, dtype):
    h, wd = plan.image
    b = plan.workload["batch"]
    x = torch.randn(b, 3, h, wd, device=device, dtype=dtype)
    if not is_detector(case["model"]):
        return x, None
    # Two boxes per image, inside the frame (torchvision detection training needs targets).
    box = torch.tensor([[0.1 * wd, 0.1 * h, 0.6 * wd, 0.7 * h], [0.4 * wd, 0.3 * h, 0.9 * wd, 0.9 * h]],
                       device=device, dtype=torch.float32)
    targets = [{"boxes": box.clone(), "labels": torch.tensor([1, 2], device=device)} for _ in range(b)]
    return list(x), targets


def vision_infer(torch, case, plan: Plan, meter: Meter, device: str, result: dict) -> None:
    dtype = torch_dtype(torch, plan.workload["dtype"])
    with meter.phase("load"):
        model = build_vision(torch, case, plan.image, device).to(dtype)
    model.eval()
    result["params"], result["trainable_params"] = count_params(model)
    x, _ = vision_inputs(torch, case, plan, device, dtype)
    with torch.inference_mode():
        with meter.phase("forward"):
            out = model(x)
            del out


def vision_train(torch, case, plan: Plan, meter: Meter, device: str, cuda: bool, steps: int, result: dict) -> None:
    w = plan.workload
    weight_dtype = torch.bfloat16 if plan.precision == "bf16" else torch.float32
    if w["optimizer"] == "adamw-8bit":
        need("bitsandbytes", "optimizer adamw-8bit")
    with meter.phase("load"):
        model = build_vision(torch, case, plan.image, device).to(weight_dtype)
        if w.get("checkpointing"):
            if not hasattr(model, "set_grad_checkpointing"):
                raise Skip(f"{case['source']} model '{case['model']}' has no built-in gradient checkpointing")
            model.set_grad_checkpointing(True)
    model.train()
    result["params"], result["trainable_params"] = count_params(model)
    opt = make_optimizer(torch, w["optimizer"], w.get("optimizer_impl"), [p for p in model.parameters() if p.requires_grad])
    autocast, scaler = autocast_and_scaler(torch, plan.precision, device, cuda)
    x, targets = vision_inputs(torch, case, plan, device, weight_dtype)

    if targets is not None:
        def loss_fn():
            return sum(model(x, targets).values())
    else:
        def loss_fn():
            out = model(x)
            labels = torch.randint(0, out.shape[1], (out.shape[0],), device=device)
            return torch.nn.functional.cross_entropy(out.float(), labels)

    train_steps(meter, loss_fn, opt, autocast, scaler, steps)


def run_case(case: dict, dry_run: bool = False, baseline_used: int | None = None, steps: int | None = None) -> dict:
    t0 = time.time()
    result: dict = {
        "id": case.get("id"), "case": case, "status": None, "reason": None,
        "allocated_peak_bytes": None, "reserved_peak_bytes": None, "device_bytes": None,
        "context_bytes": None, "device_method": None, "phases": {}, "params": None,
        "trainable_params": None, "notes": [], "env": None, "wall_s": None,
    }
    if dry_run:
        result["dry_run"] = True

    def done(status: str, reason: str | None = None) -> dict:
        result["status"], result["reason"] = status, reason
        result["wall_s"] = round(time.time() - t0, 3)
        return result

    try:
        check_case(case)
    except ValueError as e:
        return done("error", str(e))
    try:
        import torch
    except Exception as e:
        result["env"] = environment.collect(None)
        return done("skipped", f"torch is not importable ({e})")
    result["env"] = environment.collect(torch)
    cuda = torch.cuda.is_available() and not dry_run
    if not cuda and not dry_run:
        return done("skipped", "no CUDA device: measure on a GPU machine, or use --dry-run")
    device = "cuda" if cuda else "cpu"
    steps = steps or (1 if dry_run else 3)
    plan = Plan(case, dry_run, cuda)
    result["notes"].extend(plan.notes)
    if plan.dry:
        result["dry_run_sizes"] = plan.dry
    sampler = None
    dev = None
    if cuda:
        dev = DeviceMemory(0, baseline_used)
        sampler = PeakSampler(dev)
    meter = Meter(torch, cuda, sampler)
    kind = case["kind"]
    status, reason = ("dry-run-ok" if dry_run else "ok"), None
    try:
        if cuda:
            # Create the CUDA context first, so the sampler only ever reads a process NVML lists.
            torch.empty(1, device="cuda")
            torch.cuda.synchronize()
            result["context_bytes"] = dev.process_bytes()
        with (sampler or contextlib.nullcontext()):
            torch.manual_seed(0)
            if kind == "llm_infer":
                llm_infer(torch, case, plan, meter, device, result)
            elif kind == "llm_train":
                llm_train(torch, case, plan, meter, device, cuda, steps, result)
            elif kind == "vision_infer":
                vision_infer(torch, case, plan, meter, device, result)
            else:
                vision_train(torch, case, plan, meter, device, cuda, steps, result)
    except Skip as e:
        status, reason = "skipped", str(e)
    except Exception as e:  # noqa: BLE001 - every failure becomes a recorded status
        if is_oom(torch, e):
            status, reason = "oom", f"out of memory in phase '{meter.current}': {str(e).splitlines()[0][:300]}"
        else:
            tb = traceback.format_exc().strip().splitlines()
            status, reason = "error", f"{type(e).__name__}: {str(e)[:500]} | " + " | ".join(tb[-6:])
    result["phases"] = meter.phases
    if cuda:
        result["allocated_peak_bytes"] = meter.peak("allocated")
        result["reserved_peak_bytes"] = meter.peak("reserved")
        result["device_bytes"] = sampler.peak if sampler else None
        result["device_method"] = dev.method if dev else None
    if cuda:
        result["steps"] = steps if kind.endswith("_train") else None
    return done(status, reason)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("case", help="one case as JSON")
    ap.add_argument("--dry-run", action="store_true", help="CPU, tiny sizes, no measurement")
    ap.add_argument("--baseline-used", type=int, default=None,
                    help="device bytes used before this process started (fallback for device_bytes)")
    ap.add_argument("--steps", type=int, default=None, help="training steps (default 3, dry run 1)")
    args = ap.parse_args(argv)
    try:
        case = json.loads(args.case)
    except json.JSONDecodeError as e:
        print(f"measure_one: the case is not valid JSON ({e})", file=sys.stderr)
        return 2
    result = run_case(case, dry_run=args.dry_run, baseline_used=args.baseline_used, steps=args.steps)
    print("RESULT " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
