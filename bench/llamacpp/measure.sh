#!/bin/sh
# Reproduces bench/accuracy/llamacpp-cpu.jsonl: exact llama.cpp KV / model / output / compute buffer sizes
# for synthetic GGUF files with real models' shapes, on CPU, with the llama.cpp build bundled in
# node-llama-cpp 3.x. Needs node 20, python3, npm; about 15-25 minutes on 2 cores and ~20 GiB of RAM.
# Usage: bench/llamacpp/measure.sh [WORKDIR] [model ids...]   (WORKDIR default /tmp/vramfit-llamacpp)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=${1:-/tmp/vramfit-llamacpp}; [ $# -gt 0 ] && shift
mkdir -p "$WORK/node"
if [ ! -d "$WORK/node/node_modules/node-llama-cpp" ]; then
  (cd "$WORK/node" && npm init -y >/dev/null && npm i --no-save node-llama-cpp@3.22.1)
fi
"$HERE/build.sh" "$WORK/gguf"
python3 "$HERE/measure.py" "$WORK/gguf" "$WORK/node" "$HERE/../accuracy/llamacpp-cpu.jsonl" "$@"
