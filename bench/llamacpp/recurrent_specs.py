"""SPEC.json generators for recurrent and hybrid models (issue #18): real models' shapes with the GGUF keys and
tensor names that llama.cpp's loader asks for (src/models/<arch>.cpp load_arch_hparams / load_arch_tensors of the
llama.cpp bundled in node-llama-cpp 3.22.1; names from src/llama-arch.cpp). Matrices whose first dimension is a
multiple of 32 are Q5_0 (no CPU repack copy), everything else F32. Shapes come from each model's config.json as
copied in the catalog (src/catalog/models/, formerly incoming/; the file is named next to each model).
Usage: recurrent_specs.py OUTDIR   -> OUTDIR/<id>.json and OUTDIR/models.tsv (id, base vocab, n_vocab)"""
import json, os, sys

W, F = "Q5_0", "F32"


def mat(name, ne0, ne1):
    return [name, [ne0, ne1], W if ne0 % 32 == 0 else F]


def vec(name, *dims):
    return [name, list(dims), F]


def base(arch, name, *, ctx, embd, layers, eps=1e-5, rms=True):
    key = f"{arch}.attention.layer_norm_rms_epsilon" if rms else f"{arch}.attention.layer_norm_epsilon"
    return {"general.architecture": arch, "general.name": name, "general.file_type": 8,
            f"{arch}.context_length": ctx, f"{arch}.embedding_length": embd, f"{arch}.block_count": layers, key: eps}


def mamba_2_8b():
    # src/catalog/models/mamba-2.8b.json (state-spaces/mamba-2.8b-hf): hidden 2560, 64 layers, d_inner 5120,
    # state 16, conv 4, dt_rank 160, vocab 50280, tied embeddings.
    arch, E, L, I, N, K, R, V = "mamba", 2560, 64, 5120, 16, 4, 160, 50280
    m = base(arch, "Mamba-2.8B", ctx=1048576, embd=E, layers=L)
    m.update({f"{arch}.feed_forward_length": 0, f"{arch}.attention.head_count": 0, f"{arch}.ssm.conv_kernel": K,
              f"{arch}.ssm.inner_size": I, f"{arch}.ssm.state_size": N, f"{arch}.ssm.time_step_rank": R})
    t = [mat("token_embd.weight", E, V), vec("output_norm.weight", E)]
    for i in range(L):
        b = f"blk.{i}."
        t += [vec(b + "attn_norm.weight", E), mat(b + "ssm_in.weight", E, 2 * I), vec(b + "ssm_conv1d.weight", K, I),
              vec(b + "ssm_conv1d.bias", I), mat(b + "ssm_x.weight", I, R + 2 * N), mat(b + "ssm_dt.weight", R, I),
              vec(b + "ssm_dt.bias", I), vec(b + "ssm_a", N, I), vec(b + "ssm_d", I), mat(b + "ssm_out.weight", I, E)]
    return {"metadata": m, "tensors": t}


def nemotron_h(name, *, E, pattern, heads, kv, hd, ff, mheads, mhd, groups, N, K, V, ctx):
    # Mamba-2 (M), attention (*) and MLP (-) layers by hybrid_override_pattern (llama.cpp: a layer is recurrent
    # iff head_count_kv and feed_forward_length are 0 for it).
    arch, L = "nemotron_h", len(pattern)
    I = mheads * mhd
    m = base(arch, name, ctx=ctx, embd=E, layers=L)
    m.update({f"{arch}.attention.layer_norm_epsilon": 1e-5, f"{arch}.attention.head_count": heads,
              f"{arch}.attention.head_count_kv": [kv if c == "*" else 0 for c in pattern],
              f"{arch}.feed_forward_length": [ff if c == "-" else 0 for c in pattern],
              f"{arch}.attention.key_length": hd, f"{arch}.attention.value_length": hd,
              f"{arch}.ssm.conv_kernel": K, f"{arch}.ssm.inner_size": I, f"{arch}.ssm.state_size": N,
              f"{arch}.ssm.time_step_rank": mheads, f"{arch}.ssm.group_count": groups})
    t = [mat("token_embd.weight", E, V), vec("output_norm.weight", E), mat("output.weight", E, V)]
    conv = I + 2 * groups * N
    for i, c in enumerate(pattern):
        b = f"blk.{i}."
        t.append(vec(b + "attn_norm.weight", E))
        if c == "M":
            t += [mat(b + "ssm_in.weight", E, 2 * I + 2 * groups * N + mheads), vec(b + "ssm_conv1d.weight", K, conv),
                  vec(b + "ssm_conv1d.bias", conv), vec(b + "ssm_dt.bias", mheads), vec(b + "ssm_a", 1, mheads),
                  vec(b + "ssm_d", 1, mheads), vec(b + "ssm_norm.weight", I // groups, groups), mat(b + "ssm_out.weight", I, E)]
        elif c == "*":
            t += [mat(b + "attn_q.weight", E, heads * hd), mat(b + "attn_k.weight", E, kv * hd),
                  mat(b + "attn_v.weight", E, kv * hd), mat(b + "attn_output.weight", heads * hd, E)]
        else:
            t += [mat(b + "ffn_up.weight", E, ff), mat(b + "ffn_down.weight", ff, E)]
    return {"metadata": m, "tensors": t}


def qwen35_27b():
    # src/catalog/models/qwen3.5-27b.json (Qwen/Qwen3.5-27B text_config): hidden 5120, 64 layers, full attention
    # every 4th (24 heads, 4 KV heads, head_dim 256, output gate), gated DeltaNet otherwise (16 key heads, 48 value
    # heads, head dims 128, conv 4), ffn 17408, vocab 248320, partial rotary 0.25, mrope sections [11, 11, 10].
    arch, E, L, H, KV, hd, ff, V = "qwen35", 5120, 64, 24, 4, 256, 17408, 248320
    kh, vh, dk, K = 16, 48, 128, 4
    key_dim, value_dim = kh * dk, vh * dk
    m = base(arch, "Qwen3.5-27B", ctx=262144, embd=E, layers=L, eps=1e-6)
    m.update({f"{arch}.feed_forward_length": ff, f"{arch}.attention.head_count": H, f"{arch}.attention.head_count_kv": KV,
              f"{arch}.attention.key_length": hd, f"{arch}.attention.value_length": hd,
              f"{arch}.rope.dimension_count": hd // 4, f"{arch}.rope.dimension_sections": [11, 11, 10, 0],
              f"{arch}.rope.freq_base": 10000000.0, f"{arch}.full_attention_interval": 4,
              f"{arch}.ssm.conv_kernel": K, f"{arch}.ssm.inner_size": value_dim, f"{arch}.ssm.state_size": dk,
              f"{arch}.ssm.time_step_rank": vh, f"{arch}.ssm.group_count": kh})
    t = [mat("token_embd.weight", E, V), vec("output_norm.weight", E), mat("output.weight", E, V)]
    for i in range(L):
        b = f"blk.{i}."
        t += [vec(b + "attn_norm.weight", E), vec(b + "post_attention_norm.weight", E)]
        if (i + 1) % 4 == 0:
            t += [mat(b + "attn_q.weight", E, 2 * H * hd), mat(b + "attn_k.weight", E, KV * hd),
                  mat(b + "attn_v.weight", E, KV * hd), mat(b + "attn_output.weight", H * hd, E),
                  vec(b + "attn_q_norm.weight", hd), vec(b + "attn_k_norm.weight", hd)]
        else:
            t += [mat(b + "attn_qkv.weight", E, 2 * key_dim + value_dim), mat(b + "attn_gate.weight", E, value_dim),
                  vec(b + "ssm_conv1d.weight", K, 2 * key_dim + value_dim), vec(b + "ssm_dt.bias", vh), vec(b + "ssm_a", vh),
                  mat(b + "ssm_beta.weight", E, vh), mat(b + "ssm_alpha.weight", E, vh), vec(b + "ssm_norm.weight", dk),
                  mat(b + "ssm_out.weight", value_dim, E)]
        t += [mat(b + "ffn_gate.weight", E, ff), mat(b + "ffn_up.weight", E, ff), mat(b + "ffn_down.weight", ff, E)]
    return {"metadata": m, "tensors": t}


def lfm2_1_2b():
    # src/catalog/models/lfm2-1.2b.json (LiquidAI/LFM2-1.2B): hidden 2048, 16 layers, attention at
    # full_attn_idxs [2, 5, 8, 10, 12, 14] (32 heads, 8 KV heads, head_dim 64), short conv L_cache 3 elsewhere,
    # ffn 12288 auto-adjusted to 8192 (2/3, multiple of 256), vocab 65536, tied.
    arch, E, L, H, KV, hd, ff, V, Lc = "lfm2", 2048, 16, 32, 8, 64, 8192, 65536, 3
    attn = {2, 5, 8, 10, 12, 14}
    m = base(arch, "LFM2-1.2B", ctx=128000, embd=E, layers=L)
    m.update({f"{arch}.feed_forward_length": ff, f"{arch}.attention.head_count": H,
              f"{arch}.attention.head_count_kv": [KV if i in attn else 0 for i in range(L)],
              f"{arch}.rope.freq_base": 1000000.0, f"{arch}.shortconv.l_cache": Lc})
    t = [mat("token_embd.weight", E, V), vec("token_embd_norm.weight", E)]
    for i in range(L):
        b = f"blk.{i}."
        t += [vec(b + "ffn_norm.weight", E), mat(b + "ffn_gate.weight", E, ff), mat(b + "ffn_up.weight", E, ff),
              mat(b + "ffn_down.weight", ff, E), vec(b + "attn_norm.weight", E)]
        if i in attn:
            t += [vec(b + "attn_q_norm.weight", hd), vec(b + "attn_k_norm.weight", hd), mat(b + "attn_q.weight", E, E),
                  mat(b + "attn_k.weight", E, KV * hd), mat(b + "attn_v.weight", E, KV * hd), mat(b + "attn_output.weight", E, E)]
        else:
            t += [vec(b + "shortconv.conv.weight", Lc, E), mat(b + "shortconv.in_proj.weight", E, 3 * E),
                  mat(b + "shortconv.out_proj.weight", E, E)]
    return {"metadata": m, "tensors": t}


NEMOTRON_H_56B = "M-M-M-M*-M-M-M-M-M*-M-M-M-M-M*-M-M-M-M-M*-M-M-M-M-M*-M-M-M-M-M*-M-M-M-M-M*-M-M-M-M-M*-M-M-M-M-M*-M-M-M-M-M*-M-M-M-M-M-"


def models():
    spm, gpt2 = "ggml-vocab-llama-spm.gguf", "ggml-vocab-gpt-2.gguf"
    return {
        "mamba-2.8b": (mamba_2_8b(), gpt2, 50280),
        # src/catalog/models/nemotron-h-56b.json (nvidia/Nemotron-H-56B-Base-8K): hidden 8192, 118 layers, 64 heads /
        # 8 KV heads x 128, MLP 32768 (relu2), Mamba-2 256 heads x 64, 8 groups, state 256, conv 4, vocab 131072.
        "nemotron-h-56b": (nemotron_h("Nemotron-H-56B", E=8192, pattern=NEMOTRON_H_56B, heads=64, kv=8, hd=128, ff=32768,
                                      mheads=256, mhd=64, groups=8, N=256, K=4, V=131072, ctx=8192), spm, 131072),
        "qwen3.5-27b": (qwen35_27b(), gpt2, 248320),
        "lfm2-1.2b": (lfm2_1_2b(), spm, 65536),
    }


if __name__ == "__main__":
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    rows = []
    for mid, (spec, vocab, n) in models().items():
        json.dump(spec, open(os.path.join(out, f"{mid}.json"), "w"))
        rows.append(f"{mid}\t{vocab}\t{n}")
    open(os.path.join(out, "models.tsv"), "w").write("\n".join(rows) + "\n")
