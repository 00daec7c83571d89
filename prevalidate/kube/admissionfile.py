"""Read the admission plugins' configuration for ``prevalidate check --admission-config``.

The I/O edge for the CLI. Takes the apiserver's own AdmissionConfiguration file
(``--admission-control-config-file``: ``plugins: [{name, configuration | path}]``) or a plain
mapping of plugin name to configuration (the ``c.Prevalidator.admission_config`` form); only
PodNodeSelector's and PodTolerationRestriction's configurations are kept (an
AdmissionConfiguration configures other plugins too; a plain mapping naming another is a typo).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from ..model.admission import POD_NODE_SELECTOR, POD_TOLERATION_RESTRICTION, AdmissionConfig
from .dump import InputFileError

READ = (POD_NODE_SELECTOR, POD_TOLERATION_RESTRICTION)


def _yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, yaml.YAMLError):
        raise InputFileError(f"{path} is not a valid YAML file") from None


def load_admission_config(path: str | Path) -> dict[str, Any]:
    """{plugin name: configuration} for the plugins prevalidate reads; InputFileError if unusable."""
    path = Path(path)
    doc = _yaml(path)
    if not isinstance(doc, Mapping):
        raise InputFileError(f"{path} must hold an AdmissionConfiguration or a mapping of plugin names")
    if doc.get("kind") != "AdmissionConfiguration":
        config = {str(k): v for k, v in doc.items()}  # a typo in a name is an error, below
    else:
        config = {}
        for plugin in doc.get("plugins") or ():
            if not isinstance(plugin, Mapping) or plugin.get("name") not in READ:
                continue
            body = plugin.get("configuration")
            if body is None and plugin.get("path"):
                body = _yaml(path.parent / str(plugin["path"]))
            config[str(plugin["name"])] = body
    try:
        AdmissionConfig.parse(configuration=config)
    except ValueError as exc:
        raise InputFileError(f"{path}: {exc}") from None
    return config
