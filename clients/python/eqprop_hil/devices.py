"""Devices: simulators and boards the daemon owns (GET/POST /devices, params, relax)."""
from urllib.parse import quote


class Devices:
    """``client.devices``: list, attach, inspect and detach devices, and read or write their parameters.
    Devices are plain dicts as the daemon returns them (``id``, ``kind``, ``info``, ``network``, ``lease``, ...)."""

    def __init__(self, client):
        self._c = client

    def list(self):
        """Every attached device."""
        return self._c.request("GET", "/devices")["devices"]

    def attach(self, kind="sim-xy", **fields):
        """Attaches a device; the fields are those of POST /devices, for example
        ``attach(kind="sim-xy", builder="lattice:4x4", task="iris", seed=1)`` or
        ``attach(kind="serial", path="/dev/ttyACM0")``. Returns the device with its network."""
        return self._c.request("POST", "/devices", json_body=dict(kind=kind, **fields))

    def get(self, device_id):
        """One device, including the network as attached (``description``)."""
        return self._c.request("GET", "/devices/" + quote(device_id, safe=""))

    def detach(self, device_id):
        """Detaches a device (EqpError 409 EQP_ERR_DEVICE_LEASED while a run holds it or waits for it)."""
        self._c.request("DELETE", "/devices/" + quote(device_id, safe=""))

    def params(self, device_id):
        """The parameters as applied: ``weights`` (per edge, in ``edges`` order), ``h`` and ``psi`` (per node)."""
        return self._c.request("GET", "/devices/%s/params" % quote(device_id, safe=""))

    def set_params(self, device_id, weights, h=None, psi=None):
        """Writes parameters; returns them as the device applied them (quantised, clipped)."""
        body = {"weights": list(weights)}
        if h is not None:
            body["h"] = list(h)
        if psi is not None:
            body["psi"] = list(psi)
        return self._c.request("PUT", "/devices/%s/params" % quote(device_id, safe=""), json_body=body)

    def relax(self, device_id, inputs, **fields):
        """One relaxation of a batch of samples (``inputs``: one row of clamped values in rad per sample);
        the other fields are those of POST /devices/:id/relax. Returns phases, energy, settled, steps."""
        return self._c.request("POST", "/devices/%s/relax" % quote(device_id, safe=""), json_body=dict(inputs=[list(r) for r in inputs], **fields))
