"""Billing periods: calendar months written ``YYYY-MM``."""

from __future__ import annotations

import calendar
import re
from datetime import date

from syncline.errors import ConfigError

PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_period(text: str) -> tuple[date, date]:
    """The first and last day of the month ``YYYY-MM``; ConfigError for another shape."""
    found = PERIOD.match(text)
    if found is None:
        raise ConfigError(f"period {text!r} is not YYYY-MM")
    year, month = int(found.group(1)), int(found.group(2))
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def previous_period(today: date) -> str:
    """The month before ``today``'s (what a monthly run on the 1st bills)."""
    first = today.replace(day=1)
    return period_of(date.fromordinal(first.toordinal() - 1))


__all__ = ["PERIOD", "parse_period", "period_of", "previous_period"]
