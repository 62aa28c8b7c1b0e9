"""dockopt: see and measure Docker image optimisation.

The public API, re-exported names only; each lives in the module that owns it.
"""

from . import plots
from .build import BuildResult, build
from .errors import DockoptError
from .image import layers

__all__ = ["BuildResult", "DockoptError", "build", "layers", "plots"]
