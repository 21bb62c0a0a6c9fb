#!/usr/bin/env bash
# Paper figure (b): response fields, couplings and phases on the 15x15 XOR lattice over training.
# Trains the lattice that learns (the recipe of examples/paper/a-xor-15x15-recipe.json: skip bonds 2-4,
# random bias fields; the bare 4-neighbour lattice does not train, see docs/explanation/results.md),
# writes out/paper/b/epoch-<k>/{phases,couplings,response}.png every EVERY epochs and the final pictures,
# then `analyse` draws the response to each input and the softest Hessian mode per XOR input.
# Usage: examples/paper/b-maps.sh [SEED] [EPOCHS] [EVERY]
set -euo pipefail
seed=${1:-0} epochs=${2:-600} every=${3:-50}
net='lattice:15x15:skip=2,3,4:in=6,6;7,10:out=10,8:bias=random'
npx eqprop-hil train --task xor --network "$net" --seed "$seed" --solver fire-newton --stop-at-d 0.005 \
  --epochs "$epochs" --batch 4 --m-init 5 --beta 0.1 --estimator frozen-nudge --optimiser adam --lr 0.01 \
  --eval-every 0 --plots out/paper/b --plots-every "$every" --out "out/paper/b/xor-15x15-seed$seed.json"
npx eqprop-hil analyse --network "out/paper/b/xor-15x15-seed$seed.json" --task xor --starts 10 --plots out/paper/b/analyse
