"""Lazy imports of the optional packages, so the client itself needs only requests."""
from .errors import MissingDependency

_HINTS = {
    "pandas": "Debian: apt install python3-pandas; pip: pip install pandas",
    "matplotlib": "Debian: apt install python3-matplotlib; pip: pip install matplotlib",
}


def has(module):
    """True when the optional module can be imported."""
    try:
        __import__(module)
        return True
    except ImportError:
        return False


def need(module, what):
    """Imports an optional module, or raises MissingDependency saying which call needs it and how to install it."""
    try:
        return __import__(module, fromlist=["_"])
    except ImportError as e:
        raise MissingDependency("%s needs %s, which is not installed (%s)" % (what, module, _HINTS.get(module.split(".")[0], "pip install " + module))) from e
