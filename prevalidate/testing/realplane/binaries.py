"""Where the control plane's binaries are: the folder `scripts/bootstrap-k8s` builds.

`PREVALIDATE_K8S_BIN` names the folder outright (scripts/test exports the script's last line);
otherwise it is `${PREVALIDATE_K8S_CACHE:-~/.cache/prevalidate/k8s}/<release>`, the release
being the one pinned in the checkout's tools/k8s/go.mod.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

BINARIES = ("etcd", "kube-apiserver", "kube-scheduler", "kube-controller-manager")
_GO_MOD = Path(__file__).resolve().parents[3] / "tools" / "k8s" / "go.mod"


class BinariesMissing(Exception):
    """The binaries are not built; the message says how to build them."""


def pinned_release(go_mod: Path = _GO_MOD) -> str | None:
    """The k8s.io/kubernetes version tools/k8s/go.mod requires (None outside a checkout)."""
    try:
        text = go_mod.read_text()
    except OSError:
        return None
    match = re.search(r"^\s*k8s\.io/kubernetes\s+(v\S+)", text, re.MULTILINE)
    return match.group(1) if match else None


def binaries_dir() -> Path:
    """The folder holding all four binaries, or BinariesMissing with the command to run."""
    explicit = os.environ.get("PREVALIDATE_K8S_BIN")
    if explicit:
        folder = Path(explicit)
    else:
        cache = Path(os.environ.get("PREVALIDATE_K8S_CACHE") or Path.home() / ".cache/prevalidate/k8s")
        release = pinned_release()
        if release is None:
            raise BinariesMissing(
                "no tools/k8s/go.mod next to this package; set PREVALIDATE_K8S_BIN to the folder "
                "scripts/bootstrap-k8s printed"
            )
        folder = cache / release
    missing = [b for b in BINARIES if not os.access(folder / b, os.X_OK)]
    if missing:
        raise BinariesMissing(
            f"{', '.join(missing)} not found in {folder}; run scripts/bootstrap-k8s to build them"
        )
    return folder
