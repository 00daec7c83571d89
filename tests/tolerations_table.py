"""The named tolerations of kubernetes/kubernetes pkg/util/tolerations/tolerations_test.go and
its ``TestIsSuperset`` expectations, for prevalidate's and kubesim's implementations alike."""

from __future__ import annotations

from prevalidate.model.tolerations import Tol

TOLERATIONS = {
    "all": Tol(operator="Exists"),
    "all-nosched": Tol(operator="Exists", effect="NoSchedule"),
    "all-noexec": Tol(operator="Exists", effect="NoExecute"),
    "foo": Tol("foo", "Exists"),
    "foo-bar": Tol("foo", "Equal", "bar"),
    "foo-nosched": Tol("foo", "Exists", effect="NoSchedule"),
    "foo-bar-nosched": Tol("foo", "Equal", "bar", "NoSchedule"),
    "foo-baz-nosched": Tol("foo", "Equal", "baz", "NoSchedule"),
    "faz-nosched": Tol("faz", "Exists", effect="NoSchedule"),
    "faz-baz-nosched": Tol("faz", "Equal", "baz", "NoSchedule"),
    "foo-prefnosched": Tol("foo", "Exists", effect="PreferNoSchedule"),
    "foo-noexec": Tol("foo", "Exists", effect="NoExecute"),
    "foo-bar-noexec": Tol("foo", "Equal", "bar", "NoExecute"),
    "foo-noexec-10": Tol("foo", "Exists", effect="NoExecute", seconds=10),
    "foo-noexec-0": Tol("foo", "Exists", effect="NoExecute", seconds=0),
    "foo-bar-noexec-10": Tol("foo", "Equal", "bar", "NoExecute", 10),
}
SUPERSET_OF = {  # TestIsSuperset: each is a superset of itself and of these, of nothing else
    "all": set(TOLERATIONS) - {"all"},
    "all-nosched": {"foo-nosched", "foo-bar-nosched", "foo-baz-nosched", "faz-nosched", "faz-baz-nosched"},
    "all-noexec": {"foo-noexec", "foo-bar-noexec", "foo-noexec-10", "foo-noexec-0", "foo-bar-noexec-10"},
    "foo": {
        "foo-bar",
        "foo-nosched",
        "foo-bar-nosched",
        "foo-baz-nosched",
        "foo-prefnosched",
        "foo-noexec",
        "foo-bar-noexec",
        "foo-noexec-10",
        "foo-noexec-0",
        "foo-bar-noexec-10",
    },
    "foo-bar": {"foo-bar-nosched", "foo-bar-noexec", "foo-bar-noexec-10"},
    "foo-nosched": {"foo-bar-nosched", "foo-baz-nosched"},
    "foo-bar-nosched": set(),
    "faz-nosched": {"faz-baz-nosched"},
    "faz-baz-nosched": set(),
    "foo-noexec": {"foo-bar-noexec", "foo-noexec-10", "foo-noexec-0", "foo-bar-noexec-10"},
    "foo-bar-noexec": {"foo-bar-noexec-10"},
    "foo-noexec-10": {"foo-noexec-0", "foo-bar-noexec-10"},
    "foo-noexec-0": set(),
    "foo-bar-noexec-10": set(),
}
