"""Partial reports: a step that cannot be measured becomes a note that says what and why, in place of
its result, and the steps that need it say so too; never a traceback in a report.

A report notebook measures through one ``Attempts`` object::

    measure = report.Attempts()
    build = measure("the build", experiments.build_project, project)
    measure("the layer chart", plots.layer_sizes, build.steps)   # a note if the build failed

A failed step returns a ``Missing``: falsy, shown as a note in the notebook, and standing in for the
result downstream (its attributes, items and calls are ``Missing`` too), so the next cells run and
say "not shown: ... needs the build, which could not be measured: ...".
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..errors import DockoptError


@dataclass(frozen=True)
class Missing:
    """What could not be measured (``what``), why (``reason``) and what to do (``hint``); ``root`` is the
    step that failed first when this one only depended on it."""

    what: str
    reason: str
    hint: str | None = None
    root: str | None = None
    # the failures a notebook has explained already (shared by one Attempts): later notes point back
    explained: set[str] = field(default_factory=set, compare=False, repr=False)

    def __bool__(self) -> bool:
        return False

    def __getattr__(self, name: str) -> Missing:
        if name.startswith("_"):  # IPython's display probes and copy/pickle protocols see a plain object
            raise AttributeError(name)
        return self

    def __getitem__(self, key: object) -> Missing:
        return self

    def __call__(self, *args: object, **kwargs: object) -> Missing:
        return self

    def __iter__(self) -> Iterator[Any]:
        return iter(())

    def __len__(self) -> int:
        return 0

    @property
    def sentence(self) -> str:
        if self.root and self.root != self.what:
            return f"Not shown: {self.what}. It needs {self.root}, which could not be measured: {self.reason}"
        return f"Not measured: {self.what}. {self.reason}"

    def __str__(self) -> str:
        return self.sentence + (f" (hint: {self.hint})" if self.hint else "")

    def _repr_markdown_(self) -> str:
        failed = self.root or self.what
        if failed in self.explained:  # said once already: point back instead of repeating it
            if self.root and self.root != self.what:
                return f"> **Not shown: {html.escape(self.what)}.** It needs {html.escape(self.root)}, which could " \
                       "not be measured (see above)."
            return f"> *{html.escape(self.what)}: not measured (see above).*"
        self.explained.add(failed)
        hint = f"<br>*What to do:* {html.escape(self.hint)}" if self.hint else ""
        head, _, rest = self.sentence.partition(". ")
        return f"> **{html.escape(head)}.** {html.escape(rest)}{hint}"


@dataclass
class Attempts:
    """Runs the steps of a report, keeping each failure as a ``Missing`` (see the module docstring)."""

    missing: list[Missing] = field(default_factory=list)
    explained: set[str] = field(default_factory=set)

    def __call__(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``fn(*args, **kwargs)``, or a ``Missing`` saying why ``what`` could not be measured."""
        for value in (*args, *kwargs.values()):
            if isinstance(value, Missing):
                return self._keep(Missing(what, value.reason, value.hint, root=value.root or value.what,
                                          explained=self.explained))
        try:
            return fn(*args, **kwargs)
        except DockoptError as exc:
            return self._keep(Missing(what, exc.message.strip(), exc.hint, explained=self.explained))
        except Exception as exc:  # a report must still say what it could not do, and go on
            return self._keep(Missing(what, f"unexpected {type(exc).__name__}: {exc}",
                                      "this is a dockopt bug: please report it with the Dockerfile",
                                      explained=self.explained))

    def _keep(self, missing: Missing) -> Missing:
        self.missing.append(missing)
        return missing

    @property
    def complete(self) -> bool:
        return not self.missing

    def summary(self) -> str:
        """Markdown: what this report could not measure and why (first failures only), else that it is complete."""
        roots = [m for m in self.missing if not m.root]
        if not roots:
            return "Everything this report measures was measured."
        items = "\n".join(f"- **{m.what}**: {m.reason.splitlines()[0]}" for m in roots)
        return f"**A partial report.** Not measured here:\n\n{items}"

