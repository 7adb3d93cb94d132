"""A pytest plugin for runs that may be cut short (the GPU check's one short slot): one JSON line
per test, written and flushed the moment the test ends, so a run killed at its time limit keeps
every result it got (pytest's --junitxml is written only at the very end); and a time limit per
test, so that one hung test cannot use up a whole step.

    python -m pytest -p tests.helpers.incremental_results --results-jsonl out.jsonl \\
        --results-step ops --test-timeout 30 tests/...     # from the repository root

--test-timeout S: a test still running after S seconds fails with TestTimedOut (SIGALRM, raised
in Python code). A test stuck inside one C call (a hung GPU kernel) cannot be interrupted that
way: after S + 15 seconds faulthandler prints every thread's stack and ends the process, which
keeps the lines already written.
"""
import faulthandler
import json
import os
import signal

import pytest


class TestTimedOut(Exception):
    """A test ran past --test-timeout."""

    __test__ = False  # not a test class, whatever its name


def pytest_addoption(parser):
    group = parser.getgroup("incremental results")
    group.addoption("--results-jsonl", metavar="PATH",
                    help="append one JSON line per test to PATH as soon as it ends")
    group.addoption("--results-step", default="", help="a label for every line (the step)")
    group.addoption("--test-timeout", type=float, default=0.0, metavar="S",
                    help="fail a test that runs longer than S seconds (0: no limit)")


def pytest_configure(config):
    path = config.getoption("--results-jsonl")
    if path:
        config.pluginmanager.register(
            _Recorder(path, config.getoption("--results-step")), "incremental_recorder")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    limit = item.config.getoption("--test-timeout")
    if limit <= 0 or not hasattr(signal, "SIGALRM"):
        yield
        return

    def expire(signum, frame):
        raise TestTimedOut(f"{item.nodeid} ran longer than --test-timeout={limit:g} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, limit)
    faulthandler.dump_traceback_later(limit + 15, exit=True)  # stuck in C: stacks, then exit
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        faulthandler.cancel_dump_traceback_later()
        signal.signal(signal.SIGALRM, previous)


class _Recorder:
    """Writes one line per test (per failing setup/teardown too) and flushes it to disk."""

    def __init__(self, path, step):
        self.file = open(path, "a", encoding="utf-8")  # noqa: SIM115 - open for the session
        self.step = step

    def pytest_runtest_logreport(self, report):
        if report.when != "call" and not (report.failed or report.skipped):
            return  # a passed setup or teardown: the call's line says it all
        line = {"step": self.step, "test": report.nodeid, "when": report.when,
                "outcome": report.outcome, "seconds": round(report.duration, 3)}
        if report.failed or report.skipped:
            line["message"] = _message(report)
        self.file.write(json.dumps(line) + "\n")
        self.file.flush()
        os.fsync(self.file.fileno())

    def pytest_unconfigure(self, config):
        self.file.close()


def _message(report):
    """The failure's last line or the skip's reason, at most 500 characters."""
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return crash.message[-500:]
    if isinstance(report.longrepr, tuple):  # a skip: (file, line, reason)
        return str(report.longrepr[2])[-500:]
    text = str(report.longrepr or "").strip()
    return text.splitlines()[-1][-500:] if text else ""
