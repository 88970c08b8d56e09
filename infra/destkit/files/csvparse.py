"""A strict CSV parser with the options AEP's ``csvOptions`` offers (Spark semantics).

Python's ``csv`` module allows only a one-character delimiter and accepts an unterminated quote at
the end of a file, so it can return a truncated last row as if it were complete. This parser takes a
delimiter of one or more characters and raises on any malformed input.
"""

from __future__ import annotations

from dataclasses import dataclass

# Marks a field that was quoted, so ``nullValue`` matching (which Spark applies to unquoted text) and
# whitespace trimming skip it.
_QUOTED = object()


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


def parse_csv(text: str, options: CsvOptions) -> list[list[str | None]]:
    """Split ``text`` into records of fields; ``None`` is a null field. Raise CsvSyntaxError."""
    options.check()
    sep = options.sep
    quote = options.quote
    escape = options.escape
    quote_escape = options.char_to_escape_quote_escaping
    line_seps = (options.line_sep,) if options.line_sep else ("\r\n", "\n", "\r")

    records: list[list[str | None]] = []
    record: list[str | None] = []
    raw: list[str] = []
    quoted = False
    in_quotes = False
    after_quote = False
    line = 1
    record_line = 1
    i = 0
    n = len(text)

    def end_record() -> None:
        nonlocal record, record_line
        records.append(record)
        record = []
        record_line = line

    while i < n:
        char = text[i]
        if in_quotes:
            if escape is not None and char == escape and escape != quote and i + 1 < n:
                following = text[i + 1]
                if following in (quote, escape):
                    raw.append(following)
                    i += 2
                    continue
            if quote_escape is not None and char == quote_escape and i + 2 < n and text[i + 1] == escape:
                raw.append(escape or "")
                i += 2
                continue
            if char == quote:
                if i + 1 < n and text[i + 1] == quote:
                    raw.append(quote)
                    i += 2
                    continue
                in_quotes = False
                after_quote = True
                i += 1
                continue
            if char == "\n":
                line += 1
            raw.append(char)
            i += 1
            continue

        if text.startswith(sep, i):
            record.append(_finish_field(raw, quoted, options))
            raw, quoted, after_quote = [], False, False
            i += len(sep)
            continue
        matched_sep = next((s for s in line_seps if text.startswith(s, i)), None)
        if matched_sep is not None:
            record.append(_finish_field(raw, quoted, options))
            raw, quoted, after_quote = [], False, False
            i += len(matched_sep)
            line += 1
            end_record()
            continue
        if after_quote:
            if char in " \t":
                i += 1
                continue
            raise CsvSyntaxError(f"unexpected {char!r} after a closing quote", line)
        if quote is not None and char == quote and not "".join(raw).strip(" \t"):
            raw, quoted, in_quotes = [], True, True
            i += 1
            continue
        raw.append(char)
        i += 1

    if in_quotes:
        raise CsvSyntaxError(
            "quoted field is not closed before the end of the file (truncated?)", record_line
        )
    if raw or quoted or record:
        record.append(_finish_field(raw, quoted, options))
        end_record()
    return records
