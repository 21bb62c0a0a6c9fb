"""Runs: queue training on a device, steer it, follow it live, and read what it produced."""
import json
import re
import time
from urllib.parse import quote

import requests

from .errors import EqpError
from .optional import has, need
from .sse import SseParser

#: states a run never leaves
TERMINAL = ("done", "failed", "cancelled")


def _camel(key):
    """batch_size -> batchSize, so run fields can be given the Python way; camelCase passes unchanged."""
    return re.sub(r"_([a-z0-9])", lambda m: m.group(1).upper(), key)


class Runs:
    """``client.runs``: create, get and list runs; each comes back as a Run."""

    def __init__(self, client):
        self._c = client

    def create(self, device, task, **fields):
        """Queues a run (POST /runs, 202) and returns it. ``fields`` are the run's settings (``epochs``,
        ``seed``, ``lr``, ``beta``, ``estimator``, ``optimiser``, ``batch_size`` or ``batchSize``,
        ``m_init``, ``data_seed``, ``checkpoint_every``, ``label``, ``fleet``, ...); ``optimiser="adam"``
        is short for ``{"kind": "adam"}``. ``device`` is an id or a device dict (as ``devices.attach``
        returns it). Bad fields raise EqpError 400 naming the field."""
        body = {"device": device["id"] if isinstance(device, dict) else device, "task": task}
        for k, v in fields.items():
            body[_camel(k)] = v
        if isinstance(body.get("optimiser"), str):
            body["optimiser"] = {"kind": body["optimiser"]}
        return Run(self._c, self._c.request("POST", "/runs", json_body=body))

    def get(self, run_id):
        """One run by id (EqpError 404 EQP_ERR_RUN_NOT_FOUND for an unknown one)."""
        return Run(self._c, self._c.request("GET", "/runs/" + quote(run_id, safe="")))

    def list(self, state=None, device=None):
        """Run summaries, oldest first, filtered by state and device when given."""
        params = {k: v for k, v in (("state", state), ("device", device)) if v is not None}
        return [Run(self._c, r) for r in self._c.request("GET", "/runs", params=params)["runs"]]


class Run:
    """One training run. ``info`` is the daemon's last answer about it (a dict: state, progress,
    lastMetrics, checkpoint, config, provenance, result, ...); ``refresh()`` asks again."""

    def __init__(self, client, info):
        self._c = client
        self.info = info
        self.id = info["id"]

    def __repr__(self):
        p = self.info.get("progress") or {}
        return "<Run %s %s epoch %s/%s>" % (self.id, self.state, p.get("epoch"), p.get("epochs"))

    def __getitem__(self, key):
        return self.info[key]

    @property
    def state(self):
        """queued, running, paused, suspended, done, failed or cancelled (as last fetched)."""
        return self.info["state"]

    @property
    def progress(self):
        """epoch, epochs, batch, batches, step, steps and fraction done (as last fetched)."""
        return self.info["progress"]

    @property
    def result(self):
        """The final evaluation, epochs and trained network of a finished run (None before)."""
        return self.info.get("result")

    def _path(self, tail=""):
        return "/runs/" + quote(self.id, safe="") + tail

    def refresh(self):
        """Fetches the run again; returns self."""
        self.info = self._c.request("GET", self._path())
        return self

    def pause(self):
        """Stops a running run at the next step boundary with a checkpoint (409 from other states)."""
        self.info = self._c.request("POST", self._path("/pause"))
        return self

    def resume(self):
        """Continues a paused or suspended run from its last checkpoint."""
        self.info = self._c.request("POST", self._path("/resume"))
        return self

    def cancel(self):
        """Cancels the run and frees its device."""
        self.info = self._c.request("POST", self._path("/cancel"))
        return self

    def wait(self, timeout=None, poll=0.25):
        """Blocks until the run is done, failed or cancelled, polling every ``poll`` s; returns self.
        Raises TimeoutError after ``timeout`` s (None: wait as long as it takes). A paused run keeps
        waiting until someone resumes or cancels it."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.refresh().state not in TERMINAL:
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError("run %s is still %s after %g s (epoch %d/%d)" % (self.id, self.state, timeout, self.progress["epoch"], self.progress["epochs"]))
            time.sleep(poll)
        return self

    def stream(self, since=None, reconnects=5, read_timeout=60.0):
        """Iterates over the run's events as they happen (Server-Sent Events): each an Event with ``id``
        (gapless, from 1), ``type`` (state, batch, epoch, eval, checkpoint) and ``data`` (a dict).
        Starts after event ``since`` (default: from the first); ends after the event that moves the run
        to a final state. A dropped connection is reopened with Last-Event-ID, so no event is missed or
        repeated; more than ``reconnects`` drops in a row raise EqpError EQP_ERR_DAEMON_UNREACHABLE."""
        last = since
        drops = 0
        while True:
            headers = {"Accept": "text/event-stream"}
            if last is not None:
                headers["Last-Event-ID"] = str(last)
            parser = SseParser(decode=json.loads)
            got, final, cause = 0, False, None
            try:
                res = self._c.request("GET", self._path("/events"), headers=headers, raw=True, stream=True, timeout=(self._c.timeout, read_timeout))
            except EqpError as e:
                if e.status is not None:
                    raise
                res, cause = None, e.message
            if res is not None:
                res.encoding = "utf-8"
                try:
                    for chunk in res.iter_content(chunk_size=None, decode_unicode=True):
                        for e in parser.feed(chunk):
                            last, got = e.id, got + 1
                            yield e
                            if e.type == "state" and isinstance(e.data, dict) and e.data.get("to") in TERMINAL:
                                final = True
                    cause = "the stream ended before the run did"
                except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError, requests.Timeout) as err:
                    cause = str(err)
                finally:
                    res.close()
            if final:
                return
            if got == 0 and res is not None and self.refresh().state in TERMINAL:
                return  # nothing after `last`, and nothing more will come
            drops = 0 if got else drops + 1
            if drops > reconnects:
                raise EqpError("EQP_ERR_DAEMON_UNREACHABLE", "lost the event stream of run %s %d times in a row (%s)" % (self.id, drops, cause))
            if drops:
                time.sleep(min(2.0, (parser.retry_ms or 500) / 1000.0))

    def metrics(self, kind=None, since=None, frame=None):
        """The run's metrics rows (kind batch, epoch or eval; epoch, batch, step, split, samples, distance,
        cost, accuracy, settled, dropped, fallback, mse, r2, timeS, t). A pandas DataFrame when pandas is installed
        (or ``frame=True``, which then requires it), else a list of dicts (always with ``frame=False``).
        ``kind`` keeps one kind of row, ``since`` the rows after that step."""
        params = {k: v for k, v in (("kind", kind), ("since", since)) if v is not None}
        body = self._c.request("GET", self._path("/metrics"), params=params)
        if frame is None:
            frame = has("pandas")
        if not frame:
            return body["rows"]
        pd = need("pandas", "Run.metrics(frame=True)")
        return pd.DataFrame(body["rows"], columns=body["columns"])

    def metrics_csv(self, kind=None):
        """The metrics as CSV text (what ``pandas.read_csv`` or a spreadsheet takes)."""
        params = {"format": "csv"}
        if kind is not None:
            params["kind"] = kind
        return self._c.request("GET", self._path("/metrics"), params=params)

    def snapshot(self):
        """Phases and couplings now (live while the run trains): ``couplings``, ``h``, ``psi``, ``phases``,
        and on a lattice ``grid`` (``phases``, ``h``, ``psi`` as rows x cols, ``horizontal``, ``vertical``)."""
        return self._c.request("GET", self._path("/snapshot"))

    def picture(self, name="curve"):
        """A PNG the daemon draws now: curve, phases, couplings or response; returns the bytes."""
        return self._c.request("GET", self._path("/plots/%s.png" % quote(name, safe="")), raw=True).content

    def plot(self, axes=None):
        """Draws the learning curves with matplotlib: the training distance D per epoch (log scale), and
        the training and test accuracy. ``axes`` is a pair of Axes to draw on (default: a new figure).
        Returns the pair of Axes."""
        plt = need("matplotlib.pyplot", "Run.plot()")
        rows = self.metrics(frame=False)
        epochs = [r for r in rows if r["kind"] == "epoch"]
        evals = [r for r in rows if r["kind"] == "eval"]
        if axes is None:
            _, axes = plt.subplots(1, 2, figsize=(9, 3.2))
        ax_d, ax_a = axes
        ax_d.plot([r["epoch"] for r in epochs], [r["distance"] for r in epochs], label="train D")
        if epochs and all(r["distance"] and r["distance"] > 0 for r in epochs):
            ax_d.set_yscale("log")
        ax_d.set_xlabel("epoch")
        ax_d.set_ylabel("distance D")
        ax_d.set_title("%s: %s" % (self.id, self.info.get("task", "")))
        ax_a.plot([r["epoch"] for r in epochs], [r["accuracy"] for r in epochs], label="train")
        if evals:
            ax_a.plot([r["epoch"] for r in evals], [r["accuracy"] for r in evals], "o-", label="test")
        ax_a.set_xlabel("epoch")
        ax_a.set_ylabel("accuracy")
        ax_a.set_ylim(-0.02, 1.02)
        ax_a.legend(loc="lower right")
        return axes
