"""What check_optimizer returns: one result per property, printable as a table."""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PropertyResult", "CheckReport", "OptimizerCheckError"]

PASS, FAIL, SKIP = "pass", "FAIL", "skip"


@dataclass(frozen=True)
class PropertyResult:
    """One property's outcome.

    `explanation`: for a failure, the likely bug in one line; for a skip, why
    the property does not apply. `detail`: what was observed (which step,
    which param, by how much), or a note on how a passing property was run.
    `code`: the failure mode ("lr_used.ignored"), stable for tests to match.
    """

    name: str
    status: str
    explanation: str = ""
    detail: str = ""
    code: str = ""

    @property
    def passed(self) -> bool:
        return self.status == PASS

    @property
    def failed(self) -> bool:
        return self.status == FAIL

    @property
    def skipped(self) -> bool:
        return self.status == SKIP


class OptimizerCheckError(AssertionError):
    """Raised by CheckReport.raise_if_failed; `.report` is the whole report."""

    def __init__(self, report: "CheckReport"):
        super().__init__(str(report))
        self.report = report


class CheckReport:
    """The results of check_optimizer, in the order the properties ran.

    Iterating gives PropertyResults; `report["lr_used"]` looks one up by name;
    `ok` is True when nothing failed (skips are not failures).
    """

    def __init__(self, subject: str, results: list, notes: tuple = ()):
        self.subject = subject
        self.results = list(results)
        self.notes = tuple(notes)

    def __iter__(self):
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def __getitem__(self, name: str) -> PropertyResult:
        for r in self.results:
            if r.name == name:
                return r
        raise KeyError(name)

    def __contains__(self, name) -> bool:
        return any(r.name == name for r in self.results)

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def failed(self) -> list:
        return [r for r in self.results if r.failed]

    @property
    def passed(self) -> list:
        return [r for r in self.results if r.passed]

    @property
    def skipped(self) -> list:
        return [r for r in self.results if r.skipped]

    def raise_if_failed(self) -> "CheckReport":
        if not self.ok:
            raise OptimizerCheckError(self)
        return self

    def __str__(self) -> str:
        width = max([len("property")] + [len(r.name) for r in self.results])
        head = (f"check_optimizer({self.subject}): {len(self.passed)} passed, {len(self.failed)} failed, "
                f"{len(self.skipped)} skipped")
        lines = [head] + [f"  {note}" for note in self.notes]
        lines.append(f"  {'property':<{width}}  result  explanation")
        for r in self.results:
            lines.append(f"  {r.name:<{width}}  {r.status:<6}  {r.explanation}".rstrip())
            if r.detail and not r.passed:
                lines.append(f"  {'':<{width}}  {'':<6}  observed: {r.detail}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"<CheckReport {self.subject}: {len(self.passed)} passed, {len(self.failed)} failed"
                f"{' (' + ', '.join(r.name for r in self.failed) + ')' if self.failed else ''}, "
                f"{len(self.skipped)} skipped>")
