"""Run.stream() against a small local SSE server that drops the connection mid-run: the client
reopens it with Last-Event-ID and sees every event exactly once."""
import json
import os
import sys
import threading
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from eqprop_hil import Client, EqpError  # noqa: E402

EVENTS = [(1, "state", {"to": "running"}), (2, "epoch", {"row": {"epoch": 1}}), (3, "epoch", {"row": {"epoch": 2}}),
          (4, "epoch", {"row": {"epoch": 3}}), (5, "state", {"to": "done"})]


class FakeDaemon(BaseHTTPRequestHandler):
    """Serves /runs/run-1/events: the first connection is cut after event 2, the next ones replay
    after Last-Event-ID; /runs/run-1 reports the run; /runs/run-404 answers the daemon's 404."""
    seen_ids = []
    drop_after = 2
    state = "running"

    def log_message(self, *a):
        pass

    def do_GET(self):
        if self.path == "/runs/run-1/events":
            last = self.headers.get("Last-Event-ID")
            FakeDaemon.seen_ids.append(last)
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.end_headers()
            self.wfile.write(b"retry: 10\n\n")
            for seq, kind, data in EVENTS:
                if last is not None and seq <= int(last):
                    continue
                self.wfile.write(("id: %d\nevent: %s\ndata: %s\n\n" % (seq, kind, json.dumps(dict(seq=seq, **data)))).encode())
                self.wfile.flush()
                if len(FakeDaemon.seen_ids) == 1 and seq == FakeDaemon.drop_after:
                    self.close_connection = True
                    return
            return
        if self.path == "/runs/run-1":
            return self._json(200, {"id": "run-1", "state": FakeDaemon.state, "progress": {"epoch": 0, "epochs": 3}})
        return self._json(404, {"code": "EQP_ERR_RUN_NOT_FOUND", "message": "run 'run-404' does not exist"})

    def _json(self, status, body):
        b = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)


class StreamResumeTest(unittest.TestCase):
    def setUp(self):
        FakeDaemon.seen_ids = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), FakeDaemon)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.client = Client("http://127.0.0.1:%d" % self.server.server_address[1])

    def tearDown(self):
        self.client.close()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def test_reconnects_with_last_event_id_and_misses_nothing(self):
        run = self.client.runs.get("run-1")
        ids = [e.id for e in run.stream()]
        self.assertEqual(ids, [1, 2, 3, 4, 5])
        self.assertEqual(FakeDaemon.seen_ids, [None, "2"])

    def test_starts_after_the_given_event(self):
        run = self.client.runs.get("run-1")
        FakeDaemon.seen_ids = ["primed"]  # no drop on this connection
        events = list(run.stream(since=3))
        self.assertEqual([(e.id, e.type) for e in events], [(4, "epoch"), (5, "state")])
        self.assertEqual(events[-1].data, {"seq": 5, "to": "done"})
        self.assertEqual(FakeDaemon.seen_ids[1:], ["3"])

    def test_a_daemon_error_becomes_an_eqp_error_with_code_message_and_status(self):
        with self.assertRaises(EqpError) as cm:
            self.client.runs.get("run-404")
        self.assertEqual(cm.exception.code, "EQP_ERR_RUN_NOT_FOUND")
        self.assertEqual(cm.exception.status, 404)
        self.assertIn("run-404", cm.exception.message)

    def test_an_unreachable_daemon_is_named(self):
        port = self.server.server_address[1]
        self.server.shutdown()
        self.server.server_close()
        self.server = None
        with Client("http://127.0.0.1:%d" % port, timeout=5) as gone, self.assertRaises(EqpError) as cm:
            gone.health()
        self.assertEqual(cm.exception.code, "EQP_ERR_DAEMON_UNREACHABLE")
        self.assertIsNone(cm.exception.status)


if __name__ == "__main__":
    unittest.main()
