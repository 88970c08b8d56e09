"""A strict CSV parser with the options AEP's ``csvOptions`` offers (Spark semantics).

Python's ``csv`` module allows only a one-character delimiter and accepts an unterminated quote at
the end of a file, so it can return a truncated last row as if it were complete. This parser takes a
delimiter of one or more characters and raises on any malformed input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class CsvOptions:
    """The CSV settings of an export, named as in AEP's ``csvOptions`` and defaulting to its defaults."""

    sep: str = ","
    quote: str | None = '"'
    escape: str | None = "\\"
    char_to_escape_quote_escaping: str | None = None
    header: bool = True
    null_value: str = ""
    empty_value: str = ""
    ignore_leading_white_space: bool = True
    ignore_trailing_white_space: bool = True
    encoding: str = "UTF-8"
    line_sep: str | None = None

    def check(self) -> None:
        if not self.sep:
            raise ValueError("csvOptions.sep is empty: set a delimiter of one or more characters")
        for label, value in (("quote", self.quote), ("escape", self.escape)):
            if value is not None and len(value) != 1:
                raise ValueError(f"csvOptions.{label} {value!r} must be one character or unset")
        if self.line_sep is not None and (len(self.line_sep) > 1 and self.line_sep != "\r\n"):
            raise ValueError(f"line separator {self.line_sep!r} must be one character or \\r\\n")


class CsvSyntaxError(ValueError):
    """Malformed CSV; carries the 1-based line where the bad record starts."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


def _finish_field(raw: list[str], quoted: bool, options: CsvOptions) -> str | None:
    text = "".join(raw)
    if quoted:
        # A quoted empty field is AEP's emptyValue (an empty string), never null.
        return text if text else options.empty_value
    if options.ignore_leading_white_space:
        text = text.lstrip(" \t")
    if options.ignore_trailing_white_space:
        text = text.rstrip(" \t")
    if text == options.null_value:
        return None
    return text


def _patterns(options: CsvOptions) -> tuple[re.Pattern[str], re.Pattern[str] | None, re.Pattern[str]]:
    """Compile the field, quoted-field and terminator patterns for ``options``.

    Possessive quantifiers keep matching linear in the field length, so a hostile file cannot make
    the regex engine backtrack.
    """
    sep = re.escape(options.sep)
    line_end = re.escape(options.line_sep) if options.line_sep else r"\r\n|\n|\r"
    terminator = re.compile(rf"{sep}|(?P<eol>{line_end})")
    unquoted_char = rf"[^{sep}\r\n]" if len(options.sep) == 1 else rf"(?:(?!{sep})[^\r\n])"
    if options.quote is None:
        return re.compile(rf"(?P<u>{unquoted_char}*+)"), None, terminator

    quote = re.escape(options.quote)
    parts = [rf"[^{quote}" + (re.escape(options.escape) if options.escape else "") + "]++"]
    if options.escape and options.escape != options.quote:
        escape = re.escape(options.escape)
        if options.char_to_escape_quote_escaping:
            parts.append(re.escape(options.char_to_escape_quote_escaping) + escape)
        parts.append(rf"{escape}.")
        parts.append(escape)
    parts.append(quote + quote)
    quoted = re.compile(rf"[ \t]*+{quote}(?P<q>(?:{'|'.join(parts)})*+){quote}[ \t]*+", re.DOTALL)
    field = re.compile(rf"(?![ \t]*+{quote})(?P<u>{unquoted_char}*+)")
    return field, quoted, terminator


def _unescape(body: str, options: CsvOptions) -> str:
    """Undo escaping inside a quoted field in one left-to-right pass, so an unescaped quote is never
    read again as half of a doubled quote."""
    quote = options.quote or ""
    escape = options.escape if options.escape != quote else None
    prefix = options.char_to_escape_quote_escaping
    alternatives = []
    if escape and escape in body:
        if prefix:
            alternatives.append(re.escape(prefix + escape))
        alternatives.append(re.escape(escape) + ".")
    if quote and quote + quote in body:
        alternatives.append(re.escape(quote + quote))
    if not alternatives:
        return body

    def replace(match: re.Match[str]) -> str:
        text = match.group(0)
        if text == quote + quote:
            return quote
        if prefix and escape and text == prefix + escape:
            return escape
        following = text[1:]
        # Spark drops the escape only before a quote or another escape character.
        return following if following in (quote, escape) else text

    return re.sub("|".join(alternatives), replace, body, flags=re.DOTALL)


def parse_csv(text: str, options: CsvOptions) -> list[list[str | None]]:
    """Split ``text`` into records of fields; ``None`` is a null field. Raise CsvSyntaxError."""
    options.check()
    field_pattern, quoted_pattern, terminator = _patterns(options)
    records: list[list[str | None]] = []
    record: list[str | None] = []
    position = 0
    record_start = 0
    end = len(text)

    def line_of(offset: int) -> int:
        return text.count("\n", 0, offset) + 1

    # Fast path: a line without any quote character is split with str.split. Only the default line
    # separators qualify, because a custom one may appear inside a line.
    fast = options.line_sep is None
    strip_chars = (
        " \t" if options.ignore_leading_white_space else "",
        " \t" if options.ignore_trailing_white_space else "",
    )
    null_value = options.null_value

    def unquoted_value(cell: str) -> str | None:
        if strip_chars[0]:
            cell = cell.lstrip(strip_chars[0])
        if strip_chars[1]:
            cell = cell.rstrip(strip_chars[1])
        return None if cell == null_value else cell

    while position < end:
        if fast and not record:
            newline = text.find("\n", position)
            stop = end if newline == -1 else newline
            line = text[position:stop]
            if line.endswith("\r"):
                line = line[:-1]
            if "\r" not in line and (options.quote is None or options.quote not in line):
                records.append([unquoted_value(cell) for cell in line.split(options.sep)])
                position = stop + 1
                record_start = position
                continue
        quoted = quoted_pattern.match(text, position) if quoted_pattern else None
        if quoted is not None:
            record.append(_finish_field([_unescape(quoted.group("q"), options)], True, options))
            position = quoted.end()
        else:
            plain = field_pattern.match(text, position)
            if plain is None:
                raise CsvSyntaxError(
                    "quoted field is not closed before the end of the file (truncated?)", line_of(record_start)
                )
            record.append(_finish_field([plain.group("u")], False, options))
            position = plain.end()

        if position == end:
            break
        after = terminator.match(text, position)
        if after is None:
            raise CsvSyntaxError(f"unexpected {text[position]!r} after a closing quote", line_of(position))
        position = after.end()
        if after.group("eol") is not None:
            records.append(record)
            record = []
            record_start = position
        elif position == end:
            # A delimiter at the very end opens one more, empty field.
            record.append(_finish_field([], False, options))

    if record:
        records.append(record)
    return records
