"""A small renderer of Excel number formats: the text Excel shows for a number and a format code.

Covers what lead sheets use: digit patterns with literals ("000000", "00000-0000",
"(000) 000-0000", "#,##0.00", "0%"), currency codes ("#,##0.00 [$€-407]"), scientific
("0.00E+00"), fractions ("# ?/?", "# ?/8") and dates and times ("yyyy-mm-dd", "dd/mm/yyyy",
"mmm d, yyyy", "h:mm AM/PM"). Anything else returns None: keep calamine's text. The 1900
date system is assumed (the 1904 system is rare since Excel 2011).
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from fractions import Fraction
from functools import lru_cache

BUILTIN_FORMATS: dict[int, str] = {
    1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00", 9: "0%", 10: "0.00%", 11: "0.00E+00",
    12: "# ?/?", 13: "# ??/??", 14: "m/d/yyyy", 15: "d-mmm-yy", 16: "d-mmm", 17: "mmm-yy",
    18: "h:mm AM/PM", 19: "h:mm:ss AM/PM", 20: "h:mm", 21: "h:mm:ss", 22: "m/d/yyyy h:mm",
    37: "#,##0 ;(#,##0)", 38: "#,##0 ;(#,##0)", 39: "#,##0.00;(#,##0.00)",
    40: "#,##0.00;(#,##0.00)", 45: "mm:ss", 46: "[h]:mm:ss", 47: "mm:ss.0", 49: "@",
}  # fmt: skip
_TOKEN = re.compile(
    r'"[^"]*"|\\.|_.|\*.|\[[^\]]*\]|AM/PM|A/P|y+|m+|d+|h+|s+|[0#?]|[.,%]|E[+-]|.',
    re.I,
)
MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_EPOCH = datetime(1899, 12, 30)
_ZEROS = re.compile(r"^0+$")
_FRACTION = re.compile(r"^(?:([#0?,]+) +)?([#0?]+)/([#0?]+|[1-9]\d*)$")
_NOT_SHOWN = re.compile(r'"[^"]*"|\\.|_.|\*.|\[[^\]]*\]')


def is_plain(code: str) -> bool:
    """True when calamine's text is already what Excel shows (General, text)."""
    return code.strip().lower() in ("general", "@", "")


def general_scientific(value: float) -> str:
    """How Excel's General format shows a number too long for its digits: 1.5E+20, 1.23457E+17."""
    mantissa, _, exponent = f"{value:.5E}".partition("E")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}E{exponent[0]}{int(exponent[1:]):02d}"


@lru_cache(maxsize=65536)
def render(raw: str, code: str) -> str | None:
    """The text Excel shows for the number `raw` in format `code`, or None when unsure."""
    try:
        value = float(raw)
    except ValueError:
        return None
    if not math.isfinite(value):  # "1e999", "nan": no number Excel shows; keep calamine's text
        return None
    section, value, sign = _section(code, value)
    if _ZEROS.match(section):
        return sign + str(round(value)).zfill(len(section))
    tokens, is_date, unsure = compile_section(section)
    if is_date:
        return _render_date(value, tokens)
    if any(t.upper() in ("E+", "E-") for t in tokens):
        text = _render_scientific(value, tokens)
        return None if text is None else sign + text
    if "/" in section:
        text = _render_fraction(value, section)
        return None if text is None else sign + text
    if unsure:
        return None
    text = _render_number(value, tokens)
    return None if text is None else sign + text


@lru_cache(maxsize=256)
def compile_section(section: str) -> tuple[list[str], bool, bool]:
    """Tokens of a format section, whether it is a date, whether it is beyond this renderer."""
    tokens = _TOKEN.findall(section)
    is_date = any(t[0].lower() in "ydhms" for t in tokens if is_code(t))
    unsure = any(t.upper() in ("E+", "E-") for t in tokens) or "/" in section
    return tokens, is_date, unsure


def is_code(token: str) -> bool:
    return not token.startswith(('"', "\\", "_", "*", "[")) and token.upper() not in (
        "AM/PM", "A/P", "E+", "E-",
    ) and token[0].isalpha()  # fmt: skip


def _section(code: str, value: float) -> tuple[str, float, str]:
    """The format section that applies to `value`, the value to show, and a sign to prefix."""
    parts = sections(code)
    if value < 0 and len(parts) > 1:
        return parts[1], -value, ""
    if value == 0 and len(parts) > 2:
        return parts[2], value, ""
    return parts[0], abs(value), "-" if value < 0 else ""


def sections(code: str) -> list[str]:
    """The sections of a format code (positive;negative;zero;text), split outside quotes."""
    return re.split(r';(?=(?:[^"]*"[^"]*")*[^"]*$)', code)


def literal(token: str) -> str:
    if token.startswith('"'):
        return token[1:-1]
    if token.startswith("\\"):
        return token[1:]
    if token.startswith("_"):
        return " "
    if token.startswith("[$"):  # [$€-407]: a currency symbol and a locale
        return token[2:-1].split("-", 1)[0]
    if token.startswith(("*", "[")):
        return ""
    return token


def _render_scientific(value: float, tokens: list[str]) -> str | None:
    """0.00E+00 and ##0.0E+0: mantissa digits, then E, the exponent's sign and digits."""
    at = next(i for i, t in enumerate(tokens) if t.upper() in ("E+", "E-"))
    mantissa, exponent = tokens[:at], tokens[at + 1 :]
    point = mantissa.index(".") if "." in mantissa else len(mantissa)
    whole = sum(t in "0#?" for t in mantissa[:point])
    decimals = sum(t in "0#?" for t in mantissa[point + 1 :])
    width = sum(t in "0#?" for t in exponent)
    if whole < 1 or width < 1:
        return None
    power = 0 if value == 0 else math.floor(math.log10(value))
    step = whole if whole > 1 and "#" in mantissa[:point] else 1
    power -= power % step
    digits = round(value / 10**power, decimals)
    if digits >= 10**step:
        power, digits = power + step, round(digits / 10**step, decimals)
    shown = f"{digits:.{decimals}f}" if decimals else f"{digits:.0f}"
    sign = "-" if power < 0 else ("+" if tokens[at].endswith("+") else "")
    return f"{shown}E{sign}{abs(power):0{width}d}"


def _render_fraction(value: float, section: str) -> str | None:
    """# ?/? and # ?/8: a whole part (when the format has one) and a fraction."""
    match = _FRACTION.match(_NOT_SHOWN.sub("", section).strip())
    if match is None:
        return None
    whole_part, _, den_code = match.groups()
    whole = math.floor(value) if whole_part else 0
    rest = value - whole
    if den_code.isdigit():
        fraction = Fraction(round(rest * int(den_code)), int(den_code))
        num, den = fraction.numerator * int(den_code) // fraction.denominator, int(den_code)
    else:
        fraction = Fraction(rest).limit_denominator(10 ** len(den_code) - 1)
        num, den = fraction.numerator, fraction.denominator
    if num and num == den:
        whole, num = whole + 1, 0
    if not num:
        return str(whole)
    return f"{whole} {num}/{den}" if whole else f"{num}/{den}"


def _render_number(value: float, tokens: list[str]) -> str | None:
    value *= 100 ** sum(t == "%" for t in tokens)
    point = tokens.index(".") if "." in tokens else len(tokens)
    whole, frac = tokens[:point], tokens[point + 1 :]
    decimals = sum(t in "0#?" for t in frac)
    text = f"{round(value, decimals):.{decimals}f}"
    int_digits, _, frac_digits = text.partition(".")
    grouped = "," in whole and any(t in "0#?" for t in whole)
    out = _fill_whole(int_digits.lstrip("0"), whole, grouped)
    if "." in tokens:
        out += "." + _fill_frac(frac_digits, frac)
    return out.rstrip(".") if out.endswith(".") and not any(t == "0" for t in frac) else out


def _fill_whole(digits: str, tokens: list[str], grouped: bool) -> str:
    places = [i for i, t in enumerate(tokens) if t in "0#?"]
    if not places:
        return "".join(literal(t) for t in tokens if t != ",")
    filled = dict.fromkeys(places, "")
    rest = digits
    for i in reversed(places):
        filled[i] = rest[-1] if rest else {"0": "0", "?": " ", "#": ""}[tokens[i]]
        rest = rest[:-1]
    filled[places[0]] = rest + filled[places[0]]
    parts = [
        filled[i] if i in filled else ("" if t == "," else literal(t)) for i, t in enumerate(tokens)
    ]
    if grouped:
        number = "".join(filled[i] for i in places)
        return (
            "".join(literal(t) for t in tokens[: places[0]])
            + f"{int(number or 0):,}"
            + "".join(literal(t) for t in tokens[places[-1] + 1 :] if t != ",")
        )
    return "".join(parts)


def _fill_frac(digits: str, tokens: list[str]) -> str:
    out: list[str] = []
    places = [t for t in tokens if t in "0#?"]
    keep = len(digits.rstrip("0"))
    index = 0
    for t in tokens:
        if t in "0#?":
            digit = digits[index] if index < len(digits) else "0"
            optional = index >= keep and t != "0" and all(p != "0" for p in places[index:])
            out.append(" " if optional and t == "?" else "" if optional else digit)
            index += 1
        else:
            out.append(literal(t))
    return "".join(out)


def _render_date(value: float, tokens: list[str]) -> str | None:
    try:
        moment = _EPOCH + timedelta(days=value) + timedelta(microseconds=500_000)
    except OverflowError:  # before year 1 or after 9999
        return None
    moment = moment.replace(microsecond=0)
    twelve = any(t.upper() in ("AM/PM", "A/P") for t in tokens)
    out: list[str] = []
    for i, token in enumerate(tokens):
        out.append(_date_part(token, moment, twelve, is_minute(tokens, i)))
    return "".join(out)


def is_minute(tokens: list[str], i: int) -> bool:
    """An "m" token means minutes right after an hour or right before a second."""
    if tokens[i][0].lower() != "m" or len(tokens[i]) > 2:
        return False
    before = [t for t in tokens[:i] if is_code(t)]
    after = [t for t in tokens[i + 1 :] if is_code(t)]
    return bool((before and before[-1][0].lower() == "h") or (after and after[0][0].lower() == "s"))


def _date_part(token: str, moment: datetime, twelve: bool, minute: bool) -> str:
    low = token.lower()
    if low in ("am/pm", "a/p"):
        noon = moment.hour >= 12
        return ("PM" if noon else "AM") if low == "am/pm" else ("P" if noon else "A")
    if token.startswith("[") and low.strip("[]")[:1] in "hms" and low.strip("[]"):
        return _date_part(low.strip("[]"), moment, twelve, minute)
    if not is_code(token):
        return literal(token)
    return _date_code(low, moment, twelve, minute)


def _date_code(low: str, moment: datetime, twelve: bool, minute: bool) -> str:
    width, letter = len(low), low[0]
    if letter == "y":
        return f"{moment.year:04d}" if width > 2 else f"{moment.year % 100:02d}"
    if letter == "m" and minute:
        return f"{moment.minute:0{width}d}"
    if letter == "m":
        name = MONTH_NAMES[moment.month - 1]
        return [str(moment.month), f"{moment.month:02d}", name[:3], name, name[0]][
            min(width, 5) - 1
        ]
    if letter == "d":
        day = DAY_NAMES[moment.weekday()]
        return [str(moment.day), f"{moment.day:02d}", day[:3], day][min(width, 4) - 1]
    if letter == "h":
        hour = (moment.hour % 12 or 12) if twelve else moment.hour
        return f"{hour:0{min(width, 2)}d}"
    if letter == "s":
        return f"{moment.second:0{min(width, 2)}d}"
    return low
