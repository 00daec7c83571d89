"""Scenarios for ``input-invalid``: values and fields the apiserver would refuse (400 and 422)."""

from __future__ import annotations

from factories import container, pod, verdict

from prevalidate.model.findings import Code

from .scenario import Scenario

INPUT_SCENARIOS: dict[str, Scenario] = {
    "input-invalid": Scenario(
        Code.INPUT_INVALID,
        lambda: verdict(pod(requests={"cpu": "abc"}), checks=["quota"]),
        ("'abc'", "spec.containers[0].resources.requests.cpu"),
        "Use a number",
    ),
    "input-invalid-request-over-limit": Scenario(
        Code.INPUT_INVALID,
        lambda: verdict(pod(requests={"cpu": "2"}, limits={"cpu": "1"}), checks=["quota"]),
        ("2 CPUs", "1 CPU"),
        "at most 1 CPU",
    ),
    "input-invalid-resource-name": Scenario(
        Code.INPUT_INVALID,
        lambda: verdict(pod(requests={"cpus": "2"}), checks=["quota"]),
        (
            '"cpus"',
            "spec.containers[0].resources.requests.cpus",
            "must be a standard resource for containers",
        ),
        'Did you mean "cpu"?',
    ),
    "input-invalid-gpu-resource-name": Scenario(
        Code.INPUT_INVALID,
        lambda: verdict(pod(limits={"gpu": "1"}), checks=["quota"]),
        ('"gpu"', "spec.containers[0].resources.limits.gpu", "nvidia.com/gpu"),
        "Use cpu, memory",
    ),
    "input-invalid-extended-resource-name": Scenario(
        Code.INPUT_INVALID,
        lambda: verdict(pod(limits={"requests.nvidia.com/gpu": "1"}), checks=["quota"]),
        ('"requests.nvidia.com/gpu"', "doesn't follow extended resource name standard"),
        "like nvidia.com/gpu",
    ),
    "input-invalid-mount-volume-not-found": Scenario(
        Code.INPUT_INVALID,
        lambda: verdict(
            pod(
                containers=[container(volumeMounts=[{"name": "homee", "mountPath": "/home/jovyan"}])],
                volumes=[{"name": "home", "emptyDir": {}}],
            ),
            checks=["quota"],
        ),
        ('"homee"', 'spec.containers[0].volumeMounts[0].name: Not found: "homee"', "notebook", "home"),
        'Did you mean "home"?',
    ),
    "input-invalid-mount-path-duplicate": Scenario(
        Code.INPUT_INVALID,
        lambda: verdict(
            pod(
                containers=[
                    container(
                        volumeMounts=[
                            {"name": "home", "mountPath": "/home/jovyan"},
                            {"name": "data", "mountPath": "/home/jovyan"},
                        ]
                    )
                ],
                volumes=[{"name": "home", "emptyDir": {}}, {"name": "data", "emptyDir": {}}],
            ),
            checks=["quota"],
        ),
        ("/home/jovyan", "spec.containers[0].volumeMounts[1].mountPath", "notebook"),
        "Choose another mount path",
    ),
    "input-invalid-volume-name": Scenario(
        Code.INPUT_INVALID,
        lambda: verdict(pod(volumes=[{"name": "Shared_Data", "emptyDir": {}}]), checks=["quota"]),
        ('"Shared_Data"', "spec.volumes[0].name"),
        'like "shared-data"',
    ),
    "input-invalid-volume-duplicate": Scenario(
        Code.INPUT_INVALID,
        lambda: verdict(
            pod(volumes=[{"name": "home", "emptyDir": {}}, {"name": "home", "emptyDir": {}}]),
            checks=["quota"],
        ),
        ('"home"', "spec.volumes[1].name"),
        "Remove or rename one",
    ),
    "input-invalid-sub-path": Scenario(
        Code.INPUT_INVALID,
        lambda: verdict(
            pod(
                containers=[container(volumeMounts=[{"name": "h", "mountPath": "/h", "subPath": "/etc"}])],
                volumes=[{"name": "h", "emptyDir": {}}],
            ),
            checks=["quota"],
        ),
        ("'/etc'", "spec.containers[0].volumeMounts[0].subPath", "must be a relative path"),
        "Use a relative path",
    ),
    "input-invalid-image-required": Scenario(
        Code.INPUT_INVALID,
        lambda: verdict(pod(containers=[container(image="")]), checks=["quota"]),
        ("notebook", "spec.containers[0].image"),
        "Choose an image",
    ),
    "input-invalid-container-name": Scenario(
        Code.INPUT_INVALID,
        lambda: verdict(pod(containers=[container("Note Book")]), checks=["quota"]),
        ('"Note Book"', "spec.containers[0].name"),
        'like "note-book"',
    ),
    "input-invalid-long-name": Scenario(
        Code.INPUT_INVALID,
        lambda: verdict(pod(containers=[container("n" * 64)]), checks=["quota"]),
        ("spec.containers[0].name", "63 characters"),
        "Choose a shorter name",
    ),
    "input-invalid-required-field": Scenario(
        Code.INPUT_INVALID,
        lambda: verdict(
            pod(
                containers=[container(volumeMounts=[{"name": "h", "mountPath": ""}])], volumes=[{"name": "h"}]
            ),
            checks=["quota"],
        ),
        ("spec.containers[0].volumeMounts[0].mountPath: Required value",),
        "Ask your administrator",
    ),
    "input-invalid-shape-number-for-string": Scenario(
        Code.INPUT_INVALID,
        lambda: verdict(pod(containers=[container(env=[{"name": "DEBUG", "value": 1}])]), checks=["quota"]),
        ("spec.containers[0].env[0].value", "must be a string, not the number 1"),
        "Use quotes around the value",
    ),
    "input-invalid-shape": Scenario(
        Code.INPUT_INVALID,
        lambda: verdict(pod(containers=[container(command="start.sh")]), checks=["quota"]),
        ("spec.containers[0].command", "must be an array"),
        "Ask your administrator",
    ),
    "input-invalid-toleration": Scenario(
        Code.INPUT_INVALID,
        lambda: verdict(
            pod(tolerations=[{"key": "gpu", "operator": "Exists", "effect": "NoScheduled"}]), checks=["quota"]
        ),
        ('"NoScheduled"', "spec.tolerations[0].effect", '"NoSchedule", "PreferNoSchedule", "NoExecute"'),
        "Choose another value",
    ),
    "input-invalid-not-valid": Scenario(
        Code.INPUT_INVALID,
        lambda: verdict(
            pod(
                affinity={
                    "nodeAffinity": {
                        "requiredDuringSchedulingIgnoredDuringExecution": {
                            "nodeSelectorTerms": [
                                {"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]}
                            ]
                        }
                    }
                }
            ),
            checks=["quota"],
        ),
        ("matchExpressions[0].values", "may not be specified when `operator` is 'Exists'"),
        "Ask your administrator",
    ),
}
