"""The client against a real daemon: EQP_URL (and EQP_TOKEN when the daemon has tokens) name it.
test/integration/python-client.test.ts starts one on port 0 with a temporary data directory and
runs these tests; without EQP_URL they are skipped."""
import csv
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from eqprop_hil import Client, EqpError, MissingDependency  # noqa: E402
from eqprop_hil.optional import has  # noqa: E402

URL = os.environ.get("EQP_URL")
TOKEN = os.environ.get("EQP_TOKEN")

# a two-class table that a 2-input network separates: the label is the sign of x0 + x1
ROWS = [((a / 4.0 - 1, b / 4.0 - 1), 1 if a + b > 8 else 0) for a in range(9) for b in range(9) if a + b != 8]


@unittest.skipUnless(URL, "EQP_URL is not set (test/integration/python-client.test.ts starts a daemon and sets it)")
class DaemonTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.c = Client(URL, token=TOKEN, name="pytest")
        cls.dev = cls.c.devices.attach(kind="sim-xy", builder="lattice:4x4", task="iris", seed=1, name="py lattice")

    @classmethod
    def tearDownClass(cls):
        cls.c.close()

    def test_health_answers_ok(self):
        self.assertEqual(self.c.health()["status"], "ok")

    def test_takes_the_address_and_token_from_the_environment_by_default(self):
        with Client() as c:
            self.assertEqual(c.url, URL.rstrip("/"))
            self.assertEqual(c.session.headers.get("Authorization"), "Bearer " + TOKEN if TOKEN else None)
            self.assertEqual(c.health()["status"], "ok")

    def test_attaches_lists_reads_params_and_detaches_a_device(self):
        d = self.c.devices.attach(kind="sim-xy", builder="all-to-all:5", io={"inputs": 2, "outputs": 1}, seed=3)
        self.assertIn(d["id"], [x["id"] for x in self.c.devices.list()])
        p = self.c.devices.params(d["id"])
        self.assertEqual(len(p["weights"]), d["network"]["couplings"])
        self.assertEqual(len(p["h"]), d["network"]["nodes"])
        applied = self.c.devices.set_params(d["id"], [0.5] * len(p["weights"]))
        self.assertEqual(applied["weights"], [0.5] * len(p["weights"]))
        self.c.devices.detach(d["id"])
        self.assertNotIn(d["id"], [x["id"] for x in self.c.devices.list()])

    def test_a_bad_attach_raises_the_daemons_code_and_names_the_field(self):
        with self.assertRaises(EqpError) as cm:
            self.c.devices.attach(kind="sim-xy", builder="lattice:4x4", task="iris", seed=-1)
        self.assertEqual(cm.exception.status, 400)
        self.assertTrue(cm.exception.code.startswith("EQP_ERR_") or cm.exception.code.startswith("FST_ERR"), cm.exception.code)
        self.assertIn("seed", cm.exception.message)

    def test_an_unknown_run_is_a_404_with_its_code(self):
        with self.assertRaises(EqpError) as cm:
            self.c.runs.get("run-999")
        self.assertEqual((cm.exception.status, cm.exception.code), (404, "EQP_ERR_RUN_NOT_FOUND"))

    def test_uploads_rows_and_a_csv_file_and_refuses_a_taken_name(self):
        d = self.c.datasets.upload("py-rows", ROWS, test_fraction=0.25)
        self.assertEqual((d["nIn"], d["classes"], d["trainRows"] + d["testRows"]), (2, 2, len(ROWS)))
        path = os.path.join(tempfile.mkdtemp(), "t.csv")
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["x0", "x1", "cls"])
            for (x0, x1), y in ROWS:
                w.writerow([x0, x1, "pos" if y else "neg"])
        d = self.c.datasets.upload("py-csv", path, label="cls")
        self.assertEqual(d["classNames"], ["neg", "pos"])
        self.assertEqual(d["features"], ["x0", "x1"])
        names = [x["name"] for x in self.c.datasets.list()]
        self.assertTrue({"xor", "iris", "py-rows", "py-csv"} <= set(names), names)
        with self.assertRaises(EqpError) as cm:
            self.c.datasets.upload("py-rows", ROWS)
        self.assertEqual((cm.exception.status, cm.exception.code), (409, "EQP_ERR_DATASET_EXISTS"))

    def test_uploads_a_regression_table_with_numeric_targets(self):
        rows = [([x / 10, 1 - x / 10], 0.3 * x - 1) for x in range(10)]
        d = self.c.datasets.upload("py-reg", rows, kind="regression")
        self.assertIn("regression", d["description"])
        self.assertEqual(d["nOut"], 1)
        with self.assertRaises(EqpError) as cm:
            self.c.datasets.upload("py-reg2", rows, kind="sorting")
        self.assertEqual((cm.exception.status, cm.exception.code), (400, "EQP_ERR_BAD_INPUT"))
        self.assertIn("kind", cm.exception.message)

    def test_a_bad_csv_cell_is_refused_naming_line_and_column(self):
        path = os.path.join(tempfile.mkdtemp(), "bad.csv")
        with open(path, "w") as f:
            f.write("a,b,label\n1,2,x\n3,abc,y\n4,5,x\n")
        with self.assertRaises(EqpError) as cm:
            self.c.datasets.upload("py-bad", path)
        self.assertEqual(cm.exception.status, 400)
        self.assertIn("line 3", cm.exception.message)
        self.assertIn("'b'", cm.exception.message)

    @unittest.skipUnless(has("pandas"), "pandas is not installed (Debian python3-pandas)")
    def test_uploads_a_dataframe_trains_on_it_and_reads_metrics_as_a_dataframe(self):
        import pandas as pd
        frame = pd.DataFrame([{"x0": x0, "x1": x1, "label": y} for (x0, x1), y in ROWS])
        d = self.c.datasets.upload("py-frame", frame)
        self.assertEqual((d["nIn"], d["nOut"], d["classes"]), (2, 1, 2))
        dev = self.c.devices.attach(kind="sim-xy", builder="all-to-all:5:std=0.7:bias=random", task="py-frame", seed=1)
        run = self.c.runs.create(dev, "py-frame", epochs=4, seed=2, batch_size=8, optimiser="adam", lr=0.05, label="frame")
        self.assertEqual(run.wait(timeout=120).state, "done")
        self.assertEqual(run["config"]["batchSize"], 8)
        m = run.metrics()
        self.assertIsInstance(m, pd.DataFrame)
        self.assertEqual(list(m[m["kind"] == "epoch"]["epoch"]), [1, 2, 3, 4])
        self.assertIn("accuracy", m.columns)
        self.assertEqual(len(run.metrics(frame=False, kind="epoch")), 4)

    def test_runs_streams_every_event_in_order_and_resumes_from_an_id(self):
        run = self.c.runs.create(self.dev["id"], "iris", epochs=3, seed=1, optimiser="adam", lr=0.02)
        self.assertIn(run.state, ("queued", "running"))
        events = list(run.stream())
        ids = [e.id for e in events]
        self.assertEqual(ids, list(range(1, len(ids) + 1)), "gapless from 1")
        self.assertEqual((events[-1].type, events[-1].data["to"]), ("state", "done"))
        self.assertEqual([e.data["row"]["epoch"] for e in events if e.type == "epoch"], [1, 2, 3])
        tail = list(run.stream(since=ids[-3]))
        self.assertEqual([e.id for e in tail], ids[-2:])
        self.assertEqual(run.refresh().state, "done")
        self.assertEqual(run.progress["fraction"], 1)
        self.assertGreaterEqual(run.result["final"]["accuracy"], 0)
        self.assertIn(run.id, [r.id for r in self.c.runs.list(state="done")])

    def test_pauses_resumes_and_cancels_a_run(self):
        run = self.c.runs.create(self.dev["id"], "iris", epochs=400, seed=4, label="steered")
        events = run.stream()
        for e in events:
            if e.type == "batch":
                break
        events.close()  # closes the connection
        self.assertEqual(run.pause().state, "paused")
        with self.assertRaises(EqpError) as cm:
            run.pause()
        self.assertEqual((cm.exception.status, cm.exception.code), (409, "EQP_ERR_RUN_BAD_TRANSITION"))
        self.assertEqual(run.resume().state, "running")
        self.assertEqual(run.cancel().state, "cancelled")
        self.assertEqual(run.wait(timeout=30).state, "cancelled")
        with self.assertRaises(TimeoutError):
            self.c.runs.create(self.dev["id"], "iris", epochs=400, seed=5).wait(timeout=0)
        for r in self.c.runs.list(device=self.dev["id"]):
            if r.state not in ("done", "failed", "cancelled"):
                r.cancel()

    def test_snapshot_lays_the_lattice_out_and_plot_draws_the_curves(self):
        run = self.c.runs.create(self.dev["id"], "iris", epochs=2, seed=3, eval_every=1).wait(timeout=120)
        self.assertEqual(run.state, "done")
        grid = run.snapshot()["grid"]
        self.assertEqual((len(grid["phases"]), len(grid["phases"][0])), (4, 4))
        self.assertEqual((len(grid["horizontal"]), len(grid["vertical"])), (4, 3))
        png = run.picture("curve")
        self.assertEqual(png[:8], b"\x89PNG\r\n\x1a\n")
        if not has("matplotlib"):
            with self.assertRaises(MissingDependency):
                run.plot()
            return
        import matplotlib
        matplotlib.use("Agg")
        ax_d, ax_a = run.plot()
        self.assertEqual(list(ax_d.lines[0].get_xdata()), [1, 2])
        self.assertEqual(len(ax_a.lines), 2, "train and test accuracy")


@unittest.skipUnless(URL and TOKEN, "the daemon has no token (EQP_TOKEN)")
class TokenTest(unittest.TestCase):
    def test_a_write_without_the_token_is_refused_with_401(self):
        with Client(URL, token="") as anonymous, self.assertRaises(EqpError) as cm:
            anonymous.devices.attach(kind="sim-xy", builder="lattice:3x3", task="iris")
        self.assertEqual(cm.exception.status, 401)
        self.assertTrue(cm.exception.code.startswith("EQP_ERR_"), cm.exception.code)


if __name__ == "__main__":
    unittest.main()
