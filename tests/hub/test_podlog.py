"""hub.podlog's pure part: what of a crashed container's log reaches the message."""

from __future__ import annotations

from prevalidate.hub.podlog import MAX_LINE, MAX_TOTAL, TAIL_LINES, clip, previous_run


def test_the_last_lines_are_kept_with_credentials_masked() -> None:
    text = "\n".join(f"line {n}" for n in range(50)) + "\nusing token=abc123 and password: hunter2\n"
    lines = clip(text)
    shown = "\n".join(lines)
    assert len(lines) == TAIL_LINES
    assert lines[-1] == "using token=*** and password: ***"
    assert "abc123" not in shown and "hunter2" not in shown
    assert lines[0] == "line 31"


def test_long_lines_and_long_logs_are_bounded() -> None:
    shown = clip("\n".join("x" * 5000 for _ in range(20)))
    assert all(len(line) <= MAX_LINE for line in shown)
    assert sum(len(line) + 1 for line in shown) <= MAX_TOTAL
    assert shown  # the last lines, not nothing


def test_control_characters_and_blank_lines_are_dropped() -> None:
    assert clip("\x1b[31mred\x1b[0m\n\n   \nend\r\n") == ("[31mred[0m", "end")


def test_the_crashed_run_is_the_previous_one_unless_the_container_is_terminated_now() -> None:
    waiting = {"status": {"containerStatuses": [{"name": "notebook", "state": {"waiting": {}}}]}}
    ended = {"status": {"containerStatuses": [{"name": "notebook", "state": {"terminated": {}}}]}}
    assert previous_run(waiting, "notebook") is True
    assert previous_run(ended, "notebook") is False
    assert previous_run(None, "notebook") is False


def test_the_message_puts_each_log_line_on_its_own_marked_line() -> None:
    from prevalidate.messages.rejection import Rejection
    from prevalidate.model.findings import Code, Finding, Severity, Verdict

    log = clip("Traceback:\n• Your server is fine\nsecret: s3cr3t\n")
    finding = Finding(Code.CONTAINER_CRASHED, Severity.ERROR, facts={"exit_code": 3, "log": log})
    rejection = Rejection.of(Verdict.of([finding]), "")
    assert rejection.text().splitlines()[1:] == [
        "• Your server stopped before it was ready (exit code 3). Check the image and your start-up "
        "files (.bashrc, startup scripts), or choose another image. Last lines of its log:",
        "  | Traceback:",
        "  | • Your server is fine",
        "  | secret: ***",
    ]
    assert "<br>  | Traceback:<br>" in rejection.html()
