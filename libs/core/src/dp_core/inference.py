"""What the model server and its clients agree on, importable without KServe or MLflow.

The request carries one FP64 tensor `inputs` of shape [rows, len(INPUTS)] (Open Inference
Protocol v2); the answer one FP64 tensor `score` of shape [rows].
"""

from __future__ import annotations

INPUT_TENSOR = "inputs"
OUTPUT_TENSOR = "score"


class ModelUnavailable(RuntimeError):
    """No model can be scored: the registry or server is down, slow, has no champion, or answered
    something that is not a score for each row."""


class ModelRejected(ValueError):
    """The model server refused the inputs it was sent (a 4xx other than 404)."""
