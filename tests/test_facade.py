"""The public facade: the contract names exist, ``__all__`` is sorted and complete."""

import prevalidate


def test_all_is_sorted_and_unique():
    assert list(prevalidate.__all__) == sorted(set(prevalidate.__all__))


def test_every_exported_name_resolves():
    missing = [name for name in prevalidate.__all__ if not hasattr(prevalidate, name)]
    assert missing == []


def test_contract_functions_from_design_are_exported():
    for name in (
        "parse_quantity",
        "parse_image_reference",
        "run_all",
        "pre_spawn_hook",
        "PrevalidatingKubeSpawner",
    ):
        assert name in prevalidate.__all__


def test_parse_quantity_is_the_strict_one():
    assert str(prevalidate.parse_quantity("1.5Gi")) == "1610612736"
    for lax in ("1K", "1 Gi", "NaN", "1e3Gi"):
        try:
            prevalidate.parse_quantity(lax)
        except ValueError:
            continue
        raise AssertionError(f"{lax!r} must be rejected like the apiserver does")


def test_what_the_readme_tells_users_to_import_is_in_the_facade():
    for name in (
        "load_cluster",
        "LiveCluster",
        "RegistryClient",
        "PodRequest",
        "ValidationService",
        "FixedView",
        "Rejection",
    ):
        assert name in prevalidate.__all__


def test_the_facade_loads_heavy_packages_only_when_asked():
    """The CLI and the pure core start without kubernetes_asyncio, httpx or JupyterHub."""
    import subprocess
    import sys

    heavy = "('kubernetes_asyncio', 'httpx', 'jupyterhub', 'kubespawner')"
    code = (
        f"import sys, prevalidate; print(sorted(m for m in {heavy} if m in sys.modules)); "
        "prevalidate.LiveCluster; prevalidate.RegistryClient; "
        f"print(sorted(m for m in {heavy} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["[]", "['httpx', 'kubernetes_asyncio']"]
