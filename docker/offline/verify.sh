#!/usr/bin/env bash
# Runs the lab of docker/compose.yaml for real and checks it, then removes it with its volumes:
#   the daemon's health check passes (it runs on the compose PostgreSQL store), GET /health answers on
#   127.0.0.1:8765, the dashboard answers at /, GET /boards lists both virtual boards (vboard-ts-1, ref-fw-c-1),
#   and a tiny study run from the host with --queue on the compose NATS is trained by the compose workers,
#   whose trials land as runs in the daemon's store.
# Not run in CI (minutes of image building). Needs the images compose.yaml names, pulled or built by
# docker/offline/build-standins.sh. Uses `docker compose` (v2) when present, else docker-compose 1.x, which
# does not know the top-level `name:` key: it then gets a copy of the file without it and `-p eqprop-lab`.
# Usage, from anywhere: docker/offline/verify.sh   (KEEP=1 leaves the lab running)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
export EQP_TOKEN="${EQP_TOKEN:-verify-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')}"
# this machine may run its own mosquitto and NATS on 1883 and 4222: publish the lab's elsewhere then
# creating a container copies the whole image on the vfs storage driver: docker-compose 1.x gives up after 60 s by default
export COMPOSE_HTTP_TIMEOUT="${COMPOSE_HTTP_TIMEOUT:-900}"
export EQP_MQTT_PORT="${EQP_MQTT_PORT:-11883}" EQP_NATS_PORT="${EQP_NATS_PORT:-14222}"
files=(-f docker/compose.yaml)
if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
else
  v1file="$(mktemp docker/.compose-v1.XXXXXX.yaml)"
  sed '/^name:/d' docker/compose.yaml > "$v1file"
  compose=(docker-compose -p eqprop-lab)
  files=(-f "$v1file")
fi
files+=(-f docker/offline/compose.offline.yaml)
dc() { "${compose[@]}" "${files[@]}" "$@"; }
t0=$(date +%s)
elapsed() { echo "$(( $(date +%s) - t0 )) s"; }
cleanup() {
  local rc=$?
  if [ "$rc" != 0 ]; then dc ps || true; dc logs --tail 40 || true; fi
  if [ -z "${KEEP:-}" ]; then dc down -v --remove-orphans || true; fi
  [ -n "${v1file:-}" ] && rm -f "$v1file"
  rm -rf "${tmp:-}"
  exit "$rc"
}
trap cleanup EXIT
tmp="$(mktemp -d)"
auth=(-H "Authorization: Bearer $EQP_TOKEN")

echo "== build (the image of this repository) and start"
dc build
echo "built after $(elapsed)"
dc up -d
echo "== wait for the daemon's health check (it needs mosquitto and PostgreSQL healthy first)"
daemon="$(dc ps -q daemon)"
for _ in $(seq 1 90); do
  status="$(docker inspect -f '{{.State.Health.Status}}' "$daemon")"
  [ "$status" = healthy ] && break
  sleep 2
done
[ "$status" = healthy ] || { echo "daemon not healthy: $status"; exit 1; }
echo "daemon healthy after $(elapsed)"
for s in mosquitto postgres nats; do
  echo "$s: $(docker inspect -f '{{.State.Health.Status}}' "$(dc ps -q "$s")")"
done

echo "== API and dashboard on 127.0.0.1:8765"
curl -fsS http://127.0.0.1:8765/health | tee "$tmp/health.json"; echo
curl -fsS -o /dev/null -w 'GET / -> %{http_code} %{content_type}\n' http://127.0.0.1:8765/
curl -fsS -o /dev/null -w 'GET /docs/ -> %{http_code}\n' -L http://127.0.0.1:8765/docs
dc logs daemon | grep -i -m 3 -E 'postgres|store' || true

echo "== both virtual boards under GET /boards"
for _ in $(seq 1 30); do
  curl -fsS "${auth[@]}" http://127.0.0.1:8765/boards > "$tmp/boards.json"
  grep -q vboard-ts-1 "$tmp/boards.json" && grep -q ref-fw-c-1 "$tmp/boards.json" && break
  sleep 2
done
cat "$tmp/boards.json"; echo
grep -q vboard-ts-1 "$tmp/boards.json" && grep -q ref-fw-c-1 "$tmp/boards.json"
echo "boards listed after $(elapsed)"

echo "== a tiny study on the compose workers through NATS"
cat > "$tmp/study.json" <<'JSON'
{ "name": "compose-verify",
  "entries": [ { "label": "a2a-6", "network": "all-to-all:6:std=0.5", "task": "xor", "epochs": 5, "seeds": 2,
                 "optimiser": "adam", "lr": 0.02, "solver": "fire-newton", "evalEvery": 5 } ] }
JSON
runs_before="$(curl -fsS http://127.0.0.1:8765/health)"
timeout 300 node bin/eqprop-hil.js study --config "$tmp/study.json" --out "$tmp/study" --fresh --queue "nats://127.0.0.1:$EQP_NATS_PORT/lab"
ls "$tmp/study"
echo "runs before: $runs_before"
echo "runs after:  $(curl -fsS http://127.0.0.1:8765/health)"
dc logs worker-1 worker-2 | tail -n 20
# each worker prints "done <label> seed <k> (delivery n), t s" per trial it trained
done_lines="$(dc logs worker-1 worker-2 | grep -c -E 'done a2a-6 seed [01] ' || true)"
echo "trials done by the compose workers: $done_lines (of 2)"
[ "$done_lines" -ge 2 ]
echo "study done after $(elapsed)"
echo "== all checks passed in $(elapsed)"
