"""Python client for the eqprop-hil daemon (``eqprop-hil serve``): devices, datasets and training runs.

    from eqprop_hil import Client
    c = Client("http://127.0.0.1:8765")
    run = c.runs.create(device="dev-1", task="iris", epochs=20)
    run.wait(); run.metrics()
"""
from .client import Client
from .errors import EqpError, MissingDependency
from .runs import TERMINAL, Run
from .sse import Event, SseParser

__all__ = ["Client", "EqpError", "MissingDependency", "Run", "TERMINAL", "Event", "SseParser"]
__version__ = "0.1.0"
