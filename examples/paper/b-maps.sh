#!/usr/bin/env bash
# Paper figure (b): response fields, couplings and phases on the 15x15 XOR lattice over training.
# Writes out/paper/b/epoch-<k>/{phases,couplings,response}.png every EVERY epochs and the final pictures.
# Usage: examples/paper/b-maps.sh [SEED] [EPOCHS] [EVERY]
set -euo pipefail
seed=${1:-0} epochs=${2:-1000} every=${3:-100}
npx eqprop-hil train --task xor --network 'lattice:15x15:in=6,6;7,10:out=10,8' --seed "$seed" \
  --epochs "$epochs" --batch 4 --m-init 5 --beta 0.1 --estimator frozen-nudge --optimiser adam --lr 0.01 \
  --eval-every 0 --plots out/paper/b --plots-every "$every" --out "out/paper/b/xor-15x15-seed$seed.json"
