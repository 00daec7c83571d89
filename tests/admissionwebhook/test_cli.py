"""``prevalidate webhook certs | serve`` as an operator runs them: real processes, kubesim as
the cluster (through a kubeconfig), HTTPS verified with the CA ``certs`` wrote."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import ssl
import sys
from pathlib import Path

import httpx
import pytest

from prevalidate.cli import build_parser, main
from prevalidate.cliflags import apply_config_file
from prevalidate.testing.kubesim import KubeSim

from .conftest import BAD_PODS, example_pod, review

PREVALIDATE = [sys.executable, "-m", "prevalidate.cli"]


def test_certs_writes_the_three_files_and_prints_the_ca_bundle(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["webhook", "certs", "--service", "pv", "--namespace", "jhub", "--out", str(tmp_path / "c")])
        == 0
    )
    out = capsys.readouterr().out.splitlines()
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == ["ca.crt", "tls.crt", "tls.key"]
    assert out[1].startswith("caBundle: LS0tLS1CRUdJTi")  # base64 of "-----BEGIN"


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["webhook", "serve"], "--cert and --key are needed"),
        (
            ["webhook", "serve", "--cert", "/nonexistent.crt", "--key", "/nonexistent.key"],
            "cannot load --cert/--key",
        ),
        (
            ["webhook", "serve", "--insecure-dev-http", "--node-pools", "/nonexistent.yaml"],
            "nonexistent.yaml",
        ),
        (["webhook", "serve", "--insecure-dev-http", "--admission-plugin", "Nope"], "--admission-plugin"),
        (["webhook", "serve", "--insecure-dev-http", "--review-budget", "0"], "--review-budget"),
        (
            ["webhook", "certs", "--service", "pv", "--namespace", "jhub", "--out", "/proc/no"],
            "webhook certs",
        ),
    ],
)
def test_unusable_input_is_one_line_and_exit_2(
    argv: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err and "Traceback" not in err


def _options(parser: argparse.ArgumentParser) -> dict[str, tuple[object, object, object]]:
    return {
        a.option_strings[0]: (a.default, a.choices, a.help)
        for a in parser._actions
        if a.option_strings and a.dest not in ("help",)
    }


def test_serve_takes_the_settings_flags_of_check_unchanged() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    check = _options(sub.choices["check"])
    webhook = next(a for a in sub.choices["webhook"]._actions if isinstance(a, argparse._SubParsersAction))
    serve = _options(webhook.choices["serve"])
    shared = [
        "--allow-registry",
        "--insecure-registry",
        "--node-pools",
        "--capacity-policy",
        "--time-budget",
        "--admin-contact",
        "--admission-plugin",
        "--admission-config",
    ]
    for flag in shared:
        assert serve[flag] == check[flag], flag


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_serve_answers_reviews_over_https_and_stops_on_sigterm(
    example_sim: KubeSim, tmp_path: Path
) -> None:
    kubeconfig = example_sim.write_kubeconfig(tmp_path / "kubeconfig")
    assert (
        main(
            [
                "webhook",
                "certs",
                "--service",
                "pv",
                "--namespace",
                "jhub",
                "--out",
                str(tmp_path),
                "--host",
                "127.0.0.1",
            ]
        )
        == 0
    )
    port = free_port()
    env = {**os.environ, "KUBECONFIG": str(kubeconfig)}
    env.pop("KUBERNETES_SERVICE_HOST", None)
    process = await asyncio.create_subprocess_exec(
        *PREVALIDATE,
        "webhook",
        "serve",
        "--cert",
        str(tmp_path / "tls.crt"),
        "--key",
        str(tmp_path / "tls.key"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--offline",
        "--admin-contact",
        "Ask us.",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        verify = ssl.create_default_context(cafile=str(tmp_path / "ca.crt"))
        async with httpx.AsyncClient(verify=verify, timeout=60) as http:
            url = f"https://127.0.0.1:{port}"
            for _ in range(1200):  # ready once the caches synced (generous on a loaded machine)
                try:
                    if (await http.get(f"{url}/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert process.returncode is None, (await process.stderr.read()).decode()  # type: ignore[union-attr]
                await asyncio.sleep(0.05)
            else:
                raise AssertionError("the webhook did not become ready")
            for pod in BAD_PODS:
                reply = await http.post(f"{url}/validate", json=review(example_pod(pod)))
                response = reply.json()["response"]
                assert response["allowed"] is False and response["status"]["message"].endswith("Ask us.")
            reply = await http.post(f"{url}/validate", json=review(example_pod("valid")))
            assert reply.json()["response"]["allowed"] is True
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 60)
    stderr = (await process.stderr.read()).decode()  # type: ignore[union-attr]
    assert code == 0, stderr
    assert "Traceback" not in stderr


def serve_args(argv: list[str]) -> tuple[argparse.ArgumentParser, argparse.Namespace]:
    args = build_parser().parse_args(["webhook", "serve", *argv])
    return args.serve_parser, args


def test_a_config_file_fills_what_the_command_line_leaves_out(tmp_path: Path) -> None:
    config = tmp_path / "serve.yaml"
    config.write_text(
        "allow-registry: [quay.io, ghcr.io]\ncapacity-policy: warn\ntime-budget: 1.5\nwarn-only: true\n"
        "admin-contact: Write to us.\nport: 9443\n"
    )
    parser, args = serve_args(["--config", str(config), "--allow-registry", "docker.io", "--port", "8444"])
    apply_config_file(parser, args, str(config))
    assert args.allow_registry == ["quay.io", "ghcr.io", "docker.io"]
    assert (args.capacity_policy, args.time_budget, args.warn_only) == ("warn", 1.5, True)
    assert args.admin_contact == "Write to us." and args.port == 8444  # the command line wins


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("- a list\n", "one mapping"),
        ("allow-registy: [quay.io]\n", "unknown option 'allow-registy'"),
        ("capacity-policy: maybe\n", "must be one of reject, warn"),
        ("time-budget: soon\n", "is not a valid value"),
        ("warn-only: 'yes'\n", "true or false"),
        ("allow-registry: [{a: 1}]\n", "list of strings"),
        ("port: [1]\n", "single value"),
        ("a: [\n", "not valid YAML"),
    ],
)
def test_a_bad_config_file_is_one_line_and_exit_2(
    tmp_path: Path, text: str, words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "serve.yaml"
    config.write_text(text)
    assert main(["webhook", "serve", "--insecure-dev-http", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and words in err, err
