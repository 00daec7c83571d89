"""The runtime backstop's decisions: given what a spawn's pod has shown so far, wait, fail or
done. Pure, no I/O here: the hub's edge (``prevalidate.hub.backstop``) feeds a ``Judge`` with pod
snapshots and events and acts on its ``Decision``; the replay corpus feeds it recorded ones."""

from .events import Ev, normalise
from .judge import Decision, Judge
from .policy import FatalRule, Policy
from .pulls import PullClass, classify_pull

__all__ = ["Decision", "Ev", "FatalRule", "Judge", "Policy", "PullClass", "classify_pull", "normalise"]
