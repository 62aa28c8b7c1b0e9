"""One error hierarchy: every failure a user can cause or meet is a ``DockoptError``.

Each error names what was wrong and what to do about it (``hint``), so the CLI and
notebooks can print it without a traceback.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


class DockoptError(Exception):
    """Base of every error dockopt raises on purpose."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(message if not hint else f"{message}\n  hint: {hint}")


# --- engine -----------------------------------------------------------------------------


class EngineUnavailable(DockoptError):
    """No Docker Engine answers at DOCKER_HOST / the default socket."""


class EngineError(DockoptError):
    """The engine answered, but refused or failed the request."""


class ImageNotFound(DockoptError):
    """An image reference or id is not in the engine's image store."""


class RegistryUnreachable(DockoptError):
    """A pull or push needed a registry that cannot be reached from here.

    ``host_unreachable``: the registry did not answer at all (no route, DNS, TLS, timeout), as
    opposed to answering with a refusal such as "manifest unknown".
    """

    def __init__(self, message: str, *, host_unreachable: bool = False, hint: str | None = None) -> None:
        self.host_unreachable = host_unreachable
        super().__init__(message, hint=hint)


class RegistryError(DockoptError):
    """A registry answered, but refused or failed a request (other than an unknown manifest)."""


class RegistryAuthError(RegistryError):
    """A registry wants credentials that dockopt does not have, or refused the ones it sent."""


class BadReference(DockoptError):
    """An image reference cannot be parsed (``[HOST[:PORT]/]REPO[:TAG][@DIGEST]``)."""


class ManifestNotFound(ImageNotFound):
    """A registry has no manifest for that tag or digest (or none for the asked platform)."""


# --- builds -----------------------------------------------------------------------------


class ContextNotFound(DockoptError):
    """The build context directory does not exist or is not a directory."""


class DockerfileNotFound(DockoptError):
    """The Dockerfile named for a build does not exist."""


class DockerfileError(DockoptError):
    """The Dockerfile cannot be parsed (syntax error, unknown instruction, bad target)."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 hint: str | None = None) -> None:
        self.path = path
        self.line = line
        where = f"{path}:{line}: " if path and line else (f"{path}: " if path else "")
        super().__init__(f"{where}{message}", hint=hint)


class BuildFailed(DockoptError):
    """A build step failed; carries the step, its instruction and the last log lines."""

    def __init__(self, message: str, *, step: str | None = None, instruction: str | None = None,
                 log_tail: tuple[str, ...] = (), hint: str | None = None) -> None:
        self.step = step
        self.instruction = instruction
        self.log_tail = tuple(log_tail)
        text = message
        if step or instruction:
            shown = step if step and (not instruction or instruction in step) else f"{step or '?'}: {instruction}"
            text += f"\n  failing step: {shown}"
        if self.log_tail:
            text += "\n  last log lines:\n    " + "\n    ".join(self.log_tail)
        super().__init__(text, hint=hint)


class SecretSourceMissing(DockoptError):
    """A build secret (``secrets={"id": "path"}``) names a file that does not exist."""


class NeedsRegistry(DockoptError):
    """The work needs an image or package source that no registry here can provide."""

    def __init__(self, message: str, *, reference: str | None = None, hint: str | None = None) -> None:
        self.reference = reference
        super().__init__(message, hint=hint)


# --- images and archives ----------------------------------------------------------------


class ArchiveError(DockoptError):
    """A tar / image archive is truncated, malformed or not an image."""


class AnalysisError(DockoptError):
    """An image could be read but not analysed as asked."""


# --- bases, samples, external tools, reports ---------------------------------------------


class BaseUnavailable(DockoptError):
    """A base image can be neither found locally, pulled, nor built as a stand-in.

    ``frame``: when raised by ``bases.ensure``, its whole table (one row per reference).
    """

    def __init__(self, message: str, *, frame: pd.DataFrame | None = None, hint: str | None = None) -> None:
        self.frame = frame
        super().__init__(message, hint=hint)


class ProjectError(DockoptError):
    """A project (build context + Dockerfile) or its ``dockopt.toml`` is invalid, or an experiment
    needs something the project does not have (a port, a dependency manifest, a second Dockerfile)."""


class SampleError(ProjectError):
    """A sample manifest is missing or invalid, or names something that does not exist."""


class ToolMissing(DockoptError):
    """An external program dockopt needs is not installed."""


class ProcessFailed(DockoptError):
    """An external program ran and failed."""

    def __init__(self, message: str, *, returncode: int | None = None, stderr_tail: str = "",
                 hint: str | None = None) -> None:
        self.returncode = returncode
        self.stderr_tail = stderr_tail
        text = message + (f"\n  stderr:\n    {stderr_tail.strip()}" if stderr_tail.strip() else "")
        super().__init__(text, hint=hint)


class ReportError(DockoptError):
    """A notebook could not be executed or rendered into a report."""


class ConfigError(DockoptError):
    """A setting dockopt reads from the environment (``DOCKOPT_*``) is malformed."""


class NoData(DockoptError):
    """A table holds nothing to draw or conclude from (every row of it skipped, say)."""


class CheckFailed(DockoptError):
    """A CI rule (efficiency, wasted bytes, size, secrets, user) did not pass."""


class SmokeFailed(DockoptError):
    """A sample's container did not start, become healthy or answer its health path in time."""

    def __init__(self, message: str, *, logs: str = "", hint: str | None = None) -> None:
        self.logs = logs
        text = message + ("\n  container log (tail):\n    " + "\n    ".join(logs.strip().splitlines()[-20:])
                          if logs.strip() else "")
        super().__init__(text, hint=hint)


class ExerciseError(DockoptError):
    """An exercise is unknown, its spec is invalid, or a learner's folder cannot be graded (no Dockerfile)."""


class WidgetError(DockoptError):
    """Bad input to an explorer or an experiment panel (an unknown experiment, a layer it does not have)."""


class PruneRefused(DockoptError):
    """Pruning the engine's build cache was not asked for explicitly, or is refused (classroom mode)."""


class ExtraMissing(DockoptError):
    """A part of dockopt needs an optional extra (``dockopt[lab]``, ``dockopt[report]``) that is not installed."""
