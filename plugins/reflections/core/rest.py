"""The author's rest: reflections paused on the whole site until a day, kindly. Set by the site's
REFLECTIONS_PAUSED_UNTIL, or by the file REFLECTIONS_PAUSE_FILE names in the content folder (the
moderation page's switch writes and removes it; a change to it builds the site again), which
holds the day (YYYY-MM-DD) reflections open again. The later of the two wins; from that day on,
nothing is paused."""

import os
from datetime import date, datetime
from pathlib import Path

from .files import write_atomically


def pause_file(settings: dict) -> Path | None:
    name = settings.get("REFLECTIONS_PAUSE_FILE") or ""
    return Path(settings["PATH"]) / name if name else None


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(str(text).strip()[:10])
    except ValueError:
        return None


def until(settings: dict, today: date | None = None) -> date | None:
    """The day reflections open again, while they rest; None when they are open."""
    today = today or datetime.now().date()
    days = [_day(settings.get("REFLECTIONS_PAUSED_UNTIL") or "")]
    path = pause_file(settings)
    if path is not None and path.is_file():
        try:
            days.append(_day(path.read_text(encoding="utf-8").splitlines()[0] if path.stat().st_size else ""))
        except (OSError, UnicodeDecodeError, IndexError):
            pass
    resting = [day for day in days if day is not None and day > today]
    return max(resting) if resting else None


def pause(settings: dict, day: date) -> None:
    """The moderation page's switch: rest until `day`."""
    path = pause_file(settings)
    if path is not None:
        write_atomically(path, f"{day.isoformat()}\n".encode())


def resume(settings: dict) -> bool:
    """End the rest the switch set (the setting, if any, is the site's to change); whether it did."""
    path = pause_file(settings)
    if path is None or not path.is_file():
        return False
    os.unlink(path)
    return True


def ended(settings: dict, today: date | None = None) -> bool:
    """The switch's file names a day that has come: remove it (the site builds again with the form)."""
    path = pause_file(settings)
    if path is None or not path.is_file() or until(dict(settings, REFLECTIONS_PAUSED_UNTIL=""), today):
        return False
    return resume(settings)
