"""A real Kubernetes control plane (etcd, kube-apiserver, kube-scheduler,
kube-controller-manager built by scripts/bootstrap-k8s) for tests and `prevalidate plane`.

Like kubesim, it never imports prevalidate's model or validators: it is the judge our checks
are compared with, so it must not share their reading of Kubernetes.
"""

from .api import Api, ApiError
from .binaries import BinariesMissing, binaries_dir
from .loader import Loaded, Loader, LoadError, read_objects
from .plane import ControlPlane, PlaneError
from .session import RealCluster, clean_plane
from .verdicts import Admission, Scheduling, admit, await_scheduling, failed_scheduling_events, schedule

__all__ = [
    "Admission",
    "Api",
    "ApiError",
    "BinariesMissing",
    "ControlPlane",
    "LoadError",
    "Loaded",
    "Loader",
    "PlaneError",
    "RealCluster",
    "Scheduling",
    "admit",
    "await_scheduling",
    "binaries_dir",
    "clean_plane",
    "failed_scheduling_events",
    "read_objects",
    "schedule",
]
