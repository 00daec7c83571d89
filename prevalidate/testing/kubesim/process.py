"""The container-as-a-local-process mode lives in prevalidate/testing/localprocess.py (the real
plane's test kubelet runs pods the same way); kept here under its old name."""

from ..localprocess import LocalProcess, rewrite_service_url

__all__ = ["LocalProcess", "rewrite_service_url"]
