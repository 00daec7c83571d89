"""Fixtures every test directory can use: the real Kubernetes control plane (one per session)."""

pytest_plugins = ["prevalidate.testing.realplane.pytest_plugin"]
