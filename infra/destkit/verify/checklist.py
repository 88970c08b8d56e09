"""The result of ``destkit verify``: one pass or fail line per check, with a precise reason."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class CheckResult:
    """One check: ``area`` is streaming or a batch location, ``tenant`` is empty for stack-wide checks."""

    area: str
    tenant: str
    name: str
    passed: bool
    detail: str = ""


@dataclass
class Checklist:
    results: list[CheckResult] = field(default_factory=list)

    def add(self, area: str, tenant: str, name: str, passed: bool, detail: str = "") -> bool:
        self.results.append(CheckResult(area, tenant, name, passed, detail))
        return passed

    def passed(self, area: str, tenant: str, name: str, detail: str = "") -> bool:
        return self.add(area, tenant, name, True, detail)

    def failed(self, area: str, tenant: str, name: str, detail: str) -> bool:
        return self.add(area, tenant, name, False, detail)

    @property
    def ok(self) -> bool:
        return bool(self.results) and all(result.passed for result in self.results)

    def failures(self) -> list[CheckResult]:
        return [result for result in self.results if not result.passed]

    def to_text(self) -> str:
        lines = []
        for result in self.results:
            mark = "PASS" if result.passed else "FAIL"
            scope = f"{result.area} [{result.tenant}]" if result.tenant else result.area
            line = f"{mark} {scope}: {result.name}"
            if result.detail:
                line += f" ({result.detail})" if result.passed else f": {result.detail}"
            lines.append(line)
        failed = len(self.failures())
        lines.append(f"{len(self.results) - failed} passed, {failed} failed")
        return "\n".join(lines)

    def to_json(self) -> str:
        return json.dumps({"ok": self.ok, "checks": [asdict(result) for result in self.results]}, indent=2)
