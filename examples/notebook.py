#!/usr/bin/env python3
"""A notebook session against the eqprop-hil daemon, as a script (each block is a notebook cell).

Run a daemon (`npx eqprop-hil serve`), then: /usr/bin/python3 examples/notebook.py [URL]
Needs only `requests` (Debian: python3-requests); pandas is used when present.
Prints one JSON summary line; exits non-zero when something is not as a notebook user expects.
"""
import csv
import io
import json
import os
import sys
import time

import requests

BASE = (sys.argv[1] if len(sys.argv) > 1 else os.environ.get("EQP_URL", "http://127.0.0.1:8765")).rstrip("/")
S = requests.Session()
S.headers["X-Eqp-Client"] = "notebook"
if os.environ.get("EQP_TOKEN"):
    S.headers["Authorization"] = "Bearer " + os.environ["EQP_TOKEN"]


def check(cond, what):
    if not cond:
        raise SystemExit("notebook check failed: " + what)


# %% Is the daemon there?
health = S.get(BASE + "/health").json()
check(health["status"] == "ok", "health")

# %% Attach a simulated 4x4 XY lattice sized for Iris (4 inputs, 3 outputs)
r = S.post(BASE + "/devices", json={"kind": "sim-xy", "builder": "lattice:4x4", "task": "iris", "seed": 1, "name": "notebook lattice"})
check(r.status_code == 201, "attach: %s %s" % (r.status_code, r.text))
device = r.json()
check(device["network"]["layout"] == {"kind": "grid", "rows": 4, "cols": 4}, "grid layout")

# %% A mistake gets a clear answer naming the field
bad = S.post(BASE + "/runs", json={"device": device["id"], "task": "iris", "lr": -1})
check(bad.status_code == 400 and "lr" in bad.json()["message"], "bad lr: %s" % bad.text)

# %% Start a run; it trains in the background
r = S.post(BASE + "/runs", json={"device": device["id"], "task": "iris", "epochs": 6, "seed": 1,
                                 "optimiser": {"kind": "adam"}, "lr": 0.02, "label": "from a notebook"})
check(r.status_code == 202, "create run: %s" % r.text)
run_id = r.json()["id"]

# %% Poll it, as a progress cell would
polls = 0
while True:
    run = S.get(BASE + "/runs/" + run_id).json()
    polls += 1
    if run["state"] in ("done", "failed", "cancelled"):
        break
    check(polls < 3000, "run did not finish")
    time.sleep(0.05)
check(run["state"] == "done", "final state %s (%s)" % (run["state"], run.get("error")))
check(run["progress"]["fraction"] == 1, "progress")

# %% Metrics: JSON for code, CSV for pandas
rows = S.get(BASE + "/runs/%s/metrics" % run_id, params={"kind": "epoch"}).json()["rows"]
check([r["epoch"] for r in rows] == list(range(1, 7)), "one row per epoch")
text = S.get(BASE + "/runs/%s/metrics" % run_id, params={"format": "csv"}).text
try:
    import pandas as pd  # noqa: F401 (optional)
    frame = pd.read_csv(io.StringIO(text))
    n_batch = int((frame["kind"] == "batch").sum())
except ImportError:
    table = list(csv.DictReader(io.StringIO(text)))
    n_batch = sum(1 for t in table if t["kind"] == "batch")
check(n_batch == 6 * 8, "48 batch rows in the CSV, got %d" % n_batch)

# %% The snapshot behind a heatmap: phases and couplings on the grid
snap = S.get(BASE + "/runs/%s/snapshot" % run_id).json()
grid = snap["grid"]
check(len(grid["phases"]) == 4 and all(len(row) == 4 for row in grid["phases"]), "4x4 phases")
check(len(grid["horizontal"]) == 4 and len(grid["vertical"]) == 3, "bond arrays")

final = run["result"]["final"]
print(json.dumps({"run": run_id, "state": run["state"], "polls": polls, "epochs": len(rows), "batch_rows": n_batch,
                  "test_accuracy": final["accuracy"], "grid": [grid["rows"], grid["cols"]]}))
