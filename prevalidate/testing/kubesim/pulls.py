"""Image pulls as the kubelet does them (pkg/kubelet/images): `Pulling` → `Pulled` (or
`already present on machine`), or `Failed` (containerd's text) + `Error: ErrImagePull` →
`BackOff` + `Error: ImagePullBackOff`, retried with a doubling back-off while the pod exists;
`InvalidImageName`; `ErrImageNeverPull`; pull secrets from the pod (`FailedToRetrieveImagePullSecret`).
A catalogue entry may make the first pulls of a pod fail transiently (`transientPullFailures`,
`transientPullError`: 429, 502, qps, timeout) and a pull slow (`pullSeconds`).
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from . import podstatus
from .credentials import credentials_for
from .images import InvalidImage, PullResult, parse_image, transient_error

if TYPE_CHECKING:
    from .kubelet import Kubelet

Obj = dict[str, Any]


async def ensure_image(
    kubelet: Kubelet, pod: Obj, container: Obj, status_key: str, index: int, node: Obj | None
) -> str:
    image, name = container.get("image", ""), container["name"]
    node_name = pod["spec"]["nodeName"]
    try:
        ref = parse_image(image)
    except InvalidImage as exc:
        kubelet.event(
            pod, "Warning", "InspectFailed", f'Failed to apply default image tag "{image}": {exc}', name
        )
        kubelet.event(pod, "Warning", "Failed", "Error: InvalidImageName", name)
        kubelet.set_container(
            pod,
            status_key,
            index,
            podstatus.waiting(
                container, "InvalidImageName", f'Failed to apply default image tag "{image}": {exc}'
            ),
        )
        await asyncio.Event().wait()  # never resolves by itself, as in the kubelet
        raise
    present = kubelet.present.setdefault(node_name, set())
    if str(ref) in present and container.get("imagePullPolicy") != "Always":
        kubelet.event(
            pod, "Normal", "Pulled", f'Container image "{image}" already present on machine', name
        )
        return f"{ref.host}/{ref.repository}@sha256:{'0' * 64}"
    if container.get("imagePullPolicy") == "Never":
        message = f'Container image "{image}" is not present with pull policy of Never'
        kubelet.event(pod, "Warning", "ErrImageNeverPull", message, name)
        kubelet.event(pod, "Warning", "Failed", "Error: ErrImageNeverPull", name)
        kubelet.set_container(pod, status_key, index,
                            podstatus.waiting(container, "ErrImageNeverPull", message))
        await asyncio.Event().wait()  # only a new pod can change this
    backoff = kubelet.settings.image_backoff
    entry = kubelet.resolver.entry(ref)
    attempts = 0  # the kubelet's back-off is per pod and image, so are these
    while True:
        secrets = pull_secrets(kubelet, pod)
        kubelet.event(pod, "Normal", "Pulling", f'Pulling image "{image}"', name)
        started = time.monotonic()
        attempts += 1
        if entry is not None and attempts <= entry.transient_failures:
            result = PullResult(False, transient_error(ref, entry.transient_error))
        else:
            result = await kubelet.resolver.resolve(
                ref, podstatus.node_platform(node),
                credentials_for(f"{ref.host}/{ref.repository}", secrets))
        if result.ok:
            slow = entry.pull_seconds if entry is not None and entry.pull_seconds is not None else None
            await asyncio.sleep(kubelet.settings.pull_seconds if slow is None else slow)
            took = f"{time.monotonic() - started:.3f}s"
            kubelet.event(
                pod,
                "Normal",
                "Pulled",
                f'Successfully pulled image "{image}" in {took} ({took} including '
                f"waiting). Image size: {result.size} bytes.",
                name,
            )
            present.add(str(ref))
            return f"{ref.host}/{ref.repository}@{result.digest}"
        kubelet.event(pod, "Warning", "Failed", f'Failed to pull image "{image}": {result.error}', name)
        kubelet.event(pod, "Warning", "Failed", "Error: ErrImagePull", name)
        kubelet.set_container(
            pod, status_key, index, podstatus.waiting(container, "ErrImagePull", result.error)
        )
        await asyncio.sleep(min(0.5, backoff / 4))  # next pod sync finds the back-off
        kubelet.event(pod, "Normal", "BackOff", f'Back-off pulling image "{image}"', name)
        kubelet.event(pod, "Warning", "Failed", "Error: ImagePullBackOff", name)
        kubelet.set_container(
            pod,
            status_key,
            index,
            podstatus.waiting(
                container,
                "ImagePullBackOff",
                f'Back-off pulling image "{image}": ErrImagePull: {result.error}',
            ),
        )
        await asyncio.sleep(backoff)
        backoff = min(backoff * 2, kubelet.settings.max_image_backoff)

def pull_secrets(kubelet: Kubelet, pod: Obj) -> list[Obj]:
    """The pod's imagePullSecrets that exist; a Warning names the missing ones."""
    ns = pod["metadata"]["namespace"]
    names = [ref.get("name", "") for ref in pod["spec"].get("imagePullSecrets") or []]
    found = [s for s in (kubelet.store.peek("secrets", ns, n) for n in names) if s is not None]
    missing = [n for n in names if kubelet.store.peek("secrets", ns, n) is None]
    if missing:
        kubelet.event(pod, "Warning", "FailedToRetrieveImagePullSecret",
                    f"Unable to retrieve some image pull secrets ({', '.join(missing)}); "
                    "attempting to pull the image may not succeed.")
    return found
