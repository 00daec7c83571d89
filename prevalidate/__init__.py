"""prevalidate: reject a JupyterHub spawn that Kubernetes would refuse or leave Pending for good —
inline in the spawn form, in milliseconds, before any pod exists.

This module is the public facade; everything else is private layering (DESIGN.md §2):
``model`` and ``validators`` are a pure core, ``registry`` and ``kube`` the I/O edges.
"""

from __future__ import annotations

from .messages import render, render_verdict
from .model.cluster import ClusterView
from .model.demand import SpawnDemand, build_demand
from .model.findings import Code, Finding, Severity, Verdict
from .model.image_facts import ImageFacts, ImageStatus
from .model.quantity import parse_quantity
from .model.settings import Settings
from .registry.reference import ImageReference, parse_image_reference
from .validators import run_all

__all__ = [
    "ClusterView",
    "Code",
    "Finding",
    "ImageFacts",
    "ImageReference",
    "ImageStatus",
    "Settings",
    "Severity",
    "SpawnDemand",
    "Verdict",
    "build_demand",
    "parse_image_reference",
    "parse_quantity",
    "render",
    "render_verdict",
    "run_all",
]
