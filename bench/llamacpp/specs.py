"""SPEC.json generators for gguf_synth.py: real models' shapes, GGUF metadata keys and tensor names as
llama.cpp's convert_hf_to_gguf.py writes them (gguf-py/gguf/constants.py, src/llama-arch.cpp).
Shapes are ggml order (ne0 = input features). Weights are Q5_0 (norms, biases, router F32) to keep the
sparse files small; the weight type changes the model buffer only, never the KV cache.
Each model keeps its real layer count, heads, head dims, window, n_ctx_train and vocabulary size
(the vocab GGUF is padded to the real size by vocab_pad.py).
Usage: specs.py OUTDIR   -> OUTDIR/<id>.json and OUTDIR/models.tsv (id, base vocab, n_vocab)"""
import json, os, sys

W = "Q5_0"  # weight type of matrices (Q5_0: no CPU_REPACK copy, so loading a sparse file takes seconds)
F = "F32"   # norms, biases, router


def common(arch, name, *, ctx, embd, layers, ff, heads, kv, hd=None, hdv=None, rope_base=10000.0, rms=True,
           rope_dim=None):
    m = {
        "general.architecture": arch, "general.name": name, "general.file_type": 8,  # 8 = MOSTLY_Q5_0
        f"{arch}.context_length": ctx, f"{arch}.embedding_length": embd, f"{arch}.block_count": layers,
        f"{arch}.feed_forward_length": ff, f"{arch}.attention.head_count": heads,
        f"{arch}.attention.head_count_kv": kv, f"{arch}.rope.freq_base": float(rope_base),
        f"{arch}.attention.layer_norm_rms_epsilon" if rms else f"{arch}.attention.layer_norm_epsilon": 1e-5,
    }
    if hd is not None:
        m[f"{arch}.attention.key_length"] = hd
        m[f"{arch}.attention.value_length"] = hdv if hdv is not None else hd
    if rope_dim is not None:
        m[f"{arch}.rope.dimension_count"] = rope_dim
    return m


def llama_like(arch, name, *, vocab, embd, layers, ff, heads, kv, hd, ctx, rope_base=10000.0, tied=False,
               qkv_bias=False, qk_norm=False, post_norms=False, extra=None):
    meta = common(arch, name, ctx=ctx, embd=embd, layers=layers, ff=ff, heads=heads, kv=kv, hd=hd,
                  rope_base=rope_base, rope_dim=hd)
    meta.update(extra or {})
    t = [["token_embd.weight", [embd, vocab], W], ["output_norm.weight", [embd], F]]
    if not tied:
        t.append(["output.weight", [embd, vocab], W])
    for i in range(layers):
        b = f"blk.{i}."
        t += [[b + "attn_norm.weight", [embd], F],
              [b + "attn_q.weight", [embd, heads * hd], W],
              [b + "attn_k.weight", [embd, kv * hd], W],
              [b + "attn_v.weight", [embd, kv * hd], W],
              [b + "attn_output.weight", [heads * hd, embd], W],
              [b + "ffn_norm.weight", [embd], F],
              [b + "ffn_gate.weight", [embd, ff], W],
              [b + "ffn_up.weight", [embd, ff], W],
              [b + "ffn_down.weight", [ff, embd], W]]
        if qkv_bias:
            t += [[b + "attn_q.bias", [heads * hd], F], [b + "attn_k.bias", [kv * hd], F],
                  [b + "attn_v.bias", [kv * hd], F]]
        if qk_norm:
            t += [[b + "attn_q_norm.weight", [hd], F], [b + "attn_k_norm.weight", [hd], F]]
        if post_norms:
            t += [[b + "post_attention_norm.weight", [embd], F], [b + "post_ffw_norm.weight", [embd], F]]
    return {"metadata": meta, "tensors": t}


def qwen3moe(name, *, vocab, embd, layers, heads, kv, hd, experts, used, eff, ctx):
    arch = "qwen3moe"
    meta = common(arch, name, ctx=ctx, embd=embd, layers=layers, ff=6144, heads=heads, kv=kv, hd=hd,
                  rope_base=1e6, rope_dim=hd)
    meta.update({f"{arch}.expert_count": experts, f"{arch}.expert_used_count": used,
                 f"{arch}.expert_feed_forward_length": eff})
    t = [["token_embd.weight", [embd, vocab], W], ["output_norm.weight", [embd], F],
         ["output.weight", [embd, vocab], W]]
    for i in range(layers):
        b = f"blk.{i}."
        t += [[b + "attn_norm.weight", [embd], F], [b + "attn_q.weight", [embd, heads * hd], W],
              [b + "attn_k.weight", [embd, kv * hd], W], [b + "attn_v.weight", [embd, kv * hd], W],
              [b + "attn_output.weight", [heads * hd, embd], W],
              [b + "attn_q_norm.weight", [hd], F], [b + "attn_k_norm.weight", [hd], F],
              [b + "ffn_norm.weight", [embd], F], [b + "ffn_gate_inp.weight", [embd, experts], F],
              [b + "ffn_gate_exps.weight", [embd, eff, experts], W],
              [b + "ffn_up_exps.weight", [embd, eff, experts], W],
              [b + "ffn_down_exps.weight", [eff, embd, experts], W]]
    return {"metadata": meta, "tensors": t}


def deepseek2_lite():
    # DeepSeek-V2-Lite config.json: 27 layers, hidden 2048, 16 heads, kv_lora_rank 512, q_lora_rank null,
    # qk_nope 128, qk_rope 64, v_head 128, intermediate 10944, 64 routed experts (6 used) + 2 shared,
    # moe_intermediate 1408, first_k_dense_replace 1, vocab 102400, max_position_embeddings 163840.
    # Written as the MLA converter does since llama.cpp PR #12801: key_length 576 / value_length 512
    # (the cached latent), key_length_mla 192 / value_length_mla 128, head_count_kv 1, attn_k_b / attn_v_b.
    arch, embd, L, H, vocab = "deepseek2", 2048, 27, 16, 102400
    meta = common(arch, "DeepSeek-V2-Lite", ctx=163840, embd=embd, layers=L, ff=10944, heads=H, kv=1,
                  hd=576, hdv=512, rope_dim=64)
    meta.update({f"{arch}.attention.key_length_mla": 192, f"{arch}.attention.value_length_mla": 128,
                 f"{arch}.attention.kv_lora_rank": 512, f"{arch}.leading_dense_block_count": 1,
                 f"{arch}.expert_count": 64, f"{arch}.expert_used_count": 6, f"{arch}.expert_shared_count": 2,
                 f"{arch}.expert_feed_forward_length": 1408, f"{arch}.expert_weights_scale": 1.0,
                 f"{arch}.expert_gating_func": 1,
                 f"{arch}.rope.scaling.type": "yarn", f"{arch}.rope.scaling.factor": 40.0,
                 f"{arch}.rope.scaling.original_context_length": 4096,
                 f"{arch}.rope.scaling.yarn_log_multiplier": 0.0707})
    t = [["token_embd.weight", [embd, vocab], W], ["output_norm.weight", [embd], F],
         ["output.weight", [embd, vocab], W]]
    for i in range(L):
        b = f"blk.{i}."
        t += [[b + "attn_norm.weight", [embd], F], [b + "attn_q.weight", [embd, H * 192], W],
              [b + "attn_kv_a_mqa.weight", [embd, 512 + 64], W], [b + "attn_kv_a_norm.weight", [512], F],
              [b + "attn_k_b.weight", [128, 512, H], W], [b + "attn_v_b.weight", [512, 128, H], W],
              [b + "attn_output.weight", [H * 128, embd], W], [b + "ffn_norm.weight", [embd], F]]
        if i < 1:
            t += [[b + "ffn_gate.weight", [embd, 10944], W], [b + "ffn_up.weight", [embd, 10944], W],
                  [b + "ffn_down.weight", [10944, embd], W]]
        else:
            t += [[b + "ffn_gate_inp.weight", [embd, 64], F],
                  [b + "ffn_gate_exps.weight", [embd, 1408, 64], W], [b + "ffn_up_exps.weight", [embd, 1408, 64], W],
                  [b + "ffn_down_exps.weight", [1408, embd, 64], W],
                  [b + "ffn_gate_shexp.weight", [embd, 2816], W], [b + "ffn_up_shexp.weight", [embd, 2816], W],
                  [b + "ffn_down_shexp.weight", [2816, embd], W]]
    return {"metadata": meta, "tensors": t}


def gpt_oss_20b():
    # openai/gpt-oss-20b config.json: 24 layers, hidden 2880, 64 heads, 8 KV heads, head_dim 64, 32 experts
    # (4 used), intermediate 2880, sliding_window 128 on alternating layers, vocab 201088, attention sinks.
    arch, embd, L, H, KV, hd, E, vocab = "gpt-oss", 2880, 24, 64, 8, 64, 32, 201088
    meta = common(arch, "gpt-oss-20b", ctx=131072, embd=embd, layers=L, ff=2880, heads=H, kv=KV, hd=hd,
                  rope_base=150000.0, rope_dim=hd)
    meta.update({f"{arch}.expert_count": E, f"{arch}.expert_used_count": 4,
                 f"{arch}.expert_feed_forward_length": 2880, f"{arch}.attention.sliding_window": 128,
                 f"{arch}.rope.scaling.type": "yarn", f"{arch}.rope.scaling.factor": 32.0,
                 f"{arch}.rope.scaling.original_context_length": 4096})
    t = [["token_embd.weight", [embd, vocab], W], ["output_norm.weight", [embd], F],
         ["output.weight", [embd, vocab], W]]
    for i in range(L):
        b = f"blk.{i}."
        t += [[b + "attn_norm.weight", [embd], F],
              [b + "attn_q.weight", [embd, H * hd], W], [b + "attn_q.bias", [H * hd], F],
              [b + "attn_k.weight", [embd, KV * hd], W], [b + "attn_k.bias", [KV * hd], F],
              [b + "attn_v.weight", [embd, KV * hd], W], [b + "attn_v.bias", [KV * hd], F],
              [b + "attn_output.weight", [H * hd, embd], W], [b + "attn_output.bias", [embd], F],
              [b + "attn_sinks.weight", [H], F], [b + "post_attention_norm.weight", [embd], F],
              [b + "ffn_gate_inp.weight", [embd, E], F], [b + "ffn_gate_inp.bias", [E], F],
              [b + "ffn_gate_exps.weight", [embd, 2880, E], W], [b + "ffn_gate_exps.bias", [2880, E], F],
              [b + "ffn_up_exps.weight", [embd, 2880, E], W], [b + "ffn_up_exps.bias", [2880, E], F],
              [b + "ffn_down_exps.weight", [2880, embd, E], W], [b + "ffn_down_exps.bias", [embd, E], F]]
    return {"metadata": meta, "tensors": t}


def phi3_mini_4k():
    # microsoft/Phi-3-mini-4k-instruct: 32 layers, hidden 3072, 32 heads (MHA), head 96, intermediate 8192,
    # vocab 32064, max_position 4096, sliding_window 2047 (written by the converter, unused by llama.cpp).
    arch, embd, L, ff, vocab = "phi3", 3072, 32, 8192, 32064
    meta = common(arch, "Phi-3-mini-4k", ctx=4096, embd=embd, layers=L, ff=ff, heads=32, kv=32, rope_dim=96)
    meta[f"{arch}.attention.sliding_window"] = 2047
    t = [["token_embd.weight", [embd, vocab], W], ["output_norm.weight", [embd], F],
         ["output.weight", [embd, vocab], W]]
    for i in range(L):
        b = f"blk.{i}."
        t += [[b + "attn_norm.weight", [embd], F], [b + "attn_qkv.weight", [embd, 3 * embd], W],
              [b + "attn_output.weight", [embd, embd], W], [b + "ffn_norm.weight", [embd], F],
              [b + "ffn_up.weight", [embd, 2 * ff], W], [b + "ffn_down.weight", [ff, embd], W]]
    return {"metadata": meta, "tensors": t}


def falcon_7b():
    # tiiuae/falcon-7b: 32 layers, hidden 4544, 71 heads, multi-query (1 KV head), head 64, ffn 4*4544,
    # parallel attention, vocab 65024, n_ctx_train 2048.
    arch, embd, L, H, hd, vocab = "falcon", 4544, 32, 71, 64, 65024
    meta = common(arch, "Falcon-7B", ctx=2048, embd=embd, layers=L, ff=4 * embd, heads=H, kv=1, rms=False)
    t = [["token_embd.weight", [embd, vocab], W], ["output_norm.weight", [embd], F],
         ["output_norm.bias", [embd], F], ["output.weight", [embd, vocab], W]]
    for i in range(L):
        b = f"blk.{i}."
        t += [[b + "attn_norm.weight", [embd], F], [b + "attn_norm.bias", [embd], F],
              [b + "attn_qkv.weight", [embd, embd + 2 * hd], W], [b + "attn_output.weight", [embd, embd], W],
              [b + "ffn_up.weight", [embd, 4 * embd], W], [b + "ffn_down.weight", [4 * embd, embd], W]]
    return {"metadata": meta, "tensors": t}


def gptneox_pythia_2_8b():
    # EleutherAI/pythia-2.8b: 32 layers, hidden 2560, 32 heads, ffn 10240, rotary_pct 0.25 (20 dims),
    # parallel residual, vocab 50304, n_ctx_train 2048 (the ggml-org/ci model of the published CUDA logs).
    arch, embd, L, ff, vocab = "gptneox", 2560, 32, 10240, 50304
    meta = common(arch, "pythia-2.8b", ctx=2048, embd=embd, layers=L, ff=ff, heads=32, kv=32, rms=False,
                  rope_dim=20)
    meta[f"{arch}.use_parallel_residual"] = True
    t = [["token_embd.weight", [embd, vocab], W], ["output_norm.weight", [embd], F],
         ["output_norm.bias", [embd], F], ["output.weight", [embd, vocab], W]]
    for i in range(L):
        b = f"blk.{i}."
        t += [[b + "attn_norm.weight", [embd], F], [b + "attn_norm.bias", [embd], F],
              [b + "attn_qkv.weight", [embd, 3 * embd], W], [b + "attn_qkv.bias", [3 * embd], F],
              [b + "attn_output.weight", [embd, embd], W], [b + "attn_output.bias", [embd], F],
              [b + "ffn_norm.weight", [embd], F], [b + "ffn_norm.bias", [embd], F],
              [b + "ffn_up.weight", [embd, ff], W], [b + "ffn_up.bias", [ff], F],
              [b + "ffn_down.weight", [ff, embd], W], [b + "ffn_down.bias", [embd], F]]
    return {"metadata": meta, "tensors": t}


def phi2():
    # microsoft/phi-2: 32 layers, hidden 2560, 32 heads, ffn 10240, partial rotary 32 dims, parallel block,
    # vocab 51200, n_ctx_train 2048 (the model of llama.cpp's eval-callback README CUDA log).
    arch, embd, L, ff, vocab = "phi2", 2560, 32, 10240, 51200
    meta = common(arch, "phi-2", ctx=2048, embd=embd, layers=L, ff=ff, heads=32, kv=32, rms=False, rope_dim=32)
    t = [["token_embd.weight", [embd, vocab], W], ["output_norm.weight", [embd], F],
         ["output_norm.bias", [embd], F], ["output.weight", [embd, vocab], W], ["output.bias", [vocab], F]]
    for i in range(L):
        b = f"blk.{i}."
        t += [[b + "attn_norm.weight", [embd], F], [b + "attn_norm.bias", [embd], F],
              [b + "attn_qkv.weight", [embd, 3 * embd], W], [b + "attn_qkv.bias", [3 * embd], F],
              [b + "attn_output.weight", [embd, embd], W], [b + "attn_output.bias", [embd], F],
              [b + "ffn_up.weight", [embd, ff], W], [b + "ffn_up.bias", [ff], F],
              [b + "ffn_down.weight", [ff, embd], W], [b + "ffn_down.bias", [embd], F]]
    return {"metadata": meta, "tensors": t}


def models():
    """id -> (spec, base vocab file, n_vocab). Shapes from each model's config.json on the Hugging Face Hub."""
    spm, gpt2, phi3v = "ggml-vocab-llama-spm.gguf", "ggml-vocab-gpt-2.gguf", "ggml-vocab-phi-3.gguf"
    return {
        # meta-llama/Llama-2-7b-hf: MHA 32x128, ffn 11008, vocab 32000, ctx 4096
        "llama2-7b": (llama_like("llama", "Llama-2-7B", vocab=32000, embd=4096, layers=32, ff=11008, heads=32,
                                 kv=32, hd=128, ctx=4096), spm, 32000),
        # meta-llama/Meta-Llama-3-8B: GQA 32/8, ffn 14336, vocab 128256, ctx 8192, rope 500000
        "llama3-8b": (llama_like("llama", "Llama-3-8B", vocab=128256, embd=4096, layers=32, ff=14336, heads=32,
                                 kv=8, hd=128, ctx=8192, rope_base=500000.0), spm, 128256),
        # mistralai/Mistral-Nemo-Base-2407: 40 layers, hidden 5120, GQA 32/8, head_dim 128 (!= 5120/32)
        "mistral-nemo-12b": (llama_like("llama", "Mistral-Nemo-12B", vocab=131072, embd=5120, layers=40,
                                        ff=14336, heads=32, kv=8, hd=128, ctx=1024000, rope_base=1e6),
                             spm, 131072),
        # Qwen/Qwen2.5-7B: 28 layers, hidden 3584, GQA 28/4, q/k/v biases, ffn 18944, vocab 152064
        "qwen2.5-7b": (llama_like("qwen2", "Qwen2.5-7B", vocab=152064, embd=3584, layers=28, ff=18944, heads=28,
                                  kv=4, hd=128, ctx=32768, rope_base=1e6, qkv_bias=True), gpt2, 152064),
        # Qwen/Qwen3-8B: 36 layers, hidden 4096, GQA 32/8, q/k norm, ffn 12288, vocab 151936, ctx 40960
        "qwen3-8b": (llama_like("qwen3", "Qwen3-8B", vocab=151936, embd=4096, layers=36, ff=12288, heads=32,
                                kv=8, hd=128, ctx=40960, rope_base=1e6, qk_norm=True), gpt2, 151936),
        # google/gemma-2-9b: 42 layers, hidden 3584, 16/8 heads x 256, ffn 14336, window 4096 on every other
        # layer, softcaps 50/30, tied embeddings, vocab 256000, ctx 8192
        "gemma2-9b": (llama_like("gemma2", "Gemma-2-9B", vocab=256000, embd=3584, layers=42, ff=14336, heads=16,
                                 kv=8, hd=256, ctx=8192, tied=True, post_norms=True,
                                 extra={"gemma2.attention.sliding_window": 4096,
                                        "gemma2.attn_logit_softcapping": 50.0,
                                        "gemma2.final_logit_softcapping": 30.0}), spm, 256000),
        # google/gemma-3-12b-pt: 48 layers, hidden 3840, 16/8 heads x 256, ffn 15360, window 1024 on 5 of 6
        # layers, q/k norm, tied embeddings, vocab 262208, ctx 131072
        "gemma3-12b": (llama_like("gemma3", "Gemma-3-12B", vocab=262208, embd=3840, layers=48, ff=15360,
                                  heads=16, kv=8, hd=256, ctx=131072, rope_base=1e6, tied=True, qk_norm=True,
                                  post_norms=True, extra={"gemma3.attention.sliding_window": 1024}),
                       spm, 262208),
        "phi3-mini-4k": (phi3_mini_4k(), phi3v, 32064),
        "falcon-7b": (falcon_7b(), gpt2, 65024),
        "pythia-2.8b": (gptneox_pythia_2_8b(), gpt2, 50304),
        "phi2": (phi2(), gpt2, 51200),
        "deepseek-v2-lite": (deepseek2_lite(), gpt2, 102400),
        # Qwen/Qwen3-30B-A3B: 48 layers, hidden 2048, GQA 32/4 x 128, 128 experts (8 used) of 768, vocab 151936
        "qwen3-30b-a3b": (qwen3moe("Qwen3-30B-A3B", vocab=151936, embd=2048, layers=48, heads=32, kv=4, hd=128,
                                   experts=128, used=8, eff=768, ctx=40960), gpt2, 151936),
        "gpt-oss-20b": (gpt_oss_20b(), gpt2, 201088),
    }


if __name__ == "__main__":
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "models.tsv"), "w") as tsv:
        for mid, (spec, vocab, n_vocab) in models().items():
            json.dump(spec, open(os.path.join(out, mid + ".json"), "w"))
            tsv.write(f"{mid}\t{vocab}\t{n_vocab}\n")
