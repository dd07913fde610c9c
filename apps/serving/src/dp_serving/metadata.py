"""The model's v2 metadata from its MLflow signature, so the two can never disagree.

The signature's inputs are the model's named feature columns (`ColSpec`s): each becomes one v2
input tensor of shape [-1] (a batch of values) with the column's datatype; its output is a
`TensorSpec` (the score per row). A request may send those columns (the layout the metadata
describes) or, as this repository's API does, one `inputs` tensor [rows, columns] in the
signature's column order (docs/adr/0013).
"""

from __future__ import annotations

from typing import Any

import numpy as np

# MLflow's column types and numpy dtypes → the protocol's datatypes.
COLUMN_TYPES = {
    "double": "FP64",
    "float": "FP32",
    "long": "INT64",
    "integer": "INT32",
    "boolean": "BOOL",
    "string": "BYTES",
    "binary": "BYTES",
}
DTYPES = {
    np.dtype("float64"): "FP64",
    np.dtype("float32"): "FP32",
    np.dtype("int64"): "INT64",
    np.dtype("int32"): "INT32",
    np.dtype("bool"): "BOOL",
}


def input_tensors(signature: Any) -> list[dict[str, Any]]:
    """One tensor per signature column: name, datatype, shape [-1]."""
    return [
        {"name": column.name, "datatype": COLUMN_TYPES[column.type.name], "shape": [-1]}
        for column in signature.inputs.inputs
    ]


def output_tensors(signature: Any) -> list[dict[str, Any]]:
    """The signature's output tensors, with -1 where the batch size goes."""
    tensors = []
    for spec in signature.outputs.inputs:
        shape = [int(d) for d in getattr(spec, "shape", (-1,))]
        dtype = getattr(spec, "type", np.dtype("float64"))
        datatype = DTYPES.get(dtype) if isinstance(dtype, np.dtype) else COLUMN_TYPES[dtype.name]
        tensors.append({"name": spec.name or "score", "datatype": datatype, "shape": shape})
    return tensors


def column_names(signature: Any) -> list[str]:
    return [column.name for column in signature.inputs.inputs]
