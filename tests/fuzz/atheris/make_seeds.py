"""Writes the seed corpora in tests/fuzz/atheris/<target>/ (run from the repository root;
the files are committed, this is how they were made). Regression inputs found by atheris are
saved next to them as regression-* by hand, with the fix."""

import json
from pathlib import Path

root = Path("tests/fuzz/atheris")
D = "sha256:" + "a" * 64
seeds = {
    "image": [
        "python",
        "python:3.12",
        "jupyter/base-notebook:2024-01-01",
        "quay.io/jupyter/scipy-notebook:2024-05-27",
        "registry.example.org:5000/team/nb:v1",
        f"docker.io/library/python@{D}",
        f"ghcr.io/a/b:1@{D}",
        "localhost:5000/app",
        "localhost:5000",
        "LOCALHOST/app:1",
        "[::1]:5000/app:1",
        "[fd00::1]/x",
        "127.0.0.1:5000/app:1",
        "0x7f.1/app",
        "xn--rgistry-7gg.example.com/app:1",
        "r\u0435gistry.example.com/app:1",
        "127\u30020\u30020\u30021/app:1",
        "Bad:Tag",
        "a" * 64,
        "index.docker.io/x",
        "a__b/c--d.e:T_1.0",
        f"x@sha512:{'b' * 128}",
        "x@md5:abc",
        "169.254.169.254/latest:1",
        "metadata.google.internal/x:1",
    ],
    "quantity": [
        "0",
        "1",
        "500m",
        "1.5Gi",
        "1e3",
        "-0.1",
        "1Ki",
        ".5",
        "+1E-9",
        "1n",
        "9" * 30,
        "1E",
        "1e-2000000000",
        "100Mi",
        "2.5",
        "1Ei",
        "0.0001",
        "1u",
        "12345678901234567890P",
        "Gi",
        ".",
        "1K",
        "1 Gi",
        "NaN",
        "1e3Gi",
        "",
    ],
    "www-authenticate": [
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/python:pull"',
        'Basic realm="Registry Realm"',
        'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:a/b:pull"\nBasic realm="x"',
        'Bearer realm="https://127.0.0.1:5001/token",error="invalid_token"',
        'Bearer realm="http://[::1]/t", Basic realm="a\\"b"',
        'Negotiate, Bearer  ,, realm = "https://auth.example.org/t"',
        "Bearer realm=https://a.example/t,service=s",
        'Bearer realm="https://fa\u00df.example/token"',
        'Bearer realm="https://127\u30020\u30020\u30021/token"',
        'Bearer realm="https://LOCALHOST./t"',
    ],
    "registry-host": [
        "quay.io\nquay.io",
        "quay.io\nquay.io:8443",
        "127.0.0.1:5000\n127.1:5000",
        "[::1]:5000\n[::ffff:127.0.0.1]:5000",
        "docker.io\nregistry-1.docker.io",
        "10.0.0.5\n0xa.0.0.5",
        "registry.internal:5000\nregistry.internal.:5000",
        "xn--rgistry-7gg.example.com\nr\u0435gistry.example.com",
        "\nlocalhost.",
        "a:\u00b2\nmetadata.google.internal.",
        "[fe80::1%eth0]\n169.254.43518",
        "8.8.8.8\n134744072:5000",
    ],
}
ct = {
    "index": "application/vnd.oci.image.index.v1+json",
    "manifest": "application/vnd.oci.image.manifest.v1+json",
    "dlist": "application/vnd.docker.distribution.manifest.list.v2+json",
}
index = {
    "schemaVersion": 2,
    "mediaType": ct["index"],
    "manifests": [
        {
            "mediaType": ct["manifest"],
            "digest": D,
            "size": 1,
            "platform": {"os": "linux", "architecture": "amd64"},
        },
        {
            "mediaType": ct["manifest"],
            "digest": D,
            "size": 1,
            "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"},
        },
        {
            "mediaType": ct["manifest"],
            "digest": D,
            "size": 1,
            "platform": {"os": "unknown", "architecture": "unknown"},
            "annotations": {"vnd.docker.reference.type": "attestation-manifest"},
        },
    ],
}
manifest = {
    "schemaVersion": 2,
    "mediaType": ct["manifest"],
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": D, "size": 2},
    "layers": [],
}
seeds["manifest"] = [
    ct["index"] + "\n" + json.dumps(index),
    ct["manifest"] + "\n" + json.dumps(manifest),
    ct["dlist"] + "\n" + json.dumps(dict(index, mediaType=ct["dlist"])),
    "application/json\n" + json.dumps({"os": "linux", "architecture": "amd64"}),
    "application/json\n" + json.dumps({"errors": [{"code": "MANIFEST_UNKNOWN", "message": "x"}]}),
    "\n" + json.dumps(manifest),
    "text/html\n<html>",
]


def status(code, msg, **extra):
    return (
        code.to_bytes(2, "big")
        + json.dumps(
            {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": msg, "code": code, **extra}
        ).encode()
    )


seeds["status"] = [
    status(
        403,
        'pods "jupyter-a" is forbidden: exceeded quota: compute, requested: cpu=2, used: cpu=3, limited: cpu=4',  # noqa: E501
        reason="Forbidden",
        details={"name": "jupyter-a", "kind": "pods"},
    ),
    status(403, 'pods "jupyter-a" is forbidden: maximum cpu usage per Container is 2, but limit is 4'),
    status(
        403,
        'pods "jupyter-a" is forbidden: cpu max limit to request ratio per Container is 2, but provided ratio is 4.000000',  # noqa: E501
    ),
    status(
        403, 'pods "jupyter-a" is forbidden: failed quota: compute: must specify limits.cpu for: notebook'
    ),
    status(
        403,
        'pods "jupyter-a" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false',  # noqa: E501
    ),
    status(400, 'admission webhook "prevalidate.example.org" denied the request: no'),
    status(500, 'Internal error occurred: failed calling webhook "x.example.org": context deadline exceeded'),
    status(
        422,
        'Pod "jupyter-a" is invalid: spec.containers[0].image: Required value',
        details={"causes": [{"field": "spec.containers[0].image", "message": "Required value"}]},
    ),
    status(404, 'namespaces "jhub" not found'),
    b"\x01\x93not json at all",
]
pod = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "jupyter-alice", "namespace": "default"},
    "spec": {
        "containers": [
            {
                "name": "notebook",
                "image": "quay.io/jupyter/base-notebook:2024-01-01",
                "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}},
            }
        ]
    },
}


def review(**req):
    r = {
        "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
        "kind": {"group": "", "version": "v1", "kind": "Pod"},
        "operation": "CREATE",
        "namespace": "default",
        "object": pod,
    }
    r.update(req)
    return (
        b"\x00"
        + json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": r}).encode()
    )


seeds["webhook"] = [
    review(),
    review(operation="UPDATE"),
    review(dryRun=True),
    review(object=dict(pod, spec={"containers": [{"name": "n", "image": "Bad:Tag"}]})),
    b"\x02"
    + json.dumps(
        {"apiVersion": "admission.k8s.io/v1beta1", "kind": "AdmissionReview", "request": {"uid": "u"}}
    ).encode(),
    b"\x00{",
    b"\x03",
]
for name, items in seeds.items():
    d = root / name
    d.mkdir(parents=True, exist_ok=True)
    for i, item in enumerate(items):
        (d / f"seed-{i:02d}").write_bytes(item if isinstance(item, bytes) else item.encode())
    print(name, len(items))
