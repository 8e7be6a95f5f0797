#!/usr/bin/env bash
# Make Fashion-MNIST available: Debian's dataset-fashion-mnist when apt is usable; otherwise say what kit will do.
dir=/usr/share/datasets/fashion-mnist
if [ -f "$dir/train-images-idx3-ubyte.gz" ]; then
  exit 0
fi
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "installing dataset-fashion-mnist with apt-get" >&2
  if apt-get install -y -q dataset-fashion-mnist >/dev/null 2>&1 || \
     { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q dataset-fashion-mnist >/dev/null 2>&1; }; then
    exit 0
  fi
fi
echo "note: $dir is missing and apt-get could not install dataset-fashion-mnist;" \
     "kit will try a torchvision download into ~/.cache/kit (needs network)." >&2
exit 0
