"""Files the fuzz broke, as ``prevalidate check`` reads them: a cluster dump with a mistyped
object, YAML that kubectl would turn into JSON differently from PyYAML, YAML that cannot be
read at all. Exit 2 comes with exactly one line on stderr; a mistyped Pod or ResourceQuota in
a dump is skipped with a warning (without it the checks can only allow more: fail open);
any other mistyped object makes the dump unusable, since without it a valid spawn could be
refused (a missing node, claim or secret)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from prevalidate.cli import main
from prevalidate.kube.dump import InputFileError, load_cluster, load_pod, read_documents

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "examples"
VALID_POD = EXAMPLES / "pods/valid.yaml"
OVER_QUOTA_POD = EXAMPLES / "pods/quota-exceeded.yaml"
BASE = yaml.safe_load((EXAMPLES / "cluster.yaml").read_text())


def run(
    capsys: pytest.CaptureFixture[str], cluster: Path, pod: Path = VALID_POD
) -> tuple[int, str, list[str]]:
    code = main(["check", "--cluster", str(cluster), "--pod", str(pod), "--offline"])
    out, err = capsys.readouterr()
    return code, out, err.splitlines()


def dump_with(tmp_path: Path, kind: str, change: dict[str, object], name: str | None = None) -> Path:
    """examples/cluster.yaml with ``change`` merged into its first ``kind`` object's top level."""
    items = [dict(item) for item in BASE["items"]]
    for item in items:
        if item["kind"] == kind and (name is None or item["metadata"]["name"] == name):
            item.update(change)
            break
    else:
        raise AssertionError(f"no {kind} in the example cluster")
    path = tmp_path / "cluster.yaml"
    path.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items}))
    return path


# ---- the cluster side ------------------------------------------------------------------------

UNUSABLE = [
    pytest.param(
        "Node",
        {"status": {"allocatable": ["cpu", "4"]}},
        "status.allocatable must be an object",
        id="node-allocatable-list",
    ),
    pytest.param(
        "Node",
        {"status": {"allocatable": {"cpu": "lots"}}},
        "status.allocatable.cpu is not a quantity",
        id="node-quantity",
    ),
    pytest.param(
        "Node", {"spec": {"taints": {"key": "gpu"}}}, "spec.taints must be an array", id="node-taints-object"
    ),
    pytest.param(
        "PersistentVolumeClaim",
        {"spec": {"accessModes": "ReadWriteOnce"}},
        "spec.accessModes must be an array",
        id="pvc-access-modes",
    ),
    pytest.param(
        "LimitRange",
        {"spec": {"limits": [None]}},
        "spec.limits[0] must be an object, not null",
        id="limitrange-null-item",
    ),
    pytest.param("Namespace", {"status": "Active"}, "status must be an object", id="namespace-status"),
    pytest.param("Secret", {"data": ["token"]}, "data must be an object", id="secret-data"),
]


@pytest.mark.parametrize(("kind", "change", "words"), UNUSABLE)
def test_a_mistyped_object_a_check_needs_makes_the_dump_unusable(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str, change: dict[str, object], words: str
) -> None:
    code, out, err = run(capsys, dump_with(tmp_path, kind, change))
    assert (code, out) == (2, "")
    assert len(err) == 1 and words in err[0] and f"the {kind} " in err[0]


def test_a_mistyped_pod_in_the_dump_is_skipped_with_a_warning(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """jupyter-bob's requests count toward std-1's usage; without him the node only has more room."""
    path = dump_with(
        tmp_path, "Pod", {"spec": {"nodeName": "std-1", "containers": {"name": "x"}}}, "jupyter-bob"
    )
    code, out, err = run(capsys, path)
    assert code == 0 and out.startswith("ALLOWED")
    assert err == [
        f'prevalidate: warning: {path}: the Pod "jhub/jupyter-bob": spec.containers must be an array, '
        "not an object; it is ignored"
    ]


def test_a_mistyped_quota_is_skipped_so_it_cannot_refuse(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _out, _err = run(capsys, EXAMPLES / "cluster.yaml", OVER_QUOTA_POD)
    assert code == 1  # the example's quota refuses this pod ...
    path = dump_with(tmp_path, "ResourceQuota", {"spec": {"hard": "32 CPUs"}})
    code, out, err = run(capsys, path, OVER_QUOTA_POD)
    assert code == 0 and out.startswith("ALLOWED")  # ... a quota we cannot read does not
    assert len(err) == 1 and "spec.hard must be an object" in err[0] and err[0].endswith("it is ignored")


@pytest.mark.parametrize(
    "cluster",
    [
        EXAMPLES / "cluster.yaml",
        ROOT / "tests/fuzz/corpus/cluster-rich.yaml",
        ROOT / "tests/e2e/fixtures/cluster.yaml",
        ROOT / "tests/kubesim/fixtures/cluster.yaml",
        ROOT / "tests/kubesim/fixtures/hub-cluster.yaml",
        ROOT / "prevalidate/demo/cluster.yaml",
    ],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_every_cluster_file_in_the_repository_loads_without_a_warning(cluster: Path) -> None:
    warnings: list[str] = []
    view = load_cluster(cluster, warn=warnings.append)
    assert warnings == [] and view.nodes


def test_a_pull_secret_whose_docker_config_is_not_base64_text_is_kept_without_it(tmp_path: Path) -> None:
    path = tmp_path / "cluster.yaml"
    path.write_text(
        "kind: Secret\nmetadata: {name: regcred, namespace: jhub}\ntype: kubernetes.io/dockerconfigjson\n"
        "data: {.dockerconfigjson: 'é-not-base64'}\n"
    )
    secret = load_cluster(path).secrets["jhub"]["regcred"]
    assert secret.keys == {".dockerconfigjson"} and secret.docker_config is None


def test_a_mistyped_node_pool_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    pools = tmp_path / "pools.yaml"
    pools.write_text("kind: Node\nmetadata: {name: big}\nstatus: {allocatable: [cpu]}\n")
    code = main(
        [
            "check",
            "--cluster",
            str(EXAMPLES / "cluster.yaml"),
            "--pod",
            str(VALID_POD),
            "--offline",
            "--node-pools",
            str(pools),
        ]
    )
    _out, err = capsys.readouterr()
    assert code == 2
    assert err.splitlines() == [
        f'prevalidate: {pools}: the Node "big": status.allocatable must be an object, not an array'
    ]


# ---- YAML as kubectl reads it ------------------------------------------------------------------

POD_HEAD = "kind: Pod\nmetadata: {name: p, namespace: jhub}\n"
UNREADABLE = [
    pytest.param(POD_HEAD + "spec: " + "[" * 5000 + "]" * 5000 + "\n", "nest", id="deep-nesting"),
    pytest.param(
        POD_HEAD + "spec: {containers: [{name: a, image: b, args: [1" + "0" * 5000 + "]}]}\n",
        "cannot be read",
        id="5000-digit-integer",
    ),
    pytest.param(
        POD_HEAD + "spec: &s {containers: [{name: a, image: b}], x: *s}\n",
        "anchor contains itself",
        id="anchor-contains-itself",
    ),
    pytest.param(
        POD_HEAD + "spec: {containers: [{name: a, image: b, resources: {requests: {cpu: .nan}}}]}\n",
        "not a JSON number",
        id="nan",
    ),
    pytest.param("kind: Pod\nspec:\n  containers:\n  - name: a\n\timage: b\n", "not valid YAML", id="tab"),
    pytest.param(
        POD_HEAD + "spec: {containers: [{name: a, image: !!python/object:os.system x}]}\n",
        "not valid YAML",
        id="python-tag",
    ),
]


@pytest.mark.parametrize(("text", "words"), UNREADABLE)
def test_yaml_that_cannot_become_json_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, words: str
) -> None:
    pod = tmp_path / "pod.yaml"
    pod.write_text(text)
    code, out, err = run(capsys, EXAMPLES / "cluster.yaml", pod)
    assert code in (1, 2) and (code == 1 or out == "")
    if code == 2:
        assert len(err) == 1 and words in err[0]


READ_AS_KUBECTL_DOES = [  # sigs.k8s.io/yaml: go-yaml's value, then JSON
    pytest.param(
        "image: !!binary cXVheS5pby9qdXB5dGVyL2Jhc2Utbm90ZWJvb2s=",
        ("image",),
        "quay.io/jupyter/base-notebook",
        id="binary-is-a-string",
    ),
    pytest.param(
        "image: b, env: [{name: D, value: 2024-01-01}]",
        ("env", 0, "value"),
        "2024-01-01",
        id="date-is-a-string",
    ),
]


@pytest.mark.parametrize(("fields", "where", "value"), READ_AS_KUBECTL_DOES)
def test_yaml_only_values_are_read_as_their_json(
    tmp_path: Path, fields: str, where: tuple[object, ...], value: str
) -> None:
    pod = tmp_path / "pod.yaml"
    pod.write_text(POD_HEAD + "spec: {containers: [{name: a, " + fields + "}]}\n")
    node: object = load_pod(pod)["spec"]["containers"][0]  # type: ignore[index]
    for key in where:
        node = node[key]  # type: ignore[index]
    assert node == value


def test_yaml_keys_that_are_not_strings_become_strings(tmp_path: Path) -> None:
    pod = tmp_path / "pod.yaml"
    pod.write_text(
        POD_HEAD + "spec: {nodeSelector: {1: x, false: y, null: z}, containers: [{name: a, image: b}]}\n"
    )
    assert load_pod(pod)["spec"]["nodeSelector"] == {"1": "x", "false": "y", "null": "z"}


def test_a_set_is_a_map_to_null_and_json_surrogates_are_characters(tmp_path: Path) -> None:
    """JSON escapes an emoji as a surrogate pair, which libyaml refuses and PyYAML reads as two
    halves: the pair is one character again, a lone half is U+FFFD (as in Go's strings)."""
    path = tmp_path / "doc.yaml"
    path.write_text('{"a": "\\ud83d\\ude00", "b": "x\\ud800"}\n---\nc: !!set {x}\n')
    assert read_documents(path) == [{"a": "\U0001f600", "b": "x\ufffd"}, {"c": {"x": None}}]


def test_an_alias_bomb_is_one_line(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputFileError, match="too many values"):
        read_documents(path)


# ---- the hub's node pools ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pool", "error"),
    [
        pytest.param(
            {"metadata": {"name": "p"}, "status": {"allocatable": {"cpu": 64, "memory": "256Gi"}}},
            None,
            id="numbers-for-quantities",
        ),
        pytest.param(
            {"metadata": {"name": "p", "labels": {"pool": "big"}}, "spec": {"taints": []}},
            None,
            id="no-allocatable",
        ),
        pytest.param(
            {"metadata": {"name": "p"}, "status": {"allocatable": ["cpu"]}},
            "node_pools[0]: status.allocatable must be an object, not an array",
            id="allocatable-list",
        ),
        pytest.param(
            {"metadata": {"name": "p", "labels": {"gpu": True}}},
            "node_pools[0]: metadata.labels.gpu must be a string, not the boolean true",
            id="label-bool",
        ),
    ],
)
def test_a_mistyped_node_pool_stops_the_hub_at_start_with_one_line(
    pool: dict[str, object], error: str | None
) -> None:
    from traitlets import TraitError

    from prevalidate.hub.config import Prevalidator

    if error is None:
        assert Prevalidator(node_pools=[pool]).settings().node_pools[0].name == "p"
        return
    with pytest.raises(TraitError) as raised:
        Prevalidator(node_pools=[pool])
    assert str(raised.value) == error


# ---- --admission-config ------------------------------------------------------------------------

ADMISSION_CONFIG = ROOT / "tests/fuzz/corpus/admission-config.yaml"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        pytest.param(None, None, id="the-documented-form"),
        pytest.param(
            "PodNodeSelector: {podNodeSelectorPluginConfig: {jhub: 'a=b'}}\n", None, id="plain-mapping"
        ),
        pytest.param("kind: AdmissionConfiguration\nplugins: []\n", None, id="no-plugins"),
        pytest.param(
            "kind: AdmissionConfiguration\nplugins: 5\n", "plugins must be a list", id="plugins-number"
        ),
        pytest.param("a: " + "[" * 3000 + "]" * 3000 + "\n", "nested too deeply", id="deep-nesting"),
        pytest.param("a: 1" + "0" * 5000 + "\n", "cannot be read", id="5000-digit-integer"),
    ],
)
def test_an_admission_config_file_is_read_or_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str | None, line: str | None
) -> None:
    path = ADMISSION_CONFIG
    if text is not None:
        path = tmp_path / "admission.yaml"
        path.write_text(text)
    code = main(
        [
            "check",
            "--cluster",
            str(EXAMPLES / "cluster.yaml"),
            "--pod",
            str(VALID_POD),
            "--offline",
            "--admission-config",
            str(path),
        ]
    )
    _out, err = capsys.readouterr()
    if line is None:
        assert code == 0 and err == ""
    else:
        assert code == 2 and len(err.splitlines()) == 1 and line in err


# ---- --from-kubespawner: the objects next to the pod ---------------------------------------------

KUBESPAWNER_POD = ROOT / "tests/fuzz/corpus/kubespawner/z2jh-default.yaml"


@pytest.mark.parametrize(
    ("change", "line"),
    [
        pytest.param({}, None, id="as-kubespawner-wrote-it"),
        pytest.param({"metadata": {"name": "claim-x", "labels": None}}, None, id="null-labels"),
        pytest.param(
            {"spec": {"accessModes": "ReadWriteOnce"}}, "spec.accessModes must be an array", id="modes-string"
        ),
        pytest.param(
            {"spec": {"resources": {"requests": {"storage": [10]}}}},
            "spec.resources.requests.storage",
            id="storage-list",
        ),
    ],
)
def test_the_claim_next_to_a_kubespawner_pod_is_read_or_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, change: dict[str, object], line: str | None
) -> None:
    pod, claim = yaml.safe_load_all(KUBESPAWNER_POD.read_text())
    path = tmp_path / "pod.yaml"
    path.write_text(yaml.safe_dump_all([pod, {**claim, **change}]))
    code = main(
        [
            "check",
            "--cluster",
            str(ROOT / "tests/fuzz/corpus/cluster-rich.yaml"),
            "--pod",
            str(path),
            "--offline",
            "--from-kubespawner",
        ]
    )
    _out, err = capsys.readouterr()
    if line is None:
        assert code in (0, 1) and err == ""
    else:
        assert code == 2 and len(err.splitlines()) == 1 and line in err and "PersistentVolumeClaim" in err
