"""``c.Prevalidator.admission_plugins`` / ``admission_config``: what the hub admin states about
the cluster's admission plugins reaches the checks, and a typo stops the hub at start."""

from __future__ import annotations

import pytest
from factories import base_objects, node, pod, runtime_class, taint, verdict
from traitlets import TraitError
from traitlets.config import Config

from prevalidate.hub.config import Prevalidator
from prevalidate.messages.rejection import status_for

GPU_NODE = node("gpu-1", extra={"nvidia.com/gpu": "1"}, taints=[taint("nvidia.com/gpu", "present")])


def configured(**traits: object) -> Prevalidator:
    config = Config()
    for name, value in traits.items():
        setattr(config.Prevalidator, name, value)
    return Prevalidator(config=config)


def test_stating_extended_resource_toleration_off_rejects_the_untolerated_gpu_pod() -> None:
    gpu_pod = pod(limits={"nvidia.com/gpu": "1"})
    objects = [*base_objects(), GPU_NODE]
    assert verdict(gpu_pod, objects, settings=configured().settings()).allowed
    stated = configured(admission_plugins={"ExtendedResourceToleration": "off"}).settings()
    assert [f.code.value for f in verdict(gpu_pod, objects, settings=stated).errors] == ["no-node-fits"]


def test_the_node_selector_configuration_applies_once_the_plugin_is_on() -> None:
    config = {"PodNodeSelector": {"podNodeSelectorPluginConfig": {"clusterDefaultNodeSelector": "pool=gpu"}}}
    objects = [*base_objects(), node("cpu-1", labels={"pool": "standard"})]
    assert verdict(pod(), objects, settings=configured(admission_config=config).settings()).allowed
    stated = configured(admission_config=config, admission_plugins={"PodNodeSelector": "on"}).settings()
    assert not verdict(pod(), objects, settings=stated).allowed


def test_an_admission_refusal_is_a_403_as_the_apiserver_answers() -> None:
    v = verdict(pod(runtimeClassName="gvisr"), [*base_objects(), node(), runtime_class("gvisor")])
    assert [f.code.value for f in v.errors] == ["runtimeclass-not-found"]
    assert status_for(v) == 403


@pytest.mark.parametrize(
    ("trait", "value", "says"),
    [
        ("admission_plugins", {"ExtendedResourceTolerations": "off"}, "unknown admission plugin"),
        ("admission_plugins", {"RuntimeClass": "yes"}, "not one of on, off, auto"),
        ("admission_config", {"PodNodeSelector": {"jhub": "pool gpu"}}, "invalid selector"),
        ("admission_config", {"RuntimeClass": {}}, "no configuration is read"),
    ],
)
def test_a_typo_stops_the_hub_at_start_with_the_reason(trait: str, value: object, says: str) -> None:
    with pytest.raises(TraitError, match=says):
        configured(**{trait: value})
