"""
Reference parameter counts for the architecture table, computed by Hugging Face transformers itself.

For every model_type the reader lays out, this instantiates the model class transformers 5.18.0 picks for a config
on the meta device (no memory, no weights) and counts its parameters, and (with --defaults) writes the config
its config class builds from its own defaults into defaults/<model_type>.json. The counts are what transformers
builds; checkpoints can hold more (persistent buffers such as score-correction biases, tied heads stored twice):
reference.spec.ts lists those differences per type with their reason.

Run (offline, a virtualenv with torch 2 and transformers 5.18.0 from their wheels):
  python transformers-counts.py [--defaults] <catalog json files...>   > transformers-counts.json
Not run by the tests; its output is committed.
"""
import json, sys, os, warnings, logging
warnings.filterwarnings("ignore")
logging.disable(logging.WARNING)
import torch, transformers

CLASSES = {
    "whisper": "WhisperForConditionalGeneration", "t5": "T5ForConditionalGeneration", "mt5": "MT5ForConditionalGeneration",
    "umt5": "UMT5ForConditionalGeneration", "bart": "BartForConditionalGeneration", "mbart": "MBartForConditionalGeneration",
    "bert": "BertModel", "roberta": "RobertaModel", "xlm-roberta": "XLMRobertaModel", "mpnet": "MPNetModel",
    "distilbert": "DistilBertModel", "modernbert": "ModernBertModel", "camembert": "CamembertModel",
}
# Keys some config classes leave at None although their model needs them (the class alone cannot build).
OVERRIDES = {
    "dots1": {"n_routed_experts": 8, "n_shared_experts": 1, "num_experts_per_tok": 2, "first_k_dense_replace": 1},
    "nemotron": {"num_key_value_heads": 8},
    "hunyuan_v1_dense": {"head_dim": 128},
    "hunyuan_v1_moe": {"head_dim": 128, "num_experts": 8, "moe_topk": 2},
    "ministral": {"head_dim": 128},
    "idefics3": {"text_config": {"model_type": "llama", "vocab_size": 128259, "pad_token_id": 128002}},
}
AUTO = ["AutoModelForImageTextToText", "AutoModelForCausalLM", "AutoModelForSeq2SeqLM", "AutoModel"]

def count(cfg_dict):
    mt = cfg_dict["model_type"]
    cfg = transformers.AutoConfig.for_model(**cfg_dict)
    arch = (cfg_dict.get("architectures") or [None])[0]
    names = ([arch] if arch and hasattr(transformers, arch) else []) + ([CLASSES[mt]] if mt in CLASSES else AUTO)
    err = None
    for name in names:
        cls = getattr(transformers, name)
        try:
            with torch.device("meta"):
                m = cls.from_config(cfg) if name.startswith("Auto") else cls(cfg)
            return {"class": type(m).__name__, "parameters": sum(p.numel() for p in m.parameters()),
                    "persistent_buffers": sum(b.numel() for n, b in m.named_buffers() if n.split(".")[-1] not in m._non_persistent_buffers_set and "inv_freq" not in n)}
        except Exception as e:
            err = e
    raise err

def main():
    args = sys.argv[1:]
    defaults = "--defaults" in args
    files = [a for a in args if not a.startswith("--")]
    out = {"transformers": transformers.__version__, "torch": torch.__version__, "configs": {}, "defaults": {}}
    here = os.path.dirname(os.path.abspath(__file__))
    for f in files:
        # Catalog files write a config's float("inf") as the string "Infinity" (JSON has none): read it back.
        entry = json.loads(open(f).read().replace('"Infinity"', "Infinity"))
        cfg = entry.get("config", entry)
        try:
            out["configs"][os.path.basename(f)] = count(dict(cfg))
        except Exception as e:
            out["configs"][os.path.basename(f)] = {"error": f"{type(e).__name__}: {str(e)[:160]}"}
    if defaults:
        os.makedirs(os.path.join(here, "defaults"), exist_ok=True)
        for mt in [l.strip() for l in open(os.path.join(here, "default-types.txt")) if l.strip() and not l.startswith("#")]:
            try:
                cfg = transformers.AutoConfig.for_model(mt, **OVERRIDES.get(mt, {}))
                d = {k: v for k, v in cfg.to_diff_dict().items() if k not in ("transformers_version",)}
                d["model_type"] = mt
                out["defaults"][mt] = count(dict(d))
                # JSON has no Infinity: a non-finite float (Mamba time_step_limit) is written as the string "Infinity".
                d = json.loads(json.dumps(d).replace("Infinity", '"Infinity"'))
                json.dump(d, open(os.path.join(here, "defaults", f"{mt}.json"), "w"), indent=1, sort_keys=True)
            except Exception as e:
                out["defaults"][mt] = {"error": f"{type(e).__name__}: {str(e)[:160]}"}
    json.dump(out, sys.stdout, indent=1, sort_keys=True)

if __name__ == "__main__":
    main()
