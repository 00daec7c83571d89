"""Pull-secret credentials are chosen as the kubelet chooses them (registry-behaviour.md §4)."""

from __future__ import annotations

import base64
import json

import pytest

from prevalidate.registry.keyring import (
    DOCKERCFG,
    DOCKERCONFIGJSON,
    KeyringError,
    build_keyring,
    go_filepath_match,
    urls_match,
)


def dockerconfigjson(auths: dict[str, dict[str, str]]) -> tuple[str, str]:
    return DOCKERCONFIGJSON, json.dumps({"auths": auths})


def auth(user: str, password: str) -> dict[str, str]:
    return {"auth": base64.b64encode(f"{user}:{password}".encode()).decode()}


def users(secrets: list[tuple[str, str]], name: str) -> list[str]:
    return [c.username for c in build_keyring(secrets).lookup(name)]


def test_hub_key_from_docker_login_is_used_for_every_docker_hub_image() -> None:
    secrets = [dockerconfigjson({"https://index.docker.io/v1/": auth("hubuser", "pw")})]
    assert users(secrets, "docker.io/library/ubuntu") == ["hubuser"]
    assert users(secrets, "docker.io/jupyter/base-notebook") == ["hubuser"]
    assert users(secrets, "quay.io/jupyter/base-notebook") == []


def test_more_specific_paths_come_first_and_all_matches_are_returned() -> None:
    secrets = [
        dockerconfigjson({"quay.io": auth("broad", "a")}),
        dockerconfigjson({"quay.io/jupyter": auth("narrow", "b")}),
    ]
    assert users(secrets, "quay.io/jupyter/scipy") == ["narrow", "broad"]
    assert users(secrets, "quay.io/other/img") == ["broad"]


def test_path_prefix_is_a_plain_string_prefix() -> None:
    secrets = [dockerconfigjson({"host.example/images": auth("u", "p")})]
    assert users(secrets, "host.example/images2/x") == ["u"]


def test_port_must_match_exactly() -> None:
    secrets = [dockerconfigjson({"registry.example:5000": auth("u", "p")})]
    assert users(secrets, "registry.example:5000/app") == ["u"]
    assert users(secrets, "registry.example/app") == []
    assert users([dockerconfigjson({"registry.example": auth("u", "p")})], "registry.example:443/app") == []


def test_wildcard_matches_exactly_one_label() -> None:
    secrets = [dockerconfigjson({"*.kubernetes.io": auth("u", "p")})]
    assert users(secrets, "abc.kubernetes.io/img") == ["u"]
    assert users(secrets, "kubernetes.io/img") == []
    assert users(secrets, "a.b.kubernetes.io/img") == []


def test_auth_field_overrides_username_and_password_and_may_be_unpadded() -> None:
    unpadded = base64.b64encode(b"real:pass:with:colons").decode().rstrip("=")
    entry = {"username": "ignored", "password": "ignored", "auth": unpadded}
    cred = build_keyring([dockerconfigjson({"r.example": entry})]).lookup("r.example/x")[0]
    assert (cred.username, cred.password) == ("real", "pass:with:colons")


def test_legacy_dockercfg_has_no_auths_wrapper() -> None:
    secret = (DOCKERCFG, json.dumps({"r.example": {"username": "u", "password": "p"}}))
    assert users([secret], "r.example/x") == ["u"]


def test_secret_needs_both_the_right_type_and_content() -> None:
    text = json.dumps({"auths": {"r.example": auth("u", "p")}})
    assert users([("Opaque", text)], "r.example/x") == []
    assert users([(DOCKERCFG, text)], "r.example/x") == []  # wrong shape for its type
    assert users([(DOCKERCONFIGJSON, "")], "r.example/x") == []


def test_invalid_json_fails_the_whole_keyring_without_echoing_the_secret() -> None:
    with pytest.raises(KeyringError) as excinfo:
        build_keyring([(DOCKERCONFIGJSON, '{"auths": {"r": {"password": "CANARY-9f2"')])
    assert "CANARY" not in str(excinfo.value) and excinfo.value.__cause__ is None


def test_auth_without_colon_is_an_error() -> None:
    bad = {"auth": base64.b64encode(b"nocolon").decode()}
    with pytest.raises(KeyringError, match="base64"):
        build_keyring([dockerconfigjson({"r.example": bad})])


def test_credential_repr_hides_the_password() -> None:
    cred = build_keyring([dockerconfigjson({"r.example": auth("u", "CANARY-pw")})]).lookup("r.example/x")[0]
    assert "CANARY" not in repr(cred) and "CANARY" not in cred.fingerprint


def test_same_key_in_two_secrets_keeps_both_in_secret_order() -> None:
    secrets = [
        dockerconfigjson({"r.example": auth("first", "a")}),
        dockerconfigjson({"https://r.example/v2/": auth("second", "b")}),
    ]
    assert users(secrets, "r.example/x") == ["first", "second"]


@pytest.mark.parametrize(
    ("pattern", "name", "matched"),
    [
        ("*", "abc", True),
        ("a?c", "abc", True),
        ("[a-c]bc", "bbc", True),
        ("[^a]bc", "abc", False),
        ("[", "a", False),
        ("a\\*", "a*", True),
    ],
)
def test_go_filepath_match(pattern: str, name: str, matched: bool) -> None:
    assert go_filepath_match(pattern, name) is matched


def test_urls_match_uses_the_same_rules_for_hosts_with_ports() -> None:
    assert urls_match("127.0.0.1:5000", "127.0.0.1:5000/test/hello")
    assert not urls_match("127.0.0.1", "127.0.0.1:5000/test/hello")
