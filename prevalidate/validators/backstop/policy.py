"""The backstop's settings, as the pure core reads them. Pure, no I/O here.

``capacity_wait`` and ``image_pull_attempts`` are ``c.Prevalidator`` traits; the graces are fixed
from the facts documents: a volume provisioned dynamically takes seconds to a minute to bind, a
zone conflict never clears, a Secret KubeSpawner creates beside the pod exists before it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FatalRule:
    """An admin's own rule (kubespawner#795): an event with this reason whose message matches
    ``message`` (a regular expression, searched) ends the spawn with ``say``."""

    reason: str
    message: re.Pattern[str]
    say: str
    user_caused: bool = False

    @classmethod
    def parse(cls, rule: Mapping[str, Any]) -> FatalRule:
        unknown = set(rule) - {"reason", "message", "say", "user_caused"}
        if unknown or not isinstance(rule.get("reason"), str) or not isinstance(rule.get("say"), str):
            raise ValueError(
                "a fatal_events rule is {reason: str, message: regex (optional), say: str, "
                f"user_caused: bool (optional)}}; got keys {sorted(rule)}"
            )
        try:
            pattern = re.compile(str(rule.get("message", "")))
        except re.error as exc:
            raise ValueError(f"fatal_events rule for {rule['reason']}: bad message regex: {exc}") from None
        return cls(rule["reason"], pattern, rule["say"], bool(rule.get("user_caused", False)))


@dataclass(frozen=True)
class Policy:
    capacity_wait: float = 120.0  # seconds an Insufficient-resources pod may wait for room
    image_pull_attempts: int = 3  # transient pull failures before the spawn fails
    volume_zone_grace: float = 10.0
    claim_grace: float = 60.0
    mount_grace: float = 30.0
    config_grace: float = 5.0
    fatal_events: tuple[FatalRule, ...] = field(default_factory=tuple)

    @classmethod
    def of(
        cls,
        *,
        capacity_wait: float = 120.0,
        image_pull_attempts: int = 3,
        fatal_events: Iterable[Mapping[str, Any]] = (),
    ) -> Policy:
        return cls(
            capacity_wait=capacity_wait,
            image_pull_attempts=max(1, image_pull_attempts),
            fatal_events=tuple(FatalRule.parse(r) for r in fatal_events),
        )
