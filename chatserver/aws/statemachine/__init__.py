"""The ``message-distribution`` state machine: its ASL file and its definition substitutions."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from importlib import resources

ASL_FILE = "message-distribution.asl.json"
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9]+)\}")


def asl_text() -> str:
    """The ASL file, as the SAM template deploys it (placeholders included)."""
    return resources.files(__package__).joinpath(ASL_FILE).read_text(encoding="utf-8")


def placeholders() -> set[str]:
    """The definition substitutions the ASL file needs."""
    return set(_PLACEHOLDER.findall(asl_text()))


def definition(substitutions: Mapping[str, str]) -> str:
    """The ASL with every ``${Name}`` replaced, as CloudFormation's DefinitionSubstitutions do."""
    missing = placeholders() - set(substitutions)
    if missing:
        raise KeyError(f"missing definition substitutions: {', '.join(sorted(missing))}")
    text = _PLACEHOLDER.sub(lambda match: substitutions[match.group(1)], asl_text())
    json.loads(text)  # a substitution must not break the JSON
    return text
