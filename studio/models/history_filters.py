"""What the history's filter bar offers, without widgets: date ranges and readable sizes.

Takes store `created_at` in UTC (ISO 8601, milliseconds); a person thinks in local days.
These helpers turn "Today", "Last 7 days" or a picked from-to range into the UTC bounds the
store compares against (since inclusive, until exclusive), in the stored string format.
"""

from __future__ import annotations

import datetime as dt

DATE_PRESETS = {
    "all": "Any date",
    "today": "Today",
    "7d": "Last 7 days",
    "30d": "Last 30 days",
}
"""Preset key -> label, in menu order."""

_DAYS = {"today": 0, "7d": 6, "30d": 29}  # days before today that the range also covers


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds")


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time()).astimezone()  # the local zone of that day


def day_range(first: dt.date, last: dt.date) -> tuple[str, str]:
    """(since, until) covering the local days `first` to `last`, both included (swapped if
    given in the wrong order)."""
    if last < first:
        first, last = last, first
    since = _local_midnight(first)
    until = _local_midnight(last + dt.timedelta(days=1))
    return _utc(since), _utc(until)


def preset_range(preset: str, today: dt.date | None = None) -> tuple[str | None, str | None]:
    """(since, until) for a preset key of `DATE_PRESETS`; (None, None) for "all"."""
    if preset == "all":
        return None, None
    if preset not in _DAYS:
        raise ValueError(f"unknown date preset {preset!r}")
    today = today or dt.date.today()
    since, _until = day_range(today - dt.timedelta(days=_DAYS[preset]), today)
    return since, None  # open-ended: a take finished a second ago still shows


def human_size(size: int) -> str:
    """Bytes as a person reads them: "0 bytes", "812 KB", "12.4 MB", "1.2 GB"."""
    if size < 1000:
        return f"{size} bytes" if size != 1 else "1 byte"
    value = float(size)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1000
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if value >= 100 else f"{value:.1f} {unit}"
    raise AssertionError("unreachable")
