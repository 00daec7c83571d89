"""The settings flags every long-running or one-shot front end of the CLI shares.

``prevalidate check`` and ``prevalidate webhook serve`` read the same settings (registries,
node pools, capacity policy, admission plugins, the admin contact line). Their flags are
defined here once, so the two commands cannot drift apart: a flag added for one is a flag of
both, with the same name, default and meaning.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from pathlib import Path

from .kube.admissionfile import load_admission_config
from .kube.dump import InputFileError, load_node_pools, read_documents
from .model.admission import PLUGINS, AdmissionConfig
from .model.autoscaling import AUTOSCALER_CHOICES
from .model.settings import DEFAULT_ADMIN_CONTACT, Settings


def add_settings_flags(p: argparse.ArgumentParser) -> None:
    """``--node-pools``, ``--allow-registry``, ``--insecure-registry``, ``--capacity-policy``,
    ``--autoscaler``, ``--time-budget``, ``--admin-contact``, ``--admission-plugin``,
    ``--admission-config``."""
    p.add_argument(
        "--node-pools", metavar="POOLS.yaml", help="a List of Node templates an autoscaler can add"
    )
    p.add_argument(
        "--allow-registry",
        action="append",
        default=[],
        metavar="HOST[:PORT]",
        help="only these registries are contacted (repeatable)",
    )
    p.add_argument(
        "--insecure-registry",
        action="append",
        default=[],
        metavar="HOST[:PORT]",
        help="registries spoken to over plain HTTP (repeatable)",
    )
    p.add_argument(
        "--capacity-policy",
        choices=("reject", "warn"),
        default="reject",
        help="whether no room on any node right now rejects (default) or warns",
    )
    p.add_argument(
        "--autoscaler",
        choices=AUTOSCALER_CHOICES,
        default="auto",
        help="whether the cluster can add nodes not seen (a pool scaled to zero): auto (default: "
        "yes when a node carries a managed node group's or Karpenter's label) makes no-node-fits "
        "and no room warnings; absent keeps them errors",
    )
    p.add_argument(
        "--time-budget", type=float, default=2.0, metavar="SECONDS", help="registry time budget (default 2)"
    )
    p.add_argument("--admin-contact", default=DEFAULT_ADMIN_CONTACT, help="the last line of every message")
    p.add_argument(
        "--admission-plugin",
        action="append",
        default=[],
        metavar="NAME=on|off|auto",
        help=f"whether the apiserver runs this admission plugin ({', '.join(PLUGINS)}); unnamed "
        "ones are auto (RuntimeClass: on): their added tolerations are assumed, nothing else (repeatable)",
    )
    p.add_argument(
        "--admission-config",
        metavar="CONFIG.yaml",
        help="the apiserver's AdmissionConfiguration file (PodNodeSelector and "
        "PodTolerationRestriction configuration)",
    )


def settings_from_flags(args: argparse.Namespace, *, offline: bool = False) -> Settings:
    """The ``Settings`` the flags of ``add_settings_flags`` say; ``InputFileError`` (one line)
    for a file that cannot be read or a malformed ``--admission-plugin``."""
    pools = load_node_pools(args.node_pools) if args.node_pools else ()
    return Settings(
        allowed_registries=tuple(args.allow_registry),
        insecure_registries=tuple(args.insecure_registry),
        admin_contact=args.admin_contact,
        capacity_policy=args.capacity_policy,
        node_pools=pools,
        autoscaler=args.autoscaler,
        offline=offline,
        admission=admission_from_flags(args.admission_plugin, args.admission_config),
    )


def admission_from_flags(stated: Sequence[str], config_file: str | None) -> AdmissionConfig:
    plugins: dict[str, str] = {}
    for item in stated:
        name, sep, state = item.partition("=")
        if not sep:
            raise InputFileError(f"--admission-plugin {item}: expected NAME=on, NAME=off or NAME=auto")
        plugins[name.strip()] = state.strip()
    configuration = load_admission_config(config_file) if config_file else {}
    try:
        return AdmissionConfig.parse(plugins, configuration)
    except ValueError as exc:
        raise InputFileError(f"--admission-plugin: {exc}") from None


def apply_config_file(parser: argparse.ArgumentParser, args: argparse.Namespace, path: str) -> None:
    """Fill ``args`` from a YAML mapping of the command's long options without their dashes
    (``allow-registry: [quay.io]``, ``capacity-policy: warn``, ``warn-only: true``): what a
    ConfigMap holds. A flag given on the command line wins; list flags add up (file first).
    ``InputFileError`` (one line) for a file that is not such a mapping, an unknown name or a
    value of the wrong type."""
    documents = read_documents(Path(path))
    config = documents[0] if len(documents) == 1 else None
    if not isinstance(config, Mapping):
        raise InputFileError(f"{path} must hold one mapping of option names to values")
    options = {
        a.option_strings[-1][2:]: a
        for a in parser._actions  # argparse has no public listing of its actions
        if a.option_strings and a.option_strings[-1].startswith("--") and a.dest not in ("help", "config")
    }
    for name, value in config.items():
        action = options.get(str(name))
        if action is None:
            raise InputFileError(
                f"{path}: unknown option {str(name)[:80]!r} (known: {', '.join(sorted(options))})"
            )
        current = getattr(args, action.dest)
        if isinstance(action, argparse._AppendAction):
            items = value if isinstance(value, list) else [value]
            if not all(isinstance(item, (str, int, float)) and not isinstance(item, bool) for item in items):
                raise InputFileError(f"{path}: {name} must be a list of strings")
            setattr(args, action.dest, [str(item) for item in items] + list(current or []))
        elif isinstance(action, argparse._StoreTrueAction):
            if not isinstance(value, bool):
                raise InputFileError(f"{path}: {name} must be true or false")
            setattr(args, action.dest, current or value)
        elif current == action.default:  # not given on the command line
            if isinstance(value, (dict, list, bool)) or value is None:
                raise InputFileError(f"{path}: {name} must be a single value")
            try:
                converted = action.type(value) if callable(action.type) else str(value)
            except (TypeError, ValueError):
                raise InputFileError(f"{path}: {name}: {str(value)[:80]!r} is not a valid value") from None
            if action.choices is not None and converted not in action.choices:
                raise InputFileError(f"{path}: {name} must be one of {', '.join(map(str, action.choices))}")
            setattr(args, action.dest, converted)


__all__ = ["add_settings_flags", "admission_from_flags", "apply_config_file", "settings_from_flags"]
