"""The entry point: a Client holds the daemon's address, the token and one HTTP session."""
import json
import os

import requests

from .datasets import Datasets
from .devices import Devices
from .errors import EqpError
from .runs import Runs


class Client:
    """A connection to an eqprop-hil daemon.

    ``url`` is the daemon's address, as ``eqprop-hil serve`` prints it (default: $EQP_URL, else
    ``http://127.0.0.1:8765``, as for the CLI); ``token`` the bearer secret when the daemon was started
    with ``--token NAME=SECRET`` (default: $EQP_TOKEN);
    ``name`` the client name runs record when there is no token; ``timeout`` the seconds one request
    may take. ``devices``, ``datasets`` and ``runs`` hold the calls on each resource.
    """

    def __init__(self, url=None, token=None, name="python", timeout=30.0):
        url = url or os.environ.get("EQP_URL") or "http://127.0.0.1:8765"
        token = token if token is not None else os.environ.get("EQP_TOKEN")
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["X-Eqp-Client"] = name
        if token:
            self.session.headers["Authorization"] = "Bearer " + token
        self.devices = Devices(self)
        self.datasets = Datasets(self)
        self.runs = Runs(self)

    def __repr__(self):
        return "Client(%r)" % self.url

    def close(self):
        """Closes the HTTP session (its pooled connections)."""
        self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def health(self):
        """GET /health: liveness, version, device count, runs by state, dense-kernel backend."""
        return self.request("GET", "/health")

    def boards(self):
        """GET /boards: the boards announcing themselves on the daemon's MQTT broker."""
        return self.request("GET", "/boards")

    def request(self, method, path, json_body=None, params=None, data=None, headers=None, raw=False, stream=False, timeout=None):
        """One request. A 2xx answer returns the decoded JSON (or the text, or the response itself when
        ``raw``); any other status raises EqpError with the daemon's code and message."""
        try:
            res = self.session.request(method, self.url + path, json=json_body, params=params, data=data, headers=headers,
                                       stream=stream, timeout=self.timeout if timeout is None else timeout)
        except requests.ConnectionError as e:
            raise EqpError("EQP_ERR_DAEMON_UNREACHABLE", "no daemon answers at %s (%s)" % (self.url, _reason(e))) from None
        except requests.Timeout:
            raise EqpError("EQP_ERR_DAEMON_UNREACHABLE", "the daemon at %s did not answer %s %s in time" % (self.url, method, path)) from None
        if not 200 <= res.status_code < 300:
            raise error_from(res)
        if raw:
            return res
        if res.status_code == 204 or not res.content:
            return None
        if "json" in res.headers.get("content-type", ""):
            return res.json()
        return res.text


def error_from(res):
    """The EqpError of a non-2xx response: the daemon's {code, message}, else HTTP_<status> and the body."""
    code, message = "HTTP_%d" % res.status_code, res.text
    try:
        body = json.loads(res.text)
        if isinstance(body, dict) and "code" in body:
            code, message = body["code"], body.get("message", "")
    except ValueError:
        pass
    return EqpError(code, message, res.status_code)


def _reason(e):
    """The innermost cause of a connection error, in a few words."""
    inner = e.args[0] if e.args else e
    reason = getattr(inner, "reason", None)
    return str(reason or inner)
