"""Make open_clip importable with the CPU PyPI builds of torch 2.13.0 and torchvision 0.28.0.

With that pair, `import torchvision` fails in `torchvision._meta_registrations`, which registers
fake-tensor kernels for torchvision's C++ operators: "operator torchvision::nms does not exist"
(the wheel's compiled ops do not load against this torch). open_clip uses only torchvision's
pure-Python image transforms, never those operators, so an empty stand-in module for
`torchvision._meta_registrations`, put in place before the first torchvision import, lets
torchvision load. Remove this module when a torchvision release matching the torch pin loads.
"""

from __future__ import annotations

import sys
import types
from typing import Any

_META_MODULE = "torchvision._meta_registrations"


def apply_torchvision_shim() -> None:
    """Register the empty stand-in, unless torchvision is already imported."""
    if "torchvision" not in sys.modules and _META_MODULE not in sys.modules:
        sys.modules[_META_MODULE] = types.ModuleType(_META_MODULE)


def import_open_clip() -> Any:
    """Import open_clip (about 5 s: torch is loaded) with the torchvision shim applied."""
    apply_torchvision_shim()
    import open_clip

    return open_clip
