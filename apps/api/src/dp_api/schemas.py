"""Request and response bodies of the API, with the examples shown in its OpenAPI schema."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from dp_core.domain import CHANNELS, CURRENCIES

Decision = Literal["approve", "review", "decline"]


class Transaction(BaseModel):
    """A card transaction to score."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "transaction_id": "tx-demo-0001",
                    "customer_id": "c-0001625",
                    "merchant_id": "m-000188",
                    "amount": 42.5,
                    "currency": "EUR",
                    "channel": "online",
                    "country": "DE",
                    "timestamp": "2026-11-01T12:00:00Z",
                }
            ]
        },
    )

    transaction_id: str | None = Field(default=None, max_length=64)
    customer_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
    merchant_id: str = Field(min_length=1, max_length=64)
    amount: float = Field(gt=0, lt=1_000_000, description="In `currency`; must be positive.")
    currency: Literal[CURRENCIES] = Field(description="ISO 4217 code.")  # type: ignore[valid-type]
    channel: Literal[CHANNELS]  # type: ignore[valid-type]
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 code.")
    timestamp: datetime = Field(
        default_factory=lambda: datetime.now(UTC), description="When it happened (UTC if naive)."
    )

    @field_validator("timestamp")
    @classmethod
    def in_utc(cls, value: datetime) -> datetime:
        """The timestamp in UTC; one that has no UTC equivalent (year 0 or 10000) is invalid."""
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        try:
            return value.astimezone(UTC)
        except OverflowError:
            raise ValueError("the timestamp is out of range once converted to UTC") from None


class Prediction(BaseModel):
    """The score and what it was based on."""

    request_id: str
    transaction_id: str | None
    score: float = Field(ge=0, le=1, description="Fraud probability.")
    decision: Decision
    model_name: str
    model_version: str
    cold_start: bool = Field(description="True when the customer had no online features.")
    features: dict[str, float | None] = Field(description="The online features used.")


class Problem(BaseModel):
    """An error answer, as `application/problem+json` (RFC 9457) with three extension members."""

    type: str = Field(description="`/problems/<error>`: one URI reference per kind of error.")
    title: str = Field(description="What kind of error, the same for every occurrence.")
    status: int
    detail: str = Field(description="What went wrong with this request.")
    error: str = Field(description="The kind of error as a code: `type`'s last segment.")
    errors: list[dict[str, object]] | None = Field(
        default=None, description="For invalid requests: each field and its problem."
    )
    request_id: str = Field(description="The request's id (`X-Request-Id`), as the logs name it.")
