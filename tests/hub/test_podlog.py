"""hub.podlog's pure part: what of a crashed container's log reaches the message."""

from __future__ import annotations

from prevalidate.hub.podlog import MAX_LINE, MAX_TOTAL, TAIL_LINES, clip, previous_run


def test_the_last_lines_are_kept_with_credentials_masked() -> None:
    text = "\n".join(f"line {n}" for n in range(50)) + "\nusing token=abc123 and password: hunter2\n"
    shown = clip(text)
    lines = shown.splitlines()
    assert len(lines) == TAIL_LINES
    assert lines[-1] == "using token=*** and password: ***"
    assert "abc123" not in shown and "hunter2" not in shown
    assert lines[0] == "line 31"


def test_long_lines_and_long_logs_are_bounded() -> None:
    shown = clip("\n".join("x" * 5000 for _ in range(20)))
    assert all(len(line) <= MAX_LINE for line in shown.splitlines())
    assert len(shown) <= MAX_TOTAL
    assert shown  # the last lines, not nothing


def test_control_characters_and_blank_lines_are_dropped() -> None:
    assert clip("\x1b[31mred\x1b[0m\n\n   \nend\r\n") == "[31mred[0m\nend"


def test_the_crashed_run_is_the_previous_one_unless_the_container_is_terminated_now() -> None:
    waiting = {"status": {"containerStatuses": [{"name": "notebook", "state": {"waiting": {}}}]}}
    ended = {"status": {"containerStatuses": [{"name": "notebook", "state": {"terminated": {}}}]}}
    assert previous_run(waiting, "notebook") is True
    assert previous_run(ended, "notebook") is False
    assert previous_run(None, "notebook") is False
