"""Wording for the objects a pod names: images, PVCs, secrets and config maps.

Pure, no I/O here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..amounts import names_list
from ..model.findings import Code


def image(code: Code) -> Callable[[Mapping[str, Any]], str]:
    def render(f: Mapping[str, Any]) -> str:
        image, registry = f.get("image"), f.get("registry") or "its registry"
        if code is Code.IMAGE_REFERENCE_INVALID:
            return (
                f'"{image}" is not a valid image name ({f.get("reason")}). Use the form '
                "registry/name:tag, for example quay.io/jupyter/scipy-notebook:latest."
            )
        if code is Code.IMAGE_REGISTRY_NOT_ALLOWED:
            if f.get("allowed") and "not one of the allowed" in str(f.get("reason")):
                return (
                    f"Images from {registry} cannot be used on this hub. "
                    "Use an image from an allowed registry: "
                    f"{names_list(f['allowed'])}."
                )
            return f"The image {image} was not checked: {f.get('reason')}."
        if code is Code.IMAGE_NOT_FOUND:
            tags = f.get("suggestions") or []
            hint = (
                f" Choose a tag that exists: {names_list(tags)}." if tags else " Check the name and the tag."
            )
            return f"The image {image} does not exist in {registry}.{hint}"
        if code is Code.IMAGE_ACCESS_DENIED:
            if f.get("ambiguous"):
                return (
                    f"{registry} says the image {image} does not exist or is private. Your server will "
                    "still try to start, but it may fail to pull the image; check the name."
                )
            return (
                f"{registry} refused access to the image {image} with the pull secrets of your "
                "namespace. Use an image you have access to."
            )
        if code is Code.IMAGE_PLATFORM_UNSUPPORTED:
            return (
                f"The image {image} is built for {names_list(f['image_platforms'])} only, but the nodes your "
                f"server can run on are {names_list(f['node_platforms'])}. Choose an image built for them."
            )
        return f"The image {image} could not be checked ({f.get('detail') or 'no answer'}); starting anyway."

    return render


def pvc(code: Code) -> Callable[[Mapping[str, Any]], str]:
    def render(f: Mapping[str, Any]) -> str:
        claim = f.get("claim")
        if code is Code.PVC_NOT_FOUND:
            text = f'The volume claim "{claim}" does not exist in namespace {f.get("namespace")}.'
            if f.get("closest"):
                text += f' Did you mean "{f["closest"]}"?'
            existing = f.get("existing") or []
            return text + (
                f" PVCs in your namespace: {names_list(existing)}."
                if existing
                else " Your namespace has no PVCs."
            )
        if code is Code.PVC_TERMINATING:
            return f'The volume claim "{claim}" is being deleted. Choose another volume.'
        if code is Code.PVC_NOT_BOUND:
            state = f.get("state")
            if state == "lost":
                return (
                    f'The volume claim "{claim}" has lost its volume (phase Lost) and cannot be mounted. '
                    "Choose another volume, or ask your administrator to restore it."
                )
            which = f'"{claim}"'
            which = f"Your server's new volume claim {which}" if f.get("new") else f"The volume claim {which}"
            if state == "no-storage-class":
                classes = names_list(f.get("storage_classes") or []) or "none"
                return (
                    f'{which} asks for storage class "{f["storage_class"]}", which has no StorageClass '
                    f"object (storage classes: {classes}), so no volume is created for it: it can only "
                    f'bind to a PersistentVolume of class "{f["storage_class"]}" made by an administrator. '
                    "If there is none, your server will wait for it."
                )
            if state == "no-class":
                why = (
                    'asks for no storage class (storageClassName: "")'
                    if f.get("explicit_none")
                    else "names no storage class and the cluster has no default one"
                )
                return (
                    f"{which} {why}, so it can only "
                    "bind to a PersistentVolume without a class made by an administrator. If there is "
                    "none, your server will wait for it."
                )
            return f'The volume claim "{claim}" is not bound to a volume yet; your server may wait for it.'
        pods = names_list(f.get("pods") or [])
        if f.get("nodes"):
            return (
                f'The volume claim "{claim}" is in use by {pods} and can be attached to only one node; '
                "your server may not be able to mount it."
            )
        return (
            f'The volume claim "{claim}" can be used by one pod only and is in use by {pods}. '
            "Stop that server first, or choose another volume."
        )

    return render


def object_missing(kind: str) -> Callable[[Mapping[str, Any]], str]:
    def render(f: Mapping[str, Any]) -> str:
        hint = (
            f' Did you mean "{f["closest"]}"?'
            if f.get("closest")
            else " Remove it from your options, or ask your administrator to create it."
        )
        return (
            f'The {kind} "{f["name"]}" (needed by {f.get("where")}) does not exist in namespace '
            f"{f.get('namespace')}.{hint}"
        )

    return render


def key_missing(kind: str) -> Callable[[Mapping[str, Any]], str]:
    def render(f: Mapping[str, Any]) -> str:
        name, key, where = f["name"], f["key"], f.get("where")
        if f.get("binary_only"):
            return (
                f'The {kind} "{name}" holds "{key}" as binary data, which {where} cannot read '
                f'(environment variables read only text data). Ask your administrator to store "{key}" '
                "as text data, or mount it as a volume instead."
            )
        text = (
            f'The {kind} "{name}" in namespace {f.get("namespace")} has no key "{key}" (needed by {where}).'
        )
        keys = f.get("keys") or []
        if f.get("closest"):
            return text + f' Did you mean "{f["closest"]}"? Its keys: {names_list(keys)}.'
        if keys:
            return text + (
                f' Its keys: {names_list(keys)}. Use one of them, or ask your administrator to add "{key}".'
            )
        return text + f' It has no keys at all. Ask your administrator to add "{key}".'

    return render
