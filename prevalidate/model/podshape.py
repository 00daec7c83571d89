"""The shape of a pod manifest: the fields the checks read must have the types the API defines.

Pure, no I/O here. The apiserver decodes a pod into Go structs and refuses one whose fields
have the wrong JSON types with a 400 before anything else runs (``json: cannot unmarshal
number into Go struct field EnvVar.spec.containers.env.value of type string``). We do the same
up front, so the checks can trust the shape, a YAML slip (``value: 1``, ``gpu: true`` in a node
selector, a list where ``requiredDuringSchedulingIgnoredDuringExecution`` wants an object) is
named instead of surfacing as a raw ApiException or a misleading scheduling finding, and hostile
input (``containers: [x]``) becomes ``input-invalid`` instead of a traceback.

``POD`` lists every field any check reads, with its Go type from k8s.io/api/core/v1/types.go
(and metav1.LabelSelector); ``jsonshape`` says what the decoder accepts (``null`` anywhere, an
integral float for an integer, a number for a quantity) and ignores fields not listed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .jsonshape import BOOL, INT, QTY, STR, ListOf, MapOf, Problems, kind_of, obj, problems

_LOCAL_REF = obj(name=STR)  # LocalObjectReference
_KEY_TO_PATH = obj(key=STR, path=STR, mode=INT)
_KEY_SELECTOR = obj(name=STR, key=STR, optional=BOOL)  # ConfigMapKeySelector, SecretKeySelector
_ENV_SOURCE = obj(name=STR, optional=BOOL)  # ConfigMapEnvSource, SecretEnvSource
_RESOURCES = obj(requests=MapOf(QTY), limits=MapOf(QTY))  # ResourceRequirements
_REQUIREMENT = obj(key=STR, operator=STR, values=ListOf(STR))  # NodeSelectorRequirement
_NODE_TERM = obj(matchExpressions=ListOf(_REQUIREMENT), matchFields=ListOf(_REQUIREMENT))
_LABEL_SELECTOR = obj(
    matchLabels=MapOf(STR),
    matchExpressions=ListOf(obj(key=STR, operator=STR, values=ListOf(STR))),
)
_POD_TERM = obj(  # PodAffinityTerm
    labelSelector=_LABEL_SELECTOR,
    namespaces=ListOf(STR),
    topologyKey=STR,
    namespaceSelector=_LABEL_SELECTOR,
    matchLabelKeys=ListOf(STR),
    mismatchLabelKeys=ListOf(STR),
)
_POD_AFFINITY = obj(
    requiredDuringSchedulingIgnoredDuringExecution=ListOf(_POD_TERM),
    preferredDuringSchedulingIgnoredDuringExecution=ListOf(obj(weight=INT, podAffinityTerm=_POD_TERM)),
)
_AFFINITY = obj(
    nodeAffinity=obj(
        requiredDuringSchedulingIgnoredDuringExecution=obj(nodeSelectorTerms=ListOf(_NODE_TERM)),
        preferredDuringSchedulingIgnoredDuringExecution=ListOf(obj(weight=INT, preference=_NODE_TERM)),
    ),
    podAffinity=_POD_AFFINITY,
    podAntiAffinity=_POD_AFFINITY,
)
_CONTAINER = obj(
    name=STR,
    image=STR,
    command=ListOf(STR),
    args=ListOf(STR),
    workingDir=STR,
    imagePullPolicy=STR,
    restartPolicy=STR,
    resources=_RESOURCES,
    ports=ListOf(obj(containerPort=INT, hostPort=INT, name=STR, protocol=STR, hostIP=STR)),
    env=ListOf(
        obj(
            name=STR,
            value=STR,
            valueFrom=obj(secretKeyRef=_KEY_SELECTOR, configMapKeyRef=_KEY_SELECTOR),
        )
    ),
    envFrom=ListOf(obj(prefix=STR, configMapRef=_ENV_SOURCE, secretRef=_ENV_SOURCE)),
    volumeMounts=ListOf(obj(name=STR, mountPath=STR, subPath=STR, subPathExpr=STR, readOnly=BOOL)),
)
_PROJECTION = obj(items=ListOf(_KEY_TO_PATH), name=STR, optional=BOOL)  # Secret/ConfigMapProjection
_VOLUME = obj(
    name=STR,
    secret=obj(secretName=STR, items=ListOf(_KEY_TO_PATH), optional=BOOL),
    configMap=obj(name=STR, items=ListOf(_KEY_TO_PATH), optional=BOOL),
    persistentVolumeClaim=obj(claimName=STR, readOnly=BOOL),
    projected=obj(sources=ListOf(obj(secret=_PROJECTION, configMap=_PROJECTION))),
)
POD_SPEC = obj(
    containers=ListOf(_CONTAINER),
    initContainers=ListOf(_CONTAINER),
    volumes=ListOf(_VOLUME),
    imagePullSecrets=ListOf(_LOCAL_REF),
    tolerations=ListOf(obj(key=STR, operator=STR, value=STR, effect=STR, tolerationSeconds=INT)),
    nodeSelector=MapOf(STR),
    affinity=_AFFINITY,
    resources=_RESOURCES,
    overhead=MapOf(QTY),
    serviceAccountName=STR,
    serviceAccount=STR,
    priorityClassName=STR,
    priority=INT,
    preemptionPolicy=STR,
    runtimeClassName=STR,
    nodeName=STR,
    schedulerName=STR,
    restartPolicy=STR,
    activeDeadlineSeconds=INT,
)
METADATA = obj(
    name=STR,
    generateName=STR,
    namespace=STR,
    labels=MapOf(STR),
    annotations=MapOf(STR),
    deletionTimestamp=STR,
)
POD = obj(apiVersion=STR, kind=STR, metadata=METADATA, spec=POD_SPEC, status=obj(phase=STR))


def shape_problems(pod: Any) -> Problems:
    """(field path, what is wrong) for every mistyped field the checks would read."""
    if not isinstance(pod, Mapping):
        return [("", f"a Pod must be an object, not {kind_of(pod)}")]
    return problems(pod, POD)
