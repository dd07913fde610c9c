"""`make profile`'s reading of py-spy's collapsed stacks (pure logic, stacks written here)."""

from __future__ import annotations

from bench.profile import breakdown, package_of

SITE = "/app/.venv/lib/python3.11/site-packages"
RAW = f"""\
run (uvicorn/server.py:68);__call__ ({SITE}/starlette/routing.py:715);predict (dp_api/routes.py:60);aread (dp_core/online_features.py:90) 30
run (uvicorn/server.py:68);__call__ ({SITE}/starlette/routing.py:715);serialize_response ({SITE}/fastapi/routing.py:150) 50
run (uvicorn/server.py:68);_run_once (/usr/lib/python3.11/asyncio/base_events.py:1900) 20
"""  # noqa: E501


def test_a_frame_belongs_to_the_first_package_its_path_names() -> None:
    assert package_of(f"handle ({SITE}/starlette/routing.py:715)") == "starlette"
    assert package_of("aread (libs/core/src/dp_core/online_features.py:90)") == "dp_core"
    assert package_of("loads (<frozen json>:1)") == "other"


def test_shares_of_self_and_inclusive_time() -> None:
    result = breakdown(RAW)
    assert result["samples"] == 100
    assert result["self"] == {"fastapi": 0.5, "dp_core": 0.3, "asyncio": 0.2}
    assert result["inclusive"]["uvicorn"] == 1.0
    assert result["inclusive"]["starlette"] == 0.8
    assert result["inclusive"]["dp_api"] == 0.3
    top = next(iter(result["top_functions"].items()))
    assert top == (f"serialize_response ({SITE}/fastapi/routing.py:150)", 0.5)
