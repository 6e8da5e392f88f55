#!/usr/bin/env python3
"""Torch 2 CPU ground truth for transformer blocks (issue 16, item 4): what one decoder layer saves for
backward, and its forward / backward / inference live peaks, tensor by tensor, in plain torch modules that
follow transformers' modeling code (read, not copied; commits in README.md):

  llama    LlamaDecoderLayer: LlamaRMSNorm (fp32 upcast), q/k/v/o (bias with --qkv-bias = Qwen2), RoPE
           applied with rotate_half, GQA through repeat_kv or SDPA's enable_gqa, SDPA / eager attention,
           SwiGLU LlamaMLP
  mixtral  the same attention + MixtralSparseMoeBlock (router softmax in fp32, top-k, renormalise, per-expert
           gather hidden_states[top_x], expert SwiGLU, * routing weight, index_add_)
  gemma2   Gemma2DecoderLayer: Gemma2RMSNorm ((1 + w) in fp32) before and after attention and MLP, GeLU-tanh
           MLP, attention logit soft-capping in eager attention
  head     final RMSNorm + lm_head + ForCausalLMLoss (logits.float(), pad/shift labels, cross_entropy)

LoRA (PEFT lora.Linear semantics): base linear frozen; x cast to the adapter dtype; result +
lora_B(lora_A(dropout(x))) * scaling; result cast back. Adapters in fp32 (PEFT autocast_adapter_dtype=True)
unless --adapter-dtype says otherwise. lora_dropout uses torch.native_dropout (the kernel CUDA's F.dropout
runs, which saves a 1-byte mask); --cpu-dropout uses F.dropout, whose CPU path saves a noise tensor instead.

Precision policies: fp32 (weights and activations fp32); amp-bf16 (fp32 weights, fp32 residual stream,
torch.autocast("cpu", bfloat16)); bf16 (weights and activations bf16, no autocast). With LoRA under amp-bf16
the frozen base is bf16 (--base-dtype), as vramfit assumes and as models loaded with torch_dtype=bfloat16 are.

Each configuration prints one JSON line; fields are described in README.md.
Run the whole grid: /work/venv-t2/bin/python bench/torch2/blocks.py --grid > bench/accuracy/llm-cpu-torch2-blocks.jsonl
"""
import argparse
import gc
import itertools
import json
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from memtrack import LiveTracker, breakdown, by_dtype, module_storages, saved, storage_of  # noqa: E402

DT = {"fp32": torch.float32, "bf16": torch.bfloat16}


# ---------------------------------------------------------------- modules ------------------------------------
class RMSNorm(nn.Module):
    """LlamaRMSNorm / MixtralRMSNorm / Qwen2RMSNorm."""

    def __init__(self, n, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.eps = eps

    def forward(self, x):
        dt = x.dtype
        h = x.to(torch.float32)
        var = h.pow(2).mean(-1, keepdim=True)
        h = h * torch.rsqrt(var + self.eps)
        return self.weight * h.to(dt)


class GemmaRMSNorm(nn.Module):
    """Gemma2RMSNorm: normalise in fp32, scale by (1 + w) in fp32, cast back."""

    def __init__(self, n, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(n))
        self.eps = eps

    def forward(self, x):
        h = x.float()
        out = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + self.eps)
        out = out * (1.0 + self.weight.float())
        return out.type_as(x)


def rope_tables(b, s, head_dim, dtype, theta=10000.0):
    """LlamaRotaryEmbedding.forward: fp32 with autocast off, returned in the hidden states' dtype; computed
    once per model forward and shared by all layers."""
    inv = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim))
    pos = torch.arange(s).float()[None, :].expand(b, -1)
    with torch.autocast("cpu", enabled=False):
        freqs = (inv[None, :, None].expand(b, -1, 1) @ pos[:, None, :]).transpose(1, 2)
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos(), emb.sin()
    return cos.to(dtype), sin.to(dtype)


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def apply_rope(q, k, cos, sin):
    cos = cos.unsqueeze(1)
    sin = sin.unsqueeze(1)
    return (q * cos) + (rotate_half(q) * sin), (k * cos) + (rotate_half(k) * sin)


def repeat_kv(x, n):
    b, kvh, s, d = x.shape
    if n == 1:
        return x
    return x[:, :, None, :, :].expand(b, kvh, n, s, d).reshape(b, kvh * n, s, d)


class LoraLinear(nn.Module):
    """PEFT lora.Linear forward."""

    def __init__(self, base, r, alpha, dropout, adapter_dtype, native_dropout):
        super().__init__()
        self.base_layer = base
        self.lora_A = nn.Linear(base.in_features, r, bias=False).to(adapter_dtype)
        self.lora_B = nn.Linear(r, base.out_features, bias=False).to(adapter_dtype)
        nn.init.normal_(self.lora_B.weight, std=0.02)  # PEFT inits B to zero; values do not change memory
        self.p = dropout
        self.native = native_dropout
        self.scaling = alpha / r

    def drop(self, x):
        if self.p == 0 or not self.training:
            return x  # PEFT uses nn.Identity for lora_dropout == 0
        if self.native:
            return torch.native_dropout(x, self.p, True)[0]
        return F.dropout(x, self.p, True)

    def forward(self, x):
        result = self.base_layer(x)
        rdt = result.dtype
        if x.dtype != self.lora_A.weight.dtype:
            x = x.to(self.lora_A.weight.dtype)
        result = result + self.lora_B(self.lora_A(self.drop(x))) * self.scaling
        return result.to(rdt)


class Attention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        h, a, kv, d = c["hidden"], c["heads"], c["kv_heads"], c["head_dim"]
        bias = c.get("qkv_bias", False)
        self.q_proj = nn.Linear(h, a * d, bias=bias)
        self.k_proj = nn.Linear(h, kv * d, bias=bias)
        self.v_proj = nn.Linear(h, kv * d, bias=bias)
        self.o_proj = nn.Linear(a * d, h, bias=False)
        self.groups = a // kv
        self.scaling = (c.get("query_pre_attn_scalar") or d) ** -0.5
        self.softcap = c.get("attn_logit_softcapping")

    def forward(self, x, cos, sin, mask):
        b, s, _ = x.shape
        d = self.c["head_dim"]
        q = self.q_proj(x).view(b, s, -1, d).transpose(1, 2)
        k = self.k_proj(x).view(b, s, -1, d).transpose(1, 2)
        v = self.v_proj(x).view(b, s, -1, d).transpose(1, 2)
        q, k = apply_rope(q, k, cos, sin)
        impl = self.c["attention"]
        if impl == "eager":
            # transformers eager_attention_forward
            k = repeat_kv(k, self.groups)
            v = repeat_kv(v, self.groups)
            w = torch.matmul(q, k.transpose(2, 3)) * self.scaling
            if self.softcap is not None:
                w = w / self.softcap
                w = torch.tanh(w)
                w = w * self.softcap
            if mask is not None:
                w = w + mask[:, :, :, : k.shape[-2]]
            w = F.softmax(w, dim=-1, dtype=torch.float32).to(q.dtype)
            w = F.dropout(w, p=0.0, training=self.training)
            o = torch.matmul(w, v).transpose(1, 2).contiguous()
        else:
            # transformers integrations/sdpa_attention.py: enable_gqa when torch >= 2.5 and no mask
            # ("sdpa"); repeat_kv otherwise ("sdpa_repeat": older transformers, or a padding mask).
            kw = {}
            if impl == "sdpa_repeat":
                k = repeat_kv(k, self.groups)
                v = repeat_kv(v, self.groups)
            elif self.groups > 1:
                kw = {"enable_gqa": True}
            o = F.scaled_dot_product_attention(q, k, v, attn_mask=None, dropout_p=0.0, scale=self.scaling, is_causal=True, **kw)
            o = o.transpose(1, 2).contiguous()
        o = o.reshape(b, s, -1).contiguous()
        return self.o_proj(o)


class MLP(nn.Module):
    def __init__(self, h, i, act):
        super().__init__()
        self.gate_proj = nn.Linear(h, i, bias=False)
        self.up_proj = nn.Linear(h, i, bias=False)
        self.down_proj = nn.Linear(i, h, bias=False)
        self.act = act

    def forward(self, x):
        return self.down_proj(self.act(self.gate_proj(x)) * self.up_proj(x))


class Expert(nn.Module):
    """MixtralBlockSparseTop2MLP."""

    def __init__(self, h, i):
        super().__init__()
        self.w1 = nn.Linear(h, i, bias=False)
        self.w2 = nn.Linear(i, h, bias=False)
        self.w3 = nn.Linear(h, i, bias=False)

    def forward(self, x):
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


class MoE(nn.Module):
    """MixtralSparseMoeBlock.forward (router_jitter_noise = 0)."""

    def __init__(self, h, i, experts, top_k):
        super().__init__()
        self.gate = nn.Linear(h, experts, bias=False)
        self.experts = nn.ModuleList([Expert(h, i) for _ in range(experts)])
        self.n = experts
        self.k = top_k

    def forward(self, x):
        b, s, h = x.shape
        x = x.view(-1, h)
        logits = self.gate(x)
        rw = F.softmax(logits, dim=1, dtype=torch.float)
        rw, sel = torch.topk(rw, self.k, dim=-1)
        rw /= rw.sum(dim=-1, keepdim=True)
        rw = rw.to(x.dtype)
        out = torch.zeros((b * s, h), dtype=x.dtype, device=x.device)
        mask = F.one_hot(sel, num_classes=self.n).permute(2, 1, 0)
        hit = torch.greater(mask.sum(dim=(-1, -2)), 0).nonzero()
        for e in hit:
            idx, top_x = torch.where(mask[e].squeeze(0))
            cur = x[None, top_x].reshape(-1, h)
            cur = self.experts[e](cur) * rw[top_x, idx, None]
            out.index_add_(0, top_x, cur.to(x.dtype))
        return out.reshape(b, s, h), logits


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        h = c["hidden"]
        gemma = c["arch"] == "gemma2"
        Norm = GemmaRMSNorm if gemma else RMSNorm
        self.input_layernorm = Norm(h)
        self.self_attn = Attention(c)
        self.post_attention_layernorm = Norm(h)
        if gemma:
            self.pre_feedforward_layernorm = Norm(h)
            self.post_feedforward_layernorm = Norm(h)
            self.mlp = MLP(h, c["intermediate"], lambda t: F.gelu(t, approximate="tanh"))
        elif c["arch"] == "mixtral":
            self.mlp = MoE(h, c["intermediate"], c["experts"], c["top_k"])
        else:
            self.mlp = MLP(h, c["intermediate"], F.silu)

    def forward(self, x, cos, sin, mask=None):
        if self.c["arch"] == "gemma2":
            r = x
            x = self.input_layernorm(x)
            x = self.self_attn(x, cos, sin, mask)
            x = self.post_attention_layernorm(x)
            x = r + x
            r = x
            x = self.pre_feedforward_layernorm(x)
            x = self.mlp(x)
            x = self.post_feedforward_layernorm(x)
            return r + x
        r = x
        x = self.input_layernorm(x)
        x = self.self_attn(x, cos, sin, mask)
        x = r + x
        r = x
        x = self.post_attention_layernorm(x)
        x = self.mlp(x)
        if isinstance(x, tuple):
            x = x[0]
        return r + x


class Head(nn.Module):
    """Final norm + lm_head + ForCausalLMLoss (transformers loss/loss_utils.py)."""

    def __init__(self, c):
        super().__init__()
        self.norm = RMSNorm(c["hidden"])
        self.lm_head = nn.Linear(c["hidden"], c["vocab"], bias=False)
        self.vocab = c["vocab"]

    def forward(self, x, labels):
        logits = self.lm_head(self.norm(x))
        return causal_lm_loss(logits, labels, self.vocab)


def causal_lm_loss(logits, labels, vocab, ignore_index=-100):
    logits = logits.float()
    labels = F.pad(labels, (0, 1), value=ignore_index)
    shift = labels[..., 1:].contiguous()
    logits = logits.view(-1, vocab)
    shift = shift.view(-1)
    return F.cross_entropy(logits, shift, ignore_index=ignore_index, reduction="mean")


LINEARS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj", "w1", "w2", "w3")


def apply_lora(model, c):
    targets = LINEARS if c["lora_targets"] == "all-linear" else tuple(c["lora_targets"].split(","))
    adt = DT[c["adapter_dtype"]]
    for mod in list(model.modules()):
        for name, child in list(mod.named_children()):
            if isinstance(child, nn.Linear) and name in targets:
                setattr(mod, name, LoraLinear(child, c["lora_rank"], c["lora_alpha"], c["lora_dropout"], adt, not c.get("cpu_dropout", False)))
    for n, p in model.named_parameters():
        p.requires_grad_("lora_" in n)


# ---------------------------------------------------------------- measurement --------------------------------
def build(c):
    torch.manual_seed(0)
    m = Head(c) if c["arch"] == "head" else Layer(c)
    prec = c["precision"]
    lora = c.get("lora_rank") is not None
    base = c.get("base_dtype") or ("fp32" if prec == "fp32" or (prec == "amp-bf16" and not lora) else "bf16")
    c["base_dtype"] = base
    m = m.to(DT[base])
    if lora:
        apply_lora(m, c)
    m.train()
    return m


def nbytes(t):
    return storage_of(t)[1]


def inputs(c, dtype, requires_grad):
    b, s, h = c["batch"], c["seq"], c["hidden"]
    x0 = torch.randn(b, s, h, dtype=dtype, requires_grad=requires_grad)
    x = x0.clone() if requires_grad else x0  # non-leaf like a real layer input (no AccumulateGrad holding it)
    extra = {}
    if c["arch"] == "head":
        extra["labels"] = torch.randint(0, c["vocab"], (b, s))
    else:
        cos, sin = rope_tables(b, s, c["head_dim"], dtype)
        extra["cos"], extra["sin"] = cos, sin
        extra["mask"] = None
        if c["attention"] == "eager":
            # transformers builds one 4-D additive causal mask per forward, in the hidden states' dtype
            mask = torch.full((s, s), torch.finfo(dtype).min, dtype=dtype).triu(1)
            extra["mask"] = mask[None, None].expand(b, 1, s, s).contiguous()
    return x0, x, extra


def call(m, c, x, extra):
    if c["arch"] == "head":
        return m(x, extra["labels"])
    if c.get("checkpointing"):
        return checkpoint(m, x, extra["cos"], extra["sin"], extra["mask"], use_reentrant=c.get("use_reentrant", False))
    return m(x, extra["cos"], extra["sin"], extra["mask"])


def measure_train(c):
    m = build(c)
    prec = c["precision"]
    act_dtype = DT[c["base_dtype"]] if c.get("lora_rank") is not None else (torch.bfloat16 if prec == "bf16" else torch.float32)
    params = list(m.parameters())
    ex = module_storages(m)
    tr = LiveTracker(ex, params)
    res = {}
    with tr:
        x0, x, extra = inputs(c, act_dtype, True)
        shared = [t for k, t in extra.items() if isinstance(t, torch.Tensor)]
        shared_ptrs = {storage_of(t)[0] for t in shared}
        res["input_bytes"] = nbytes(x)
        res["shared_bytes"] = {k: nbytes(t) for k, t in extra.items() if isinstance(t, torch.Tensor)}
        b0 = tr.live
        tr.start_window()
        ac = torch.autocast("cpu", dtype=torch.bfloat16, enabled=(prec == "amp-bf16"))
        with ac:
            with saved(tr, ex) as seen:
                y = call(m, c, x, extra)
        res["fwd_peak_bytes"] = tr.window_peak - b0 + res["input_bytes"]
        res["fwd_end_bytes"] = tr.live - b0 + res["input_bytes"]
        x_ptr = storage_of(x)[0]
        res["input_saved"] = x_ptr in seen
        layer_seen = {p: v for p, v in seen.items() if p not in shared_ptrs}
        res["saved_bytes"] = sum(nb for nb, _ in layer_seen.values())
        res["saved_by_dtype"] = by_dtype(layer_seen)
        res["saved_weight_copy_bytes"] = sum(nb for nb, info in layer_seen.values() if info[3])
        res["saved_shared_bytes"] = sum(nb for p, (nb, _) in seen.items() if p in shared_ptrs)
        res["saved_breakdown"] = breakdown(layer_seen)
        del seen, layer_seen
        out_bytes = nbytes(y)
        res["output_bytes"] = out_bytes
        xb = res["input_bytes"]
        del x
        gc.collect()
        # Per-layer retained in a stack: what this layer keeps alive after its forward (its input included if kept),
        # its output excluded (that is the next layer's input).
        res["retained_bytes"] = tr.live - (b0 - xb) - (out_bytes if c["arch"] != "head" else 0)
        if c["arch"] == "head":
            res["loss_bytes"] = out_bytes
        dy = torch.ones_like(y) if c["arch"] != "head" else None
        hooks = tr.grad_hooks(params)
        start = tr.live
        tr.start_window()
        if dy is None:
            y.backward()
        else:
            y.backward(dy)
        # backward peak above the inputs that are not the layer's (x0 leaf stand-in, rope tables, mask) and its
        # output y (held only by this script): saved tensors + incoming gradient + parameter grads + transients.
        not_layer = (b0 - xb) + (out_bytes if c["arch"] != "head" else 0)
        res["bwd_peak_bytes"] = tr.window_peak - not_layer
        res["bwd_start_bytes"] = start - not_layer
        # the same peak with each parameter gradient left out once it is accumulated into .grad
        res["bwd_act_peak_bytes"] = tr.adj_window_peak - not_layer
        for hk in hooks:
            hk.remove()
        res["param_grad_bytes"] = sum(nbytes(p.grad) for p in params if p.grad is not None)
        res["input_grad_bytes"] = nbytes(x0.grad) if x0.grad is not None else 0
        del y, dy, x0, extra, shared
    res["trainable_params"] = sum(p.numel() for p in params if p.requires_grad)
    res["params"] = sum(p.numel() for p in params)
    res["weight_bytes"] = sum(nbytes(p) for p in params)
    return res


def measure_infer(c):
    if c["arch"] == "head":
        return {}
    m = build(c)
    m.eval()
    prec = c["precision"]
    act_dtype = DT[c["base_dtype"]] if c.get("lora_rank") is not None else (torch.bfloat16 if prec == "bf16" else torch.float32)
    ex = module_storages(m)
    res = {}
    with torch.no_grad():
        tr = LiveTracker(ex, list(m.parameters()))
        tr.snap_at_peak = True
        with tr:
            x0, x, extra = inputs(c, act_dtype, False)
            xb = nbytes(x)
            b0 = tr.live
            tr.start_window()
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=(prec == "amp-bf16")):
                y = m(x, extra["cos"], extra["sin"], extra["mask"])
            res["infer_peak_bytes"] = tr.window_peak - b0 + xb
            res["infer_live_at_peak"] = tr.snap
            # autocast caches the bf16 copy of every leaf weight that requires grad until the autocast
            # context exits, under no_grad too (params of a from_pretrained model require grad)
            res["infer_weight_cache_bytes"] = sum(v for k, v in (tr.snap or {}).items() if "(param)" in k)
            del y, x, x0, extra
    return res


def config_id(c):
    parts = [c["arch"], f"h{c['hidden']}"]
    if c["arch"] != "head":
        parts += [f"a{c['heads']}kv{c['kv_heads']}d{c['head_dim']}", f"i{c['intermediate']}"]
        if c["arch"] == "mixtral":
            parts.append(f"e{c['experts']}k{c['top_k']}")
        parts.append(c["attention"])
    else:
        parts.append(f"v{c['vocab']}")
    parts += [f"b{c['batch']}s{c['seq']}", c["precision"]]
    if c.get("checkpointing"):
        parts.append("ckpt-reentrant" if c.get("use_reentrant") else "ckpt")
    if c.get("lora_rank") is not None:
        parts.append(f"lora{c['lora_rank']}-{c['lora_targets'].replace(',', '+')}-p{c['lora_dropout']}-{c['adapter_dtype']}")
        if c.get("cpu_dropout"):
            parts.append("cpu-dropout")
    else:
        parts.append("full")
    if c.get("qkv_bias"):
        parts.append("qkvbias")
    return "-".join(parts)


def run(c, argv):
    c = dict(c)
    t = time.time()
    rec = {"id": config_id(c)}
    tr = measure_train(c)
    inf = measure_infer(c)
    cfg = {k: v for k, v in c.items()}
    rec.update(config=cfg, **tr, **inf)
    rec["torch"] = torch.__version__
    rec["threads"] = torch.get_num_threads()
    rec["command"] = "/work/venv-t2/bin/python bench/torch2/blocks.py " + " ".join(argv)
    rec["seconds"] = round(time.time() - t, 2)
    return rec


# ---------------------------------------------------------------- the grid -----------------------------------
def shape(h, kv, inter=None, arch="llama", **kw):
    heads = 8
    d = h // heads
    c = dict(arch=arch, hidden=h, heads=heads, kv_heads=kv, head_dim=d, intermediate=inter or int(round(h * 2.6875)))
    c.update(kw)
    return c


S_GQA_256 = shape(256, 2)
S_MHA_512 = shape(512, 8)
S_GQA_1024 = shape(1024, 2)
BS = [(1, 128), (2, 512), (1, 1024), (4, 256)]
PRECS = ["fp32", "amp-bf16", "bf16"]


def small_enough(c):
    """bf16 matmuls run at ~5 GFLOP/s on this AVX2 CPU: keep bf16 runs to at most 1024 tokens at hidden 1024."""
    T = c["batch"] * c["seq"]
    if c["precision"] != "fp32" and c["hidden"] >= 1024 and T > 1024:
        return False
    return True


def grid():
    out = []
    # 1. base sweep: full fine-tune, SDPA (transformers' current path: enable_gqa), no checkpointing
    for s, (b, n), p in itertools.product([S_GQA_256, S_MHA_512, S_GQA_1024], BS, PRECS):
        out.append(dict(s, batch=b, seq=n, precision=p, attention="sdpa"))
    # 2. attention variants
    for s, (b, n), p, att in itertools.product([S_GQA_256, S_MHA_512, S_GQA_1024], [(1, 128), (2, 512)], PRECS, ["sdpa_repeat", "eager"]):
        if att == "sdpa_repeat" and s["kv_heads"] == s["heads"]:
            continue
        out.append(dict(s, batch=b, seq=n, precision=p, attention=att))
    # 3. checkpointing (non-reentrant; a few reentrant as transformers' default use_reentrant=True)
    for s, (b, n), p in itertools.product([S_GQA_256, S_GQA_1024], [(1, 128), (2, 512)], PRECS):
        out.append(dict(s, batch=b, seq=n, precision=p, attention="sdpa", checkpointing=True))
    for p in PRECS:
        out.append(dict(S_GQA_256, batch=2, seq=512, precision=p, attention="sdpa", checkpointing=True, use_reentrant=True))
    # 4. LoRA: q,v (PEFT's default for Llama) and all-linear; dropout 0.05 and 0
    for s, (b, n), p, tg, dp in itertools.product([S_GQA_256, S_GQA_1024], [(1, 128), (2, 512)], PRECS, ["q_proj,v_proj", "all-linear"], [0.05, 0.0]):
        out.append(dict(s, batch=b, seq=n, precision=p, attention="sdpa", lora_rank=16, lora_alpha=32, lora_targets=tg, lora_dropout=dp, adapter_dtype="fp32"))
    for p in ["amp-bf16", "bf16"]:  # adapters kept bf16 (autocast_adapter_dtype=False), what vramfit assumes for pure bf16
        out.append(dict(S_GQA_256, batch=2, seq=512, precision=p, attention="sdpa", lora_rank=16, lora_alpha=32, lora_targets="all-linear", lora_dropout=0.05, adapter_dtype="bf16"))
    for p in PRECS:  # F.dropout's CPU path for comparison
        out.append(dict(S_GQA_256, batch=2, seq=512, precision=p, attention="sdpa", lora_rank=16, lora_alpha=32, lora_targets="all-linear", lora_dropout=0.05, adapter_dtype="fp32", cpu_dropout=True))
    for p in PRECS:  # LoRA + checkpointing
        out.append(dict(S_GQA_256, batch=2, seq=512, precision=p, attention="sdpa", checkpointing=True, lora_rank=16, lora_alpha=32, lora_targets="all-linear", lora_dropout=0.05, adapter_dtype="fp32"))
    # 5. Qwen2: q/k/v bias
    for p in PRECS:
        out.append(dict(shape(512, 2, qkv_bias=True), batch=2, seq=512, precision=p, attention="sdpa"))
    # 6. Mixtral MoE layer: 8 experts, top-2
    for (b, n), p, att in itertools.product([(1, 256), (2, 512)], PRECS, ["sdpa", "eager"]):
        out.append(dict(shape(512, 2, inter=896, arch="mixtral", experts=8, top_k=2), batch=b, seq=n, precision=p, attention=att))
    for p in PRECS:
        out.append(dict(shape(512, 2, inter=896, arch="mixtral", experts=8, top_k=2), batch=2, seq=512, precision=p, attention="sdpa", lora_rank=16, lora_alpha=32, lora_targets="all-linear", lora_dropout=0.05, adapter_dtype="fp32"))
    # 7. Gemma2 layer: 4 norms, GeLU-tanh, soft-capping (eager), head_dim decoupled from hidden
    g2 = dict(arch="gemma2", hidden=512, heads=8, kv_heads=4, head_dim=64, intermediate=2048, query_pre_attn_scalar=64, attn_logit_softcapping=50.0)
    for (b, n), p, att in itertools.product([(1, 256), (2, 512)], PRECS, ["sdpa", "eager"]):
        out.append(dict(g2, batch=b, seq=n, precision=p, attention=att))
    # 8. LM head + causal-LM loss, vocab 32000
    for h, (b, n), p in itertools.product([512, 1024], [(1, 256), (2, 512), (1, 2048)], PRECS):
        out.append(dict(arch="head", hidden=h, vocab=32000, batch=b, seq=n, precision=p))
    for h, p in itertools.product([512], PRECS):  # frozen head (LoRA runs): nothing in the head trains
        out.append(dict(arch="head", hidden=h, vocab=32000, batch=2, seq=512, precision=p, lora_rank=16, lora_alpha=32, lora_targets="q_proj,v_proj", lora_dropout=0.0, adapter_dtype="fp32"))
    return [c for c in out if small_enough(c)]


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--grid", action="store_true", help="run the whole grid")
    ap.add_argument("--filter", default="", help="only configurations whose id contains all of these comma-separated words")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--skip", default="", help="a jsonl file: skip ids already in it")
    a = ap.parse_args()
    cs = grid()
    if a.filter:
        words = a.filter.split(",")
        cs = [c for c in cs if all(w in config_id(dict(c)) for w in words)]
    if a.skip and os.path.exists(a.skip):
        done = {json.loads(line)["id"] for line in open(a.skip) if line.strip()}
        cs = [c for c in cs if config_id(dict(c)) not in done]
    if a.list:
        for c in cs:
            print(config_id(dict(c)))
        print(len(cs), "configurations", file=sys.stderr)
        sys.exit(0)
    torch.set_num_threads(int(os.environ.get("THREADS", torch.get_num_threads())))
    for i, c in enumerate(cs):
        rec = run(c, sys.argv[1:])
        print(json.dumps(rec), flush=True)
        print(f"[{i + 1}/{len(cs)}] {rec['id']} {rec['seconds']}s", file=sys.stderr, flush=True)
