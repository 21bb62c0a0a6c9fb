"""Datasets: the built-in tasks and the tables uploaded to the daemon (GET/POST /datasets)."""
import numbers
import os
from urllib.parse import quote


class Datasets:
    """``client.datasets``: list, inspect and upload datasets. A run names its dataset by ``task``."""

    def __init__(self, client):
        self._c = client

    def list(self):
        """Every dataset: the built-in ones and the uploaded ones (name, sizes, classes, features)."""
        return self._c.request("GET", "/datasets")["datasets"]

    def get(self, name):
        """One dataset: inputs, outputs, classes, class and feature names, split sizes."""
        return self._c.request("GET", "/datasets/" + quote(name, safe=""))

    def upload(self, name, data, label=None, test_fraction=None, description=None, kind=None):
        """Uploads a table of numeric features and a class label per row; returns the stored dataset.

        ``data`` is a pandas DataFrame (its columns are the features and the label), a CSV file path
        (a header row, then one row per sample), or a list of rows, each ``{"features": [...], "label": L}``,
        ``(features, label)`` or ``[x1, ..., xn, label]``. ``label`` names the label column of a
        DataFrame or CSV (default: a column named 'label', else the last one). ``test_fraction`` is the
        share of each class held out for testing (daemon default 0.2). ``kind="regression"`` makes the
        label a numeric target, trained as a continuous output (MSE, R^2); default classification.
        """
        body = {"name": name}
        if description is not None:
            body["description"] = description
        if test_fraction is not None:
            body["testFraction"] = float(test_fraction)
        if kind is not None:
            body["kind"] = str(kind)
        if hasattr(data, "to_csv") and hasattr(data, "columns"):
            body["csv"] = data.to_csv(index=False)
        elif isinstance(data, (str, bytes, os.PathLike)):
            with open(data, encoding="utf-8") as f:
                body["csv"] = f.read()
        else:
            if label is not None:
                raise ValueError("label names a column of a DataFrame or CSV; rows carry their own label")
            body["rows"] = [_row(r, k, kind == "regression") for k, r in enumerate(data)]
        if label is not None:
            body["labelColumn"] = str(label)
        return self._c.request("POST", "/datasets", json_body=body)


def _row(r, k, numeric=False):
    """One upload row as the daemon takes it: {features: [float], label: int | str}, or a float target (numeric)."""
    if isinstance(r, dict):
        if set(r) != {"features", "label"}:
            raise ValueError("rows[%d]: a dict row has exactly the keys 'features' and 'label'" % k)
        features, label = r["features"], r["label"]
    elif len(r) == 2 and not isinstance(r[0], (numbers.Number, str)):
        features, label = r
    else:
        features, label = list(r[:-1]), r[-1]
    return {"features": [float(x) for x in features], "label": float(label) if numeric else _label(label)}


def _label(v):
    """A class label: whole numbers stay numbers (classes sort numerically), anything else is text."""
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, numbers.Integral):
        return int(v)
    if isinstance(v, numbers.Real) and float(v).is_integer():
        return int(v)
    return str(v)
