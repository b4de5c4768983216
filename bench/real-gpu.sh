#!/usr/bin/env bash
# One command for a machine with a real GPU (prepared; not yet run on real hardware):
#   bash bench/real-gpu.sh > real-gpu.json 2> real-gpu.log
# Prints what the machine has (GPU, Vulkan drivers, Dawn's adapters) on stderr, then the webgpu
# benchmark at every shape (784-500-20 and 784-2000-20 at batch 100, 1,000 and 10,000, against
# the best CPU path) as JSON on stdout. Needs the project installed (`npm ci`) and, on Linux, the
# GPU's Vulkan driver (NVIDIA: the proprietary driver's Vulkan ICD).
set -uo pipefail
cd "$(dirname "$0")/.."
{
  echo "== GPU"; (nvidia-smi -L || lspci | grep -iE 'vga|3d|display') 2>&1
  echo "== Vulkan"; (vulkaninfo --summary || echo "vulkaninfo missing (apt-get install vulkan-tools)") 2>&1 | head -60
  ls /usr/share/vulkan/icd.d /etc/vulkan/icd.d 2>&1
  echo "== Dawn's adapters"
  node -e "require('webgpu').create(['adapter=list-all']).requestAdapter().then(a => console.log(a ? a.info : 'none'), e => console.log(e.message))" 2>&1
  echo "== VAE Lab"; node bin/vae-lab.js backends 2>&1
} >&2
npm run --silent build:node >&2 && exec node bench/webgpu.mjs --full --memory-steps 3000
