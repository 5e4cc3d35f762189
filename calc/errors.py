"""The exception tree of tanping.

Every problem a user can fix is an :class:`InputError`: it knows where (file, line, field path),
what is wrong and how to fix it, in Chinese. The command line catches :class:`TanpingError` once and
prints :meth:`TanpingError.render`; nothing below it prints or exits. The classes also inherit
``ValueError`` (as pint's do) so that generic callers can catch them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Location:
    """Where an input problem is: a file, a 1-based line (if known) and a field path."""

    file: str
    line: int | None = None
    path: str = ""

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where} {self.path}".rstrip()


class TanpingError(Exception):
    """Base of every error tanping reports to a user."""

    def __init__(self, problem: str, hint: str = "", location: Location | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.hint = hint
        self.location = location

    def render(self) -> str:
        """The message shown to the user: where, what, and how to fix it."""
        head = f"{self.location}：" if self.location else ""
        text = f"{head}{self.problem}"
        if self.hint:
            text += f"\n    修改建议：{self.hint}"
        return text

    def __str__(self) -> str:
        return self.render()


class InputError(TanpingError, ValueError):
    """A report input that cannot be used as it is."""


class YamlSyntaxError(InputError):
    """A YAML file that does not parse."""


class FactorError(InputError):
    """A factor that is missing, unverified or of the wrong kind; never replaced by zero."""


class GwpError(FactorError):
    """A gas that has no value in the report's GWP set."""


class ReportErrors(TanpingError):
    """Several input errors of one report, reported together."""

    def __init__(self, errors: list[InputError]) -> None:
        super().__init__(f"报告输入有 {len(errors)} 处错误")
        self.errors = errors

    def render(self) -> str:
        lines = [f"报告输入有 {len(self.errors)} 处错误："]
        lines += [f"[{n}] {error.render()}" for n, error in enumerate(self.errors, 1)]
        return "\n".join(lines)
