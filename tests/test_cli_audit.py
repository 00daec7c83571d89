"""`prevalidate audit` on the demo: the demo hub's own configuration (the lines `prevalidate demo`
gives its hub), the demo cluster, and the same cluster with its GPU node full."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from demo_verdicts import CPU_CHOICES, CUSTOM_ENTRIES, cpu_verdict, without_never_choices

from prevalidate.cli import main
from prevalidate.demo import IMAGES, NAMESPACE, cluster_text, hub_config
from prevalidate.testing.hubprocess import kubespawner_config

ROOT = Path(__file__).resolve().parents[1]
DEMO_CLUSTER = ROOT / "prevalidate" / "demo" / "cluster.yaml"
GPU_FULL = ROOT / "examples" / "audit" / "cluster-gpu-full.yaml"
EXAMPLE_CONFIG = ROOT / "examples" / "audit" / "jupyterhub_config.py"
REGISTRY = "127.0.0.1:5000"  # named in the configuration, never contacted with --offline

# What an administrator's typo looks like: a misspelt image and 128 CPUs (the largest node has 62.5).
BROKEN = """
c.KubeSpawner.profile_list.append({
    "display_name": "Broken", "slug": "broken",
    "kubespawner_override": {
        "image": %r,
        "extra_container_config": {"resources": {"requests": {"cpu": "128"}, "limits": {"cpu": "128"}}},
    },
})
"""


def demo_config(tmp_path: Path, extra: str = "", registry: str = REGISTRY) -> str:
    """The demo hub's jupyterhub_config.py, as `prevalidate demo` writes it, plus ``extra``."""
    text = "c = get_config()  # noqa\n" + kubespawner_config(
        NAMESPACE, f"{registry}/{IMAGES[0][0]}:2024.1", 60
    )
    path = tmp_path / "jupyterhub_config.py"
    path.write_text(text + hub_config(registry) + extra)
    return str(path)


def broken(registry: str = REGISTRY) -> str:
    return BROKEN % f"{registry}/jupyter/scipy-notebok:latest"


def audit(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["audit", *args])
    out, err = capsys.readouterr()
    return code, out, err


def audit_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code, out, err = audit(capsys, *args, "--json")
    assert "Traceback" not in err
    return code, json.loads(out)


def by_profile(report: dict[str, Any], slug: str) -> list[dict[str, Any]]:
    return [e for e in report["entries"] if e["profile"] == slug]


def test_every_demo_choice_fits_the_demo_cluster_but_the_cpus_over_the_quota_or_the_largest_node(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The demo's form marks two CPU choices (prevalidate/demo/profiles.py): by the cluster's own
    # numbers, 16 is over the 14 CPUs the quota has left but within its 40 ("not-now"), and 64 is
    # over the largest node's 62.5 (and the quota's 40): "never".
    expected = {cpu: cpu_verdict(cpu, DEMO_CLUSTER) for cpu in CPU_CHOICES}
    assert {cpu: verdict for cpu, (verdict, _) in expected.items()} == {
        "1": "fits",
        "2": "fits",
        "4": "fits",
        "16": "not-now",
        "64": "never",
    }
    code, report = audit_json(
        capsys, "--config", demo_config(tmp_path), "--cluster", str(DEMO_CLUSTER), "--offline"
    )
    assert code == 1  # the 64-CPU choices can never start
    assert set(report) == {"entries"}
    for entry in report["entries"]:
        assert set(entry) == {"profile", "options", "verdict", "codes"}
        verdict, codes = expected[entry["options"]["cpu"]] if entry["options"] else ("fits", set())
        assert (entry["verdict"], set(entry["codes"])) == (verdict, codes), entry
    custom = by_profile(report, "custom")
    # 3 images x 5 CPUs x 3 memories x 2 listed storages: the whole product, each once
    assert len(custom) == CUSTOM_ENTRIES == 90
    assert len({json.dumps(e["options"], sort_keys=True) for e in custom}) == 90
    assert all(set(e["options"]) == {"image", "cpu", "memory", "storage"} for e in custom)
    assert {"image": "scipy-notebook-latest", "cpu": "4", "memory": "8Gi", "storage": "shared"} in [
        e["options"] for e in custom
    ]
    assert [e["options"] for e in by_profile(report, "small") + by_profile(report, "gpu")] == [{}, {}]


def test_the_gpu_profile_does_not_fit_now_when_the_gpu_node_is_full(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = demo_config(tmp_path, without_never_choices(GPU_FULL))
    code, report = audit_json(capsys, "--config", config, "--cluster", str(GPU_FULL), "--offline")
    assert by_profile(report, "gpu") == [
        {"profile": "gpu", "options": {}, "verdict": "not-now", "codes": ["insufficient-capacity"]}
    ]
    assert code == 0  # "not-now" is no configuration error: nothing can never start
    # the rest is as the cluster's CPU numbers say (dave's pod uses 4 more quota CPUs: 10 left)
    for entry in report["entries"]:
        if entry["profile"] != "gpu":
            cpu = entry["options"].get("cpu", "1")
            assert entry["verdict"] == cpu_verdict(cpu, GPU_FULL)[0] != "never", entry


def test_not_now_whatever_the_capacity_policy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = demo_config(
        tmp_path, without_never_choices(GPU_FULL) + 'c.Prevalidator.capacity_policy = "warn"\n'
    )
    code, report = audit_json(capsys, "--config", config, "--cluster", str(GPU_FULL), "--offline")
    assert code == 0 and by_profile(report, "gpu")[0]["verdict"] == "not-now"


def test_a_misconfigured_profile_can_never_start(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = demo_config(tmp_path, broken())
    code, report = audit_json(capsys, "--config", config, "--cluster", str(GPU_FULL), "--offline")
    assert code == 1
    [entry] = by_profile(report, "broken")
    assert entry["verdict"] == "never"
    # 128 CPUs: above the largest node (62.5) and above the quota's hard 40, whatever runs
    assert set(entry["codes"]) == {"no-node-fits", "quota-exceeded"}
    assert by_profile(report, "gpu")[0]["verdict"] == "not-now"


def test_the_table_names_each_verdict_and_why(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = audit(
        capsys, "--config", demo_config(tmp_path, broken()), "--cluster", str(GPU_FULL), "--offline"
    )
    assert code == 1
    lines = out.splitlines()
    assert lines[0].split() == ["PROFILE", "OPTIONS", "VERDICT", "CODES"]
    gpu = next(i for i, line in enumerate(lines) if line.startswith("gpu "))
    assert lines[gpu].split()[2:] == ["not-now", "insufficient-capacity"]
    assert "No node has room for 1 nvidia.com/gpu right now" in lines[gpu + 1]
    never = next(i for i, line in enumerate(lines) if line.startswith("broken "))
    assert lines[never].split()[2] == "never"
    assert "The largest node your server can run on has 62.5 CPUs allocatable" in "\n".join(lines[never:])
    # custom's entries by their CPU choice, then small (fits), gpu (not-now) and broken (never)
    per_cpu = CUSTOM_ENTRIES // len(CPU_CHOICES)
    counts = {"fits": 1, "not-now": 1, "never": 1}
    for cpu in CPU_CHOICES:
        counts[cpu_verdict(cpu, GPU_FULL)[0]] += per_cpu
    assert counts == {"fits": 55, "not-now": 19, "never": 19}
    assert lines[-1].startswith(
        f"4 profiles, {CUSTOM_ENTRIES + 3} entries: {counts['fits']} fit, "
        f"{counts['not-now']} do not fit now, {counts['never']} can never start"
    )


def test_the_example_configuration_in_the_readme(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = audit_json(
        capsys, "--config", str(EXAMPLE_CONFIG), "--cluster", str(GPU_FULL), "--offline"
    )
    assert code == 1
    verdicts = {e["profile"]: e["verdict"] for e in report["entries"] if not e["options"]}
    assert verdicts == {"small": "fits", "gpu": "not-now", "broken": "never"}


def test_the_gpu_full_cluster_is_the_demo_cluster_with_the_gpu_node_taken() -> None:
    demo = yaml.safe_load(cluster_text())["items"]
    full = yaml.safe_load(GPU_FULL.read_text())["items"]
    added = [o for o in full if o not in demo]
    kinds = sorted((o["kind"], o["metadata"]["name"]) for o in added)
    assert kinds == [
        ("Pod", "jupyter-dave"),
        ("PriorityClass", "system-cluster-critical"),
        ("PriorityClass", "system-node-critical"),
        ("ResourceQuota", "compute"),
    ]
    [dave] = [o for o in added if o["kind"] == "Pod"]
    assert dave["spec"]["nodeName"] == "gpu-1"
    assert dave["spec"]["containers"][0]["resources"]["requests"]["nvidia.com/gpu"] == "4"
    assert [o for o in demo if o not in full] == [
        o for o in demo if o["kind"] == "ResourceQuota" and o["metadata"]["name"] == "compute"
    ]


def test_user_names_the_pod_and_the_claims_it_mounts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = """
c.KubeSpawner.profile_list.append({
    "display_name": "Home", "slug": "home",
    "kubespawner_override": {
        "volumes": [{"name": "home", "persistentVolumeClaim": {"claimName": "claim-{username}"}}],
        "volume_mounts": [{"name": "home", "mountPath": "/home/jovyan"}],
    },
})
"""
    config = demo_config(tmp_path, without_never_choices(DEMO_CLUSTER) + home)
    args = ("--config", config, "--cluster", str(DEMO_CLUSTER), "--offline")
    code, report = audit_json(capsys, *args, "--user", "alice")
    assert code == 0 and by_profile(report, "home")[0]["verdict"] == "fits"  # claim-alice exists
    code, report = audit_json(capsys, *args, "--user", "zoe")
    assert code == 1
    assert by_profile(report, "home")[0] == {
        "profile": "home",
        "options": {},
        "verdict": "never",
        "codes": ["pvc-not-found"],
    }
    # Without --user the pods are a made-up user's: a claim named after them proves nothing
    code, report = audit_json(capsys, *args)
    assert code == 0 and by_profile(report, "home")[0]["verdict"] == "fits"
    # ... but a fixed name that does not exist still is "never"
    config = demo_config(
        tmp_path, without_never_choices(DEMO_CLUSTER) + home.replace("claim-{username}", "claim-nobody")
    )
    code, report = audit_json(capsys, "--config", config, "--cluster", str(DEMO_CLUSTER), "--offline")
    assert code == 1 and by_profile(report, "home")[0]["codes"] == ["pvc-not-found"]


def test_a_huge_product_is_audited_one_choice_at_a_time_with_a_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    options = {
        f"opt{n}": {
            "display_name": f"Option {n}",
            "choices": {f"c{i}": {"display_name": str(i)} for i in range(10)},
        }
        for n in range(3)
    }
    extra = f"""
c.KubeSpawner.profile_list.append({{"display_name": "Many", "slug": "many", "profile_options": {options!r}}})
"""
    code, out, err = audit(
        capsys,
        "--config",
        demo_config(tmp_path, without_never_choices(DEMO_CLUSTER) + extra),
        "--cluster",
        str(DEMO_CLUSTER),
        "--offline",
        "--json",
    )
    assert code == 0
    many = by_profile(json.loads(out), "many")
    assert len(many) == 1 + 3 * 9  # the defaults, then each other choice once
    assert many[0]["options"] == {"opt0": "c0", "opt1": "c0", "opt2": "c0"}
    assert {"opt0": "c0", "opt1": "c7", "opt2": "c0"} in [e["options"] for e in many]
    assert "prevalidate: note: profile many: 1,000 combinations of 3 options (more than 256)" in err


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda tmp: str(tmp / "missing.py"), "missing.py: no such file"),
        (
            lambda tmp: _write(tmp, "c = get_config()\nc.KubeSpawner.profile_list = [\n"),
            "cannot load it (SyntaxError",
        ),
        (lambda tmp: _write(tmp, "import no_such_module_here\n"), "cannot load it (ModuleNotFoundError"),
        (lambda tmp: _write(tmp, 'c = get_config()\nc.KubeSpawner.namespace = "jhub"\n'), "no profile_list"),
        (
            lambda tmp: _write(tmp, 'c = get_config()\nc.JupyterHub.spawner_class = "simple"\n'),
            "is not a KubeSpawner",
        ),
        (
            lambda tmp: _write(tmp, 'c = get_config()\nc.Prevalidator.disabled_checks = {"quotas"}\n'),
            "c.Prevalidator:",
        ),
    ],
)
def test_unusable_configuration_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], setup: Any, message: str
) -> None:
    code, out, err = audit(capsys, "--config", setup(tmp_path), "--cluster", str(DEMO_CLUSTER), "--offline")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("prevalidate: ") and message in err, err


def test_an_unreadable_cluster_file_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "cluster.yaml"
    bad.write_text("items: [\n")
    for cluster in (str(bad), str(tmp_path / "nothing.yaml")):
        code, out, err = audit(capsys, "--config", demo_config(tmp_path), "--cluster", cluster, "--offline")
        assert code == 2 and out == "" and err.count("\n") == 1 and "Traceback" not in err, err


def _write(tmp: Path, text: str) -> str:
    path = tmp / "jupyterhub_config.py"
    path.write_text(text)
    return str(path)


def test_a_profile_that_needs_typed_text_is_skipped_with_a_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = """
c.KubeSpawner.profile_list.append({"display_name": "Typed", "slug": "typed", "profile_options": {
    "image": {
        "display_name": "Image",
        "unlisted_choice": {"enabled": True, "kubespawner_override": {"image": "{value}"}},
    },
}})
"""
    code, out, err = audit(
        capsys,
        "--config",
        demo_config(tmp_path, without_never_choices(DEMO_CLUSTER) + extra),
        "--cluster",
        str(DEMO_CLUSTER),
        "--offline",
        "--json",
    )
    assert code == 0  # KubeSpawner cannot build it without a typed value: not a "never"
    assert by_profile(json.loads(out), "typed") == []
    assert "prevalidate: note: profile typed: option image takes free text only" in err


def test_options_kubespawner_refuses_are_never_and_a_pod_that_cannot_be_built_here_is_a_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = """
c.KubeSpawner.profile_list.append({"display_name": "Bad", "slug": "bad",
                                   "kubespawner_override": {"cpu_guarantee": "lots"}})

def hook(spawner, pod):
    if spawner.image.endswith(":latest") and spawner.cpu_guarantee == 0.5:
        raise RuntimeError("the hook needs the hub's database")
    return pod

c.KubeSpawner.modify_pod_hook = hook
"""
    code, out, err = audit(
        capsys,
        "--config",
        demo_config(tmp_path, without_never_choices(DEMO_CLUSTER) + extra),
        "--cluster",
        str(DEMO_CLUSTER),
        "--offline",
        "--json",
    )
    report = json.loads(out)
    # a TraitError in load_user_options: KubeSpawner's _start would raise it for every user
    assert by_profile(report, "bad") == [
        {"profile": "bad", "options": {}, "verdict": "never", "codes": ["input-invalid"]}
    ]
    assert code == 1
    # the hook raised for the :latest images (2 of the 3 images in "custom", and "gpu"): no
    # verdict, and why (4 CPU choices are left: 4 x 3 memories x 2 storages per image)
    custom = by_profile(report, "custom")
    assert len(custom) == 24 and {e["options"]["image"] for e in custom} == {"minimal-notebook-2024.1"}
    assert (
        err.count("KubeSpawner could not build the pod here (the hook needs the hub's database); not audited")
        == 2 * 24 + 1
    )
    assert by_profile(report, "gpu") == [] and "prevalidate: note: profile gpu: KubeSpawner could not" in err
