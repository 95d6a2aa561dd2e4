"""Reading a YAML data file (knowledge/, presets): one loader for every module that reads one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

# libyaml's parser when PyYAML was built with it: the same documents, parsed about ten times faster, which
# is a quarter of a second of every cold `advisor ask` (knowledge/ holds ~16 files, the glossary large).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(path: Path) -> Any:
    """The YAML document in `path` (safe types only); OSError and yaml.YAMLError as raised."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
