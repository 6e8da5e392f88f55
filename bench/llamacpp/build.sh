#!/bin/sh
# Writes the synthetic GGUF files (sparse, no weight data) for every model of specs.py into $1.
# Needs python3 (stdlib only) and ../shared/tools/gguf_synth.py.
set -eu
OUT=${1:?usage: build.sh OUTDIR}
HERE=$(cd "$(dirname "$0")" && pwd)
SHARED=$(cd "$HERE/../../../shared" && pwd)
mkdir -p "$OUT/spec"
python3 "$HERE/specs.py" "$OUT/spec"
mkdir -p "$HERE/specs" && cp "$OUT"/spec/*.json "$HERE/specs/"  # the specs the tests read
while IFS="$(printf '\t')" read -r id vocab n; do
  v="$OUT/vocab-${vocab%.gguf}-$n.gguf"
  [ -f "$v" ] || python3 "$HERE/vocab_pad.py" "$SHARED/fixtures/gguf/$vocab" "$n" "$v"
  [ -f "$OUT/$id.gguf" ] || python3 "$SHARED/tools/gguf_synth.py" "$OUT/spec/$id.json" "$v" "$OUT/$id.gguf"
done < "$OUT/spec/models.tsv"
