"""Locust entry point: the scenarios and the shape live in their own modules."""

from scenarios import (  # noqa: F401
    ApiArrivals,
    ApiClient,
    ModelServerArrivals,
    ModelServerClient,
)
from shapes import ConstantRate  # noqa: F401
