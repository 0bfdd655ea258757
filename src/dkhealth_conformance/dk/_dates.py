"""Day-month-year parts shared by CPR numbers and replacement (eCPR) numbers."""

from __future__ import annotations

import calendar

MONTH_NAMES = (
    "", "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)


def century_year(yy: int, century_digit: int) -> int:
    """The four-digit birth year from the two-digit year and the 7th digit of a CPR number.

    The CPR office's table (positions 5-6 are the year, position 7 the first digit of the serial):

    ============  ===========  ===========  ===========
    7th digit     YY 00-36     YY 37-57     YY 58-99
    ============  ===========  ===========  ===========
    0, 1, 2, 3    1900-1936    1937-1957    1958-1999
    4, 9          2000-2036    1937-1957    1958-1999
    5, 6, 7, 8    2000-2036    2037-2057    1858-1899
    ============  ===========  ===========  ===========

    >>> century_year(47, 9), century_year(0, 4), century_year(37, 4), century_year(58, 5)
    (1947, 2000, 1937, 1858)
    """
    if not 0 <= yy <= 99 or not 0 <= century_digit <= 9:
        raise ValueError(f"year {yy} / century digit {century_digit} out of range")
    if century_digit <= 3:
        return 1900 + yy
    if century_digit in (4, 9):
        return 2000 + yy if yy <= 36 else 1900 + yy
    return 2000 + yy if yy <= 57 else 1800 + yy


def day_month_problem(dd: int, mm: int, year: int | None) -> str | None:
    """Why day ``dd`` of month ``mm`` is not a date, or None when it is one.

    With ``year`` None the year is unknown and 29 February is accepted (as DK Core's regular
    expressions do); with a year, 29 February needs a leap year.
    """
    if not 1 <= mm <= 12:
        return f"month {mm:02d} does not exist"
    if dd < 1:
        return f"day {dd:02d} does not exist"
    longest = 29 if mm == 2 and year is None else calendar.monthrange(year or 2000, mm)[1]
    if dd > longest:
        if mm == 2 and dd == 29 and year is not None:
            return f"29 February is not a date in {year}, which is not a leap year"
        return f"{dd} {MONTH_NAMES[mm]} is not a date"
    return None
