#!/usr/bin/env bash
# Trains the same configuration for seeds 0..N-1 and summarises: how many reached D < 0.01, after how
# many epochs, and the test accuracy. Usage:
#   examples/seed-study.sh N --task xor --network 'lattice:15x15:in=6,6;7,10:out=10,8' --epochs 1000 --m-init 5
# Writes one JSON line per seed to stdout, then a summary line.
set -euo pipefail
n=$1; shift
here=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d)
for ((s = 0; s < n; s++)); do
  node "$here/bin/eqprop-hil.js" train "$@" --seed "$s" --json --eval-every 0 --out "$out/seed$s.json"
done | tee "$out/runs.jsonl"
node -e '
const runs = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse)
const hit = runs.filter((r) => r.epochs_to_d_0_01 !== null).map((r) => r.epochs_to_d_0_01).sort((a, b) => a - b)
const acc = runs.map((r) => r.test ? r.test.accuracy : NaN)
const mean = acc.reduce((a, b) => a + b, 0) / acc.length
const sd = Math.sqrt(acc.reduce((a, b) => a + (b - mean) ** 2, 0) / acc.length)
console.log(JSON.stringify({ summary: true, seeds: runs.length, reached_d_0_01: hit.length,
  median_epochs_to_d_0_01: hit.length ? hit[Math.floor(hit.length / 2)] : null, epochs_to_d_0_01: hit,
  test_accuracy_mean: +mean.toFixed(4), test_accuracy_sd: +sd.toFixed(4), wall_s: +runs.reduce((a, r) => a + r.wall_s, 0).toFixed(1) }))
' "$out/runs.jsonl"
