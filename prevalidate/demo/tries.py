"""The things to try in the demo: what to type into the spawn form and what should happen.

Each entry is also the exact form a browser posts, so the tests check every suggestion against
the demo cluster (a suggestion that no longer fails the way it says is a broken demo). Pure data.
"""

from __future__ import annotations

from dataclasses import dataclass

from .profiles import PROFILE, image

# The free-text field of option ``name`` in the Custom profile (what the "Other…" choice posts).
_FIELD = "profile-option-" + PROFILE + "--{name}"
_DEFAULTS = {"image": "minimal-notebook-2024.1", "cpu": "1", "memory": "2Gi", "storage": "none"}


_LABELS = {"image": "Image", "cpu": "CPUs", "memory": "Memory", "storage": "Storage"}


@dataclass(frozen=True)
class Try:
    """One suggestion: log in as ``user``, type ``typed`` into each option's "Other…" field."""

    typed: dict[str, str]  # option name -> free text
    outcome: str  # what the user should see, in words
    expect: tuple[str, ...]  # the finding codes that reject it; () = the server starts
    user: str = "alice"

    @property
    def form(self) -> dict[str, str]:
        """The fields a browser posts (the other options keep their default choice)."""
        fields = {"profile": PROFILE}
        for name, default in _DEFAULTS.items():
            if name in self.typed:
                fields[_FIELD.format(name=name) + "--unlisted-choice"] = self.typed[name]
            else:
                fields[_FIELD.format(name=name)] = default
        return fields

    @property
    def what(self) -> str:
        return ", ".join(f"{_LABELS[name]}: {value}" for name, value in self.typed.items())


def things_to_try(registry_host: str) -> list[Try]:
    """The demo's suggestions, for the registry the demo pushed its images to."""
    return [
        Try(
            {"cpu": "120"},
            "rejected: no node has 120 CPUs (the largest has 62.5)",
            ("quota-exceeded", "no-node-fits"),
        ),
        Try(
            {"image": image(registry_host, "jupyter/scipy-notebook", "lastest")},
            "rejected: no such tag; the closest one is suggested",
            ("image-not-found",),
        ),
        Try(
            {"storage": "claim-alcie"}, "rejected: no such PVC; claim-alice is suggested", ("pvc-not-found",)
        ),
        Try({"cpu": "30"}, "rejected: the namespace quota has 14 of 40 CPUs left", ("quota-exceeded",)),
        Try(
            {"cpu": "2", "storage": "claim-alice"}, "your server starts (a real notebook server process)", ()
        ),
    ]


def banner(url: str, registry_host: str, hub_log: str = "") -> str:
    """What the demo prints once everything is up."""
    tries = things_to_try(registry_host)
    lines = [
        f"prevalidate demo: JupyterHub is on {url}",
        "Log in with any user name and any password (alice owns the PVC claim-alice).",
        f"Images come from a real local registry at {registry_host}; the cluster is kubesim.",
        "",
        "Things to try: in the Custom profile choose “Other…” in a list, type the value, press Start.",
    ]
    lines += [f"  {index}. {attempt.what}  → {attempt.outcome}" for index, attempt in enumerate(tries, 1)]
    lines += ["", f"Which profiles can start: log in as admin and open {url}/hub/prevalidate"]
    lines += [""] + ([f"The hub's log: {hub_log}"] if hub_log else []) + ["Press Ctrl-C to stop everything."]
    return "\n".join(lines)
