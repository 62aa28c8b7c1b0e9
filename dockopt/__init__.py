"""dockopt: see and measure Docker image optimisation.

The public API, re-exported names only; each lives in the module that owns it.
"""

from .errors import DockoptError
from .image import layers

__all__ = ["DockoptError", "layers"]
