#!/usr/bin/env bash
# The robustness table labs ask for before they build: XY lattices trained under board imperfections
# (coupling DAC bits, readout bits, Langevin noise, device variation). Prints one markdown row per
# (task, condition) with the seeds' test accuracies. A count of 0 skips that task's rows.
# Usage: examples/robustness.sh [SEEDS_XOR_5x5 (10)] [SEEDS_IRIS (5)] [SEEDS_XOR_15x15 (0)]
set -euo pipefail
nx=${1:-10}; ni=${2:-5}; n15=${3:-0}
here=$(cd "$(dirname "$0")/.." && pwd)
XOR=(--task xor --network 'lattice:5x5:in=1,1;1,3:out=3,2' --epochs 2000 --m-init 5 --solver fire-newton --estimator frozen-nudge --optimiser adam --lr 0.01 --stop-at-d 0.005)
# the paper's 15x15 placement with the settings of docs/explanation/results.md (it does not learn XOR even when ideal)
XOR15=(--task xor --network 'lattice:15x15:in=6,6;7,10:out=10,8' --epochs 1000 --m-init 5 --solver fire-newton --estimator frozen-nudge --optimiser adam --lr 0.01 --stop-at-d 0.005)
IRIS=(--task iris --network lattice:4x4:n8 --epochs 300 --optimiser adam --lr 0.01 --solver fire-newton)
conditions=(
  "ideal|"
  "10-bit couplings|--coupling-levels 1024 --coupling-range=-2,2"
  "8-bit couplings|--coupling-levels 256 --coupling-range=-2,2"
  "6-bit couplings|--coupling-levels 64 --coupling-range=-2,2"
  "4-bit couplings|--coupling-levels 16 --coupling-range=-2,2"
  "4-bit readout|--readout-bits 4"
  "noise 0.02|--noise 0.02"
  "5% variation|--variation 0.05"
)
row() {  # task label seeds flags...
  local task=$1 label=$2 n=$3; shift 3
  ((n > 0)) || return 0
  local accs=() t0=$SECONDS
  for ((s = 0; s < n; s++)); do
    local j
    j=$(node "$here/bin/eqprop-hil.js" train "$@" --seed "$s" --device-seed "$((s + 1))" --json --eval-every 0 --out "$(mktemp)")
    accs+=("$(node -e 'const r = JSON.parse(process.argv[1]); process.stdout.write(String(r.test.accuracy))' "$j")")
  done
  node -e '
const [task, label, flags, wall, ...a] = process.argv.slice(1); const x = a.map(Number)
const m = x.reduce((s, v) => s + v, 0) / x.length, sd = Math.sqrt(x.reduce((s, v) => s + (v - m) ** 2, 0) / x.length)
console.log(`| ${task} | ${label} | \`${flags || "(none)"}\` | ${(100 * m).toFixed(1)}% +- ${(100 * sd).toFixed(1)}% | ${x.filter((v) => v === 1).length}/${x.length} | ${x.map((v) => v.toFixed(2)).join(" ")} | ${wall} |`)
' "$task" "$label" "${cond#*|}" "$((SECONDS - t0))" "${accs[@]}"
}
echo "| task | condition | flags | test accuracy | seeds at 100% | per seed | wall s |"
echo "|---|---|---|---|---|---|---|"
for c in "${conditions[@]}"; do
  label=${c%%|*}; cond=$c; read -r -a extra <<< "${c#*|}"
  row "XOR 5x5" "$label" "$nx" "${XOR[@]}" "${extra[@]}"
done
for c in "${conditions[@]}"; do
  label=${c%%|*}; cond=$c; read -r -a extra <<< "${c#*|}"
  row "Iris 4x4 n8" "$label" "$ni" "${IRIS[@]}" "${extra[@]}"
done
for c in "${conditions[@]}"; do
  label=${c%%|*}; cond=$c; read -r -a extra <<< "${c#*|}"
  row "XOR 15x15" "$label" "$n15" "${XOR15[@]}" "${extra[@]}"
done
