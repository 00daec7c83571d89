"""The typed shape of the objects kubesim reads, checked the way Go's JSON decoder would.

The apiserver decodes into Go structs, so a string where a list belongs is a 400 before any
admission runs. This module walks a request body against the part of each type's schema that
kubesim uses, drops JSON `null`s (Go leaves the zero value), and raises a `ShapeError` with
the decoder's wording: `json: cannot unmarshal string into Go struct field
Container.spec.containers.resources of type v1.ResourceRequirements`.
Unknown fields are kept untouched, as the apiserver keeps them in non-strict mode.
"""

from __future__ import annotations

from typing import Any

Schema = Any  # str | int | INT32 | bool | "quantity" | "any" | Struct | ListOf | MapOf
INT32 = "int32"  # an int field Go declares int32 (its errors name the type; wider numbers fail)


class ShapeError(ValueError):
    pass


class Struct:
    def __init__(self, go_type: str, **fields: Schema) -> None:
        self.go_type, self.fields = go_type, fields


class ListOf:
    def __init__(self, item: Schema) -> None:
        self.item = item


class MapOf:
    def __init__(self, value: Schema) -> None:
        self.value = value


QUANTITIES = MapOf("quantity")
STRINGS = MapOf(str)
META = Struct(
    "v1.ObjectMeta",
    name=str,
    generateName=str,
    namespace=str,
    labels=STRINGS,
    annotations=STRINGS,
    uid=str,
    resourceVersion=str,
    finalizers=ListOf(str),
    ownerReferences=ListOf("any"),
)
KEY_REF = Struct("v1.KeySelector", name=str, key=str, optional=bool)
ENV = Struct(
    "v1.EnvVar",
    name=str,
    value=str,
    valueFrom=Struct(
        "v1.EnvVarSource",
        fieldRef=Struct("v1.ObjectFieldSelector", fieldPath=str),
        secretKeyRef=KEY_REF,
        configMapKeyRef=KEY_REF,
    ),
)
NAME_REF = Struct("v1.LocalObjectReference", name=str, optional=bool)
CONTAINER = Struct(
    "v1.Container",
    name=str,
    image=str,
    command=ListOf(str),
    args=ListOf(str),
    workingDir=str,
    env=ListOf(ENV),
    envFrom=ListOf(Struct("v1.EnvFromSource", prefix=str, configMapRef=NAME_REF, secretRef=NAME_REF)),
    resources=Struct("v1.ResourceRequirements", requests=QUANTITIES, limits=QUANTITIES),
    volumeMounts=ListOf(Struct("v1.VolumeMount", name=str, mountPath=str)),
    ports=ListOf(Struct("v1.ContainerPort", containerPort=INT32, hostPort=INT32, protocol=str, name=str)),
    imagePullPolicy=str,
    restartPolicy=str,
)
REQUIREMENT = Struct("v1.NodeSelectorRequirement", key=str, operator=str, values=ListOf(str))
AFFINITY = Struct(
    "v1.Affinity",
    nodeAffinity=Struct(
        "v1.NodeAffinity",
        requiredDuringSchedulingIgnoredDuringExecution=Struct(
            "v1.NodeSelector",
            nodeSelectorTerms=ListOf(
                Struct(
                    "v1.NodeSelectorTerm",
                    matchExpressions=ListOf(REQUIREMENT),
                    matchFields=ListOf(REQUIREMENT),
                )
            ),
        ),
    ),
    podAffinity="any",
    podAntiAffinity="any",
)
TAINT = Struct("v1.Taint", key=str, value=str, effect=str)
TOLERATION = Struct("v1.Toleration", key=str, operator=str, value=str, effect=str, tolerationSeconds=int)
POD_SPEC = Struct(
    "v1.PodSpec",
    containers=ListOf(CONTAINER),
    initContainers=ListOf(CONTAINER),
    ephemeralContainers=ListOf("any"),
    nodeSelector=STRINGS,
    nodeName=str,
    serviceAccountName=str,
    serviceAccount=str,
    schedulerName=str,
    priorityClassName=str,
    restartPolicy=str,
    preemptionPolicy=str,
    priority=INT32,
    activeDeadlineSeconds=int,
    terminationGracePeriodSeconds=int,
    overhead=QUANTITIES,
    affinity=AFFINITY,
    tolerations=ListOf(TOLERATION),
    imagePullSecrets=ListOf(NAME_REF),
    volumes=ListOf(
        Struct(
            "v1.Volume",
            name=str,
            persistentVolumeClaim=Struct(
                "v1.PersistentVolumeClaimVolumeSource", claimName=str, readOnly=bool
            ),
            secret=Struct("v1.SecretVolumeSource", secretName=str, optional=bool),
            configMap=Struct("v1.ConfigMapVolumeSource", name=str, optional=bool),
        )
    ),
    securityContext="any",
)

SCHEMAS: dict[str, Struct] = {
    "Pod": Struct("v1.Pod", metadata=META, spec=POD_SPEC, status="any"),
    "PersistentVolumeClaim": Struct(
        "v1.PersistentVolumeClaim",
        metadata=META,
        status="any",
        spec=Struct(
            "v1.PersistentVolumeClaimSpec",
            accessModes=ListOf(str),
            storageClassName=str,
            volumeName=str,
            volumeMode=str,
            resources=Struct("v1.VolumeResourceRequirements", requests=QUANTITIES, limits=QUANTITIES),
        ),
    ),
    "ResourceQuota": Struct(
        "v1.ResourceQuota",
        metadata=META,
        spec=Struct(
            "v1.ResourceQuotaSpec",
            hard=QUANTITIES,
            scopes=ListOf(str),
            scopeSelector=Struct(
                "v1.ScopeSelector",
                matchExpressions=ListOf(
                    Struct(
                        "v1.ScopedResourceSelectorRequirement",
                        scopeName=str,
                        operator=str,
                        values=ListOf(str),
                    )
                ),
            ),
        ),
        status=Struct("v1.ResourceQuotaStatus", hard=QUANTITIES, used=QUANTITIES),
    ),
    "LimitRange": Struct(
        "v1.LimitRange",
        metadata=META,
        spec=Struct(
            "v1.LimitRangeSpec",
            limits=ListOf(
                Struct(
                    "v1.LimitRangeItem",
                    type=str,
                    max=QUANTITIES,
                    min=QUANTITIES,
                    default=QUANTITIES,
                    defaultRequest=QUANTITIES,
                    maxLimitRequestRatio=QUANTITIES,
                )
            ),
        ),
    ),
    "Node": Struct(
        "v1.Node",
        metadata=META,
        spec=Struct("v1.NodeSpec", unschedulable=bool, taints=ListOf(TAINT)),
        status=Struct(
            "v1.NodeStatus",
            allocatable=QUANTITIES,
            capacity=QUANTITIES,
            addresses=ListOf(Struct("v1.NodeAddress", type=str, address=str)),
            nodeInfo=STRINGS,
            conditions=ListOf("any"),
        ),
    ),
    "Secret": Struct("v1.Secret", metadata=META, data=STRINGS, stringData=STRINGS, type=str),
    "ConfigMap": Struct("v1.ConfigMap", metadata=META, data=STRINGS, binaryData=STRINGS),
    "ServiceAccount": Struct("v1.ServiceAccount", metadata=META, imagePullSecrets=ListOf(NAME_REF)),
    "PriorityClass": Struct(
        "v1.PriorityClass",
        metadata=META,
        value=INT32,
        globalDefault=bool,
        preemptionPolicy=str,
        description=str,
    ),
    "RuntimeClass": Struct(
        "v1.RuntimeClass",
        metadata=META,
        handler=str,
        overhead=Struct("v1.Overhead", podFixed=QUANTITIES),
        scheduling=Struct("v1.Scheduling", nodeSelector=STRINGS, tolerations=ListOf(TOLERATION)),
    ),
    "StorageClass": Struct("v1.StorageClass", metadata=META, provisioner=str, volumeBindingMode=str),
    "Event": Struct("v1.Event", metadata=META, involvedObject="any", reason=str, message=str, type=str),
}
DEFAULT = Struct("v1.Object", metadata=META)

_JSON_NAMES = {str: "string", bool: "bool", int: "number", float: "number", list: "array", dict: "object"}
_GO_NAMES = {str: "string", bool: "bool", int: "int64", INT32: "int32"}


def _json_name(value: Any) -> str:
    return _JSON_NAMES.get(type(value), "value")


def _go_name(schema: Schema) -> str:
    if isinstance(schema, Struct):
        return schema.go_type
    if isinstance(schema, ListOf):
        return "[]" + _go_name(schema.item)
    if isinstance(schema, MapOf):
        return "map[string]" + _go_name(schema.value)
    if schema == "quantity":
        return "resource.Quantity"
    return _GO_NAMES.get(schema, "interface {}")


def _fail(value: Any, struct: str, path: str, schema: Schema) -> ShapeError:
    where = f"{struct.split('.')[-1]}.{path}" if path else struct
    return ShapeError(
        f"json: cannot unmarshal {_json_name(value)} into Go struct field {where} of type {_go_name(schema)}"
    )


def json_copy(value: Any) -> Any:
    """A deep copy of JSON data (dicts, lists, scalars), about five times faster than
    copy.deepcopy."""
    if isinstance(value, dict):
        return {key: json_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_copy(item) for item in value]
    return value


def _check(value: Any, schema: Schema, struct: str, path: str) -> Any:
    """A copy of the value with nulls dropped; ShapeError when it cannot decode into `schema`.

    Everything is copied (unknown fields and "any" values too), so the caller owns the result
    and seeding needs no copy of its own. Seeding a 150,000-pod cluster file runs this over
    some 6 million values: the common cases (a string where a string belongs, a map of
    strings) are checked inline, and a field's path is spelled only when descending into it."""
    if schema == "any":
        return json_copy(value)
    if schema == "quantity":
        return value  # quantities are parsed (with their own errors) by validation.decode
    if isinstance(schema, Struct):
        if not isinstance(value, dict):
            raise _fail(value, struct, path, schema)
        fields, go_type = schema.fields, schema.go_type
        out = {}
        for key, item in value.items():
            if item is None:
                continue
            child = fields.get(key)
            if child is None:
                out[key] = json_copy(item)  # unknown fields are kept untouched
            elif child is str and type(item) is str:
                out[key] = item
            else:
                out[key] = _check(item, child, go_type, f"{path}.{key}" if path else key)
        return out
    if isinstance(schema, ListOf):
        if not isinstance(value, list):
            raise _fail(value, struct, path, schema)
        item_schema = schema.item
        if item_schema is str:
            return [v if type(v) is str else _check(v, str, struct, path) for v in value if v is not None]
        return [_check(v, item_schema, struct, path) for v in value if v is not None]
    if isinstance(schema, MapOf):
        if not isinstance(value, dict):
            raise _fail(value, struct, path, schema)
        value_schema = schema.value
        if value_schema is str or value_schema == "quantity":
            return {
                k: v if type(v) is str else _check(v, value_schema, struct, path)
                for k, v in value.items()
                if v is not None
            }
        return {k: _check(v, value_schema, struct, path) for k, v in value.items() if v is not None}
    if schema == INT32:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise _fail(value, struct, path, schema)
        if not -(2**31) <= value < 2**31:  # encoding/json names the number that overflows
            raise ShapeError(str(_fail(value, struct, path, schema)).replace(
                "unmarshal number into", f"unmarshal number {value} into"))
        return value
    ok = isinstance(value, schema) and not (schema is int and isinstance(value, bool))
    if schema is int and isinstance(value, float) and value.is_integer():
        return int(value)
    if not ok:
        raise _fail(value, struct, path, schema)
    return value


def conform(kind: str, obj: Any) -> dict[str, Any]:
    """`obj` decoded as a `kind` (nulls dropped; a copy: `obj` is not changed, nor shared), or
    ShapeError with Go's decoder text."""
    schema = SCHEMAS.get(kind, DEFAULT)
    if not isinstance(obj, dict):
        raise ShapeError(f"json: cannot unmarshal {_json_name(obj)} into Go value of type {schema.go_type}")
    result = _check(obj, schema, schema.go_type, "")
    assert isinstance(result, dict)
    return result
