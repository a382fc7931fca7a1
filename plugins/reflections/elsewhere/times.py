"""Moments as other sites write them."""

from datetime import UTC, datetime


def moment(value: object) -> datetime | None:
    """An ISO 8601 moment ("2026-03-14T08:30:00.000Z"), aware; None for anything else."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
