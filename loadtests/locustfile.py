"""Locust entry point: the scenarios and the shape live in their own modules."""

from scenarios import ApiClient, ModelServerClient  # noqa: F401
from shapes import ConstantRate  # noqa: F401
