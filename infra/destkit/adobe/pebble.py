"""A renderer for the subset of Pebble that the kit's message templates use.

Supported: ``{{ expression }}``, ``{% for %}`` (lists and maps, with ``loop.first``, ``loop.last``,
``loop.index``, ``loop.length``), ``{% if %}`` / ``{% elseif %}`` / ``{% else %}``, ``{% set %}``,
``{# comments #}``, whitespace control with ``-``, the operators ``not``, ``and``, ``or``, ``==``,
``!=``, ``in``, ``is [not] null|empty|map|defined|iterable``, literals, lists, and the filters
``escape(strategy="json")``, ``raw``, ``length``, ``default``, ``lower``, ``upper``, ``join``,
``added`` and ``removed``, plus the functions ``addedSegments``, ``removedSegments`` and
``hasSegments``.

Semantics follow Pebble 3 (pebbletemplates.io): a missing attribute is null, a ``for`` over null
renders nothing, and ``set`` inside a loop updates a variable that an enclosing scope already
defines (Pebble's ``ScopeChain.set``), which the templates rely on to place commas. Anything else
raises PebbleError, so a template that uses more than this subset fails here instead of
rendering differently. Adobe's template rendering API (``POST /authoring/testing/template/render``)
remains the final check of a template.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


class PebbleError(ValueError):
    """The template uses syntax outside the supported subset, or is malformed."""


# ---------------------------------------------------------------------------------------------
# Lexing of the template into text and tag segments.

_SEGMENT = re.compile(r"({{-?|{%-?|{#-?)(.*?)(-?}}|-?%}|-?#})", re.DOTALL)


@dataclass
class _Segment:
    kind: str  # "text", "print" or "tag"
    body: str
    line: int


def _segments(source: str) -> list[_Segment]:
    segments: list[_Segment] = []
    position = 0
    trim_next = False
    for match in _SEGMENT.finditer(source):
        opener, body, closer = match.groups()
        text = source[position : match.start()]
        if trim_next:
            text = text.lstrip()
        if opener.endswith("-"):
            text = text.rstrip()
        if text:
            segments.append(_Segment("text", text, source.count("\n", 0, position) + 1))
        line = source.count("\n", 0, match.start()) + 1
        if opener.startswith("{#"):
            trim_next = closer.startswith("-")
        else:
            kind = "print" if opener.startswith("{{") else "tag"
            if (kind == "print") != closer.endswith("}}"):
                raise PebbleError(f"line {line}: {opener} is closed by {closer}")
            segments.append(_Segment(kind, body.strip(), line))
            trim_next = closer.startswith("-")
        position = match.end()
    rest = source[position:]
    if trim_next:
        rest = rest.lstrip()
    if "{{" in rest or "{%" in rest:
        raise PebbleError(f"line {source.count(chr(10), 0, position) + 1}: unclosed tag")
    if rest:
        segments.append(_Segment("text", rest, source.count("\n", 0, position) + 1))
    return segments


# ---------------------------------------------------------------------------------------------
# Expressions.

_TOKEN = re.compile(
    r"\s*(?:(?P<number>\d+(?:\.\d+)?)|(?P<string>\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')"
    r"|(?P<op>==|!=|<=|>=|[<>|.,()\[\]=])|(?P<name>[A-Za-z_][A-Za-z0-9_]*))"
)


def _tokenise(text: str, line: int) -> list[tuple[str, str]]:
    tokens = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise PebbleError(f"line {line}: cannot parse {text[position:]!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


Expr = Callable[["_Context"], Any]


class _Parser:
    def __init__(self, text: str, line: int) -> None:
        self.tokens = _tokenise(text, line)
        self.position = 0
        self.line = line

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            expected = f"{value!r}" if value else "more input"
            raise PebbleError(f"line {self.line}: expected {expected}, found {token[1] if token else 'end'}")
        self.position += 1
        return token

    def accept(self, value: str) -> bool:
        token = self.peek()
        if token is not None and token[1] == value and token[0] in ("op", "name"):
            self.position += 1
            return True
        return False

    def done(self) -> None:
        if self.peek() is not None:
            raise PebbleError(f"line {self.line}: unexpected {self.peek()[1]!r}")  # type: ignore[index]

    def expression(self) -> Expr:
        left = self.conjunction()
        while self.accept("or"):
            right = self.conjunction()
            left = (lambda a, b: lambda c: bool(_truthy(a(c)) or _truthy(b(c))))(left, right)
        return left

    def conjunction(self) -> Expr:
        left = self.negation()
        while self.accept("and"):
            right = self.negation()
            left = (lambda a, b: lambda c: bool(_truthy(a(c)) and _truthy(b(c))))(left, right)
        return left

    def negation(self) -> Expr:
        if self.accept("not"):
            inner = self.negation()
            return lambda c: not _truthy(inner(c))
        return self.comparison()

    def comparison(self) -> Expr:
        left = self.filtered()
        token = self.peek()
        if token is None:
            return left
        if token[1] in ("==", "!=", "<", ">", "<=", ">="):
            self.take()
            right = self.filtered()
            return _compare(token[1], left, right)
        if token[1] == "in" and token[0] == "name":
            self.take()
            right = self.filtered()
            return lambda c: left(c) in (right(c) or ())
        if token[1] == "is" and token[0] == "name":
            self.take()
            negate = self.accept("not")
            test_name = self.take()[1]
            test = _TESTS.get(test_name)
            if test is None:
                raise PebbleError(f"line {self.line}: unsupported test {test_name!r}")
            return lambda c: test(left(c)) != negate
        return left

    def filtered(self) -> Expr:
        value = self.postfix()
        while self.accept("|"):
            name = self.take()[1]
            args, kwargs = self.arguments() if self.peek() == ("op", "(") else ([], {})
            value = _apply_filter(name, value, args, kwargs, self.line)
        return value

    def arguments(self) -> tuple[list[Expr], dict[str, Expr]]:
        self.take("(")
        args: list[Expr] = []
        kwargs: dict[str, Expr] = {}
        while not self.accept(")"):
            token = self.peek()
            following = self.tokens[self.position + 1] if self.position + 1 < len(self.tokens) else None
            if token and token[0] == "name" and following == ("op", "="):
                self.position += 2
                kwargs[token[1]] = self.expression()
            else:
                args.append(self.expression())
            if not self.accept(","):
                self.take(")")
                break
        return args, kwargs

    def postfix(self) -> Expr:
        value = self.primary()
        while True:
            if self.accept("."):
                name = self.take()[1]
                value = (lambda v, n: lambda c: _attribute(v(c), n))(value, name)
            elif self.accept("["):
                key = self.expression()
                self.take("]")
                value = (lambda v, k: lambda c: _attribute(v(c), k(c)))(value, key)
            else:
                return value

    def primary(self) -> Expr:
        kind, text = self.take()
        if kind == "number":
            number = float(text) if "." in text else int(text)
            return lambda c: number
        if kind == "string":
            literal = _unquote(text)
            return lambda c: literal
        if text == "(":
            inner = self.expression()
            self.take(")")
            return inner
        if text == "[":
            items: list[Expr] = []
            while not self.accept("]"):
                items.append(self.expression())
                if not self.accept(","):
                    self.take("]")
                    break
            return lambda c: [item(c) for item in items]
        if kind != "name":
            raise PebbleError(f"line {self.line}: unexpected {text!r}")
        constants = {"true": True, "false": False, "null": None, "none": None}
        if text in constants:
            constant = constants[text]
            return lambda c: constant
        if self.peek() == ("op", "("):
            function = _FUNCTIONS.get(text)
            if function is None:
                raise PebbleError(f"line {self.line}: unsupported function {text!r}")
            args, _ = self.arguments()
            return lambda c: function(*[a(c) for a in args])
        return lambda c: c.lookup(text)


def _unquote(text: str) -> str:
    body = text[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


def _compare(operator: str, left: Expr, right: Expr) -> Expr:
    operations: dict[str, Callable[[Any, Any], bool]] = {
        "==": lambda a, b: a == b,
        "!=": lambda a, b: a != b,
        "<": lambda a, b: a < b,
        ">": lambda a, b: a > b,
        "<=": lambda a, b: a <= b,
        ">=": lambda a, b: a >= b,
    }
    operation = operations[operator]
    return lambda c: operation(left(c), right(c))


def _truthy(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    raise PebbleError(f"a condition must be a boolean, got {type(value).__name__} {value!r}")


@dataclass(frozen=True)
class Entry:
    """One map entry as Pebble's ``for`` yields it: ``key`` and ``value``."""

    key: Any
    value: Any


def _attribute(value: Any, name: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, Mapping):
        return value.get(name)
    if isinstance(value, list) and isinstance(name, int):
        return value[name] if -len(value) <= name < len(value) else None
    if isinstance(value, (Entry, _Loop)) and isinstance(name, str):
        return getattr(value, name, None)
    return None


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, (str, list, dict, tuple)) and len(value) == 0)


_TESTS: dict[str, Callable[[Any], bool]] = {
    "null": lambda v: v is None,
    "empty": _is_empty,
    "map": lambda v: isinstance(v, Mapping),
    "iterable": lambda v: isinstance(v, (list, tuple, Mapping)),
    "defined": lambda v: v is not None,
}


def _json_escape(value: Any) -> str:
    text = _stringify(value)
    return json.dumps(text, ensure_ascii=False)[1:-1]


def _stringify(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def _segments_with_status(membership: Any, statuses: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(membership, Mapping):
        return {}
    return {
        key: value
        for key, value in membership.items()
        if isinstance(value, Mapping) and value.get("status") in statuses
    }


# Adobe documents ``added`` as the entries with status realized. Its templating example also adds
# on status existing, so both count as added here.
ADDED_STATUSES = ("realized", "existing")
REMOVED_STATUSES = ("exited",)

_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "addedSegments": lambda m: _segments_with_status(m, ADDED_STATUSES),
    "removedSegments": lambda m: _segments_with_status(m, REMOVED_STATUSES),
    "hasSegments": lambda m: isinstance(m, Mapping) and len(m) > 0,
}


def _filter_escape(value: Any, strategy: str = "html") -> str:
    if strategy != "json":
        raise PebbleError(f'escape strategy {strategy!r} is not supported here; use strategy="json"')
    return _json_escape(value)


_FILTERS: dict[str, Callable[..., Any]] = {
    "escape": _filter_escape,
    "raw": lambda v: v,
    "length": lambda v: 0 if v is None else len(v),
    "default": lambda v, d: d if _is_empty(v) else v,
    "lower": lambda v: _stringify(v).lower(),
    "upper": lambda v: _stringify(v).upper(),
    "join": lambda v, sep="": sep.join(_stringify(x) for x in (v or [])),
    "added": lambda m: _segments_with_status(m, ADDED_STATUSES),
    "removed": lambda m: _segments_with_status(m, REMOVED_STATUSES),
}


def _apply_filter(name: str, value: Expr, args: list[Expr], kwargs: dict[str, Expr], line: int) -> Expr:
    function = _FILTERS.get(name)
    if function is None:
        raise PebbleError(f"line {line}: unsupported filter {name!r}")

    def run(context: _Context) -> Any:
        try:
            return function(value(context), *[a(context) for a in args], **{k: v(context) for k, v in kwargs.items()})
        except TypeError as error:
            raise PebbleError(f"line {line}: bad arguments to filter {name!r}: {error}") from error

    return run


# ---------------------------------------------------------------------------------------------
# Statements.


@dataclass
class _Loop:
    index: int
    length: int

    @property
    def first(self) -> bool:
        return self.index == 0

    @property
    def last(self) -> bool:
        return self.index == self.length - 1

    @property
    def revindex(self) -> int:
        return self.length - self.index - 1


@dataclass
class _Context:
    scopes: list[dict[str, Any]] = field(default_factory=list)

    def lookup(self, name: str) -> Any:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        return None

    def assign(self, name: str, value: Any) -> None:
        for scope in reversed(self.scopes):
            if name in scope:
                scope[name] = value
                return
        self.scopes[-1][name] = value


Node = Callable[[_Context, list[str]], None]


def _text_node(text: str) -> Node:
    return lambda context, out: out.append(text)


def _print_node(expression: Expr) -> Node:
    return lambda context, out: out.append(_stringify(expression(context)))


def _block(nodes: list[Node]) -> Node:
    def run(context: _Context, out: list[str]) -> None:
        for node in nodes:
            node(context, out)

    return run


def _for_node(variable: str, iterable: Expr, body: Node, otherwise: Node | None) -> Node:
    def run(context: _Context, out: list[str]) -> None:
        items = iterable(context)
        if isinstance(items, Mapping):
            sequence: list[Any] = [Entry(k, v) for k, v in items.items()]
        elif items is None:
            sequence = []
        elif isinstance(items, (list, tuple)):
            sequence = list(items)
        else:
            raise PebbleError(f"for {variable}: cannot iterate over {type(items).__name__}")
        if not sequence:
            if otherwise is not None:
                otherwise(context, out)
            return
        for index, item in enumerate(sequence):
            context.scopes.append({variable: item, "loop": _Loop(index, len(sequence))})
            try:
                body(context, out)
            finally:
                context.scopes.pop()

    return run


def _if_node(branches: list[tuple[Expr | None, Node]]) -> Node:
    def run(context: _Context, out: list[str]) -> None:
        for condition, body in branches:
            if condition is None or _truthy(condition(context)):
                body(context, out)
                return

    return run


def _set_node(name: str, expression: Expr) -> Node:
    def run(context: _Context, out: list[str]) -> None:
        context.assign(name, expression(context))

    return run


_SET = re.compile(r"^set\s+([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.+)$", re.DOTALL)
_FOR = re.compile(r"^for\s+([A-Za-z_][A-Za-z0-9_]*)\s+in\s+(.+)$", re.DOTALL)


class _TreeBuilder:
    def __init__(self, segments: list[_Segment]) -> None:
        self.segments = segments
        self.position = 0

    def block(self, until: tuple[str, ...]) -> tuple[Node, _Segment | None]:
        nodes: list[Node] = []
        while self.position < len(self.segments):
            segment = self.segments[self.position]
            self.position += 1
            if segment.kind == "text":
                nodes.append(_text_node(segment.body))
                continue
            if segment.kind == "print":
                parser = _Parser(segment.body, segment.line)
                expression = parser.expression()
                parser.done()
                nodes.append(_print_node(expression))
                continue
            keyword = segment.body.split(None, 1)[0] if segment.body else ""
            if keyword in until:
                return _block(nodes), segment
            nodes.append(self.statement(segment, keyword))
        if until:
            raise PebbleError(f"end of template reached, expected one of {', '.join(until)}")
        return _block(nodes), None

    def statement(self, segment: _Segment, keyword: str) -> Node:
        if keyword == "set":
            match = _SET.match(segment.body)
            if not match:
                raise PebbleError(f"line {segment.line}: malformed set tag {segment.body!r}")
            return _set_node(match.group(1), self.expression(match.group(2), segment.line))
        if keyword == "for":
            match = _FOR.match(segment.body)
            if not match:
                raise PebbleError(f"line {segment.line}: malformed for tag {segment.body!r}")
            iterable = self.expression(match.group(2), segment.line)
            body, end = self.block(("else", "endfor"))
            otherwise = None
            if end is not None and end.body.split()[0] == "else":
                otherwise, _ = self.block(("endfor",))
            return _for_node(match.group(1), iterable, body, otherwise)
        if keyword == "if":
            branches: list[tuple[Expr | None, Node]] = []
            condition: Expr | None = self.expression(segment.body[2:], segment.line)
            while True:
                body, end = self.block(("elseif", "else", "endif"))
                branches.append((condition, body))
                assert end is not None
                end_keyword = end.body.split(None, 1)[0]
                if end_keyword == "endif":
                    return _if_node(branches)
                if end_keyword == "elseif":
                    condition = self.expression(end.body[6:], end.line)
                else:
                    body, _ = self.block(("endif",))
                    branches.append((None, body))
                    return _if_node(branches)
        raise PebbleError(f"line {segment.line}: unsupported or misplaced tag {keyword!r}")

    @staticmethod
    def expression(text: str, line: int) -> Expr:
        parser = _Parser(text, line)
        expression = parser.expression()
        parser.done()
        return expression


@dataclass(frozen=True)
class Template:
    """A parsed template; ``render`` may be called many times."""

    root: Node

    def render(self, variables: Mapping[str, Any]) -> str:
        context = _Context([dict(variables)])
        out: list[str] = []
        self.root(context, out)
        return "".join(out)


def compile_template(source: str) -> Template:
    """Parse ``source``; raise PebbleError on syntax outside the supported subset."""
    root, _ = _TreeBuilder(_segments(source)).block(())
    return Template(root)


def render(source: str, variables: Mapping[str, Any]) -> str:
    """Parse and render ``source`` once."""
    return compile_template(source).render(variables)
