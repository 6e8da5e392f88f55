"""Write a vocab-only GGUF with exactly N tokens, from one of the shared vocab GGUFs, by appending
unused normal tokens "<vf_pad_i>". Lets a synthetic model keep its real vocabulary size (the output
and compute buffers depend on n_vocab) while using a tokenizer llama.cpp can load.
Usage: vocab_pad.py BASE_VOCAB.gguf N OUT.gguf"""
import os, struct, sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "tools"))
import gguf_synth as g  # noqa: E402


def main(base, n, out):
    n = int(n)
    kvs = g.read_kvs(base)
    have = next(len(v[1]) for k, t, v in kvs if k == "tokenizer.ggml.tokens")
    if n < have:
        raise SystemExit(f"{base} has {have} tokens, cannot shrink to {n}")
    extra = n - have
    res = []
    for k, t, v in kvs:
        if t == 9 and k == "tokenizer.ggml.tokens":
            v = (v[0], v[1] + [f"<vf_pad_{i}>".encode() for i in range(extra)])
        elif t == 9 and k == "tokenizer.ggml.scores":
            v = (v[0], v[1] + [-1e4] * extra)
        elif t == 9 and k == "tokenizer.ggml.token_type":
            v = (v[0], v[1] + [1] * extra)
        res.append((k, t, v))
    head = b"GGUF" + struct.pack("<IQQ", 3, 0, len(res))
    head += b"".join(g.w_str(k) + struct.pack("<I", t) + g.w_val(t, v) for k, t, v in res)
    head += b"\0" * ((32 - len(head) % 32) % 32)
    open(out, "wb").write(head)


if __name__ == "__main__":
    main(*sys.argv[1:])
