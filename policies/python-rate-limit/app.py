"""A restart policy written in Python: the same ABI as the Rust policies, built with
componentize-py, run by the same host.

It restarts only what failed, and spaces restarts so that there are at most
`maxPerHour` of them (default 6) in any hour: after the n-th restart the next comes no
sooner than 3600 / maxPerHour seconds later. At the Connector's `maxRetry` it gives up.
Everything it decides on is in the input (history and `now_ms`), so a decision replays.
"""

from wit_world import exports
from wit_world.imports import log
from wit_world.imports.types import (
    RestartDecision_GiveUp,
    RestartDecision_Nothing,
    RestartDecision_RestartFailedTasks,
    RestartDecision_WaitUntil,
    RestartInput,
    RunState,
    Wait,
)

DEFAULT_MAX_PER_HOUR = 6
HOUR_MS = 3_600_000


def setting(settings, key, default):
    for k, v in settings:
        if k == key:
            return v
    return default


def decide(input: RestartInput):
    connector = input.connector
    failed = [t.id for t in connector.tasks if t.state == RunState.FAILED]
    if connector.state != RunState.FAILED and not failed:
        return RestartDecision_Nothing("nothing failed")
    history = input.history
    if history.count >= history.max_retry:
        return RestartDecision_GiveUp(
            f"gave up after {history.count} restarts (maxRetry {history.max_retry})"
        )
    raw = setting(input.settings, "maxPerHour", str(DEFAULT_MAX_PER_HOUR))
    try:
        per_hour = int(raw)
    except ValueError:
        per_hour = 0
    if per_hour <= 0:
        return RestartDecision_GiveUp(
            f"settings.maxPerHour must be a positive whole number, not {raw!r}: fix the Policy"
        )
    spacing = HOUR_MS // per_hour
    if history.last_restart_ms is not None:
        due = history.last_restart_ms + spacing
        if input.now_ms < due:
            return RestartDecision_WaitUntil(
                Wait(due, f"at most {per_hour} restarts per hour: next at {due}")
            )
    what = "the connector" if connector.state == RunState.FAILED else "tasks " + ", ".join(
        str(t) for t in failed
    )
    log.log(log.Level.INFO, f"restarting {what} of {connector.name}")
    return RestartDecision_RestartFailedTasks(
        f"restart {history.count + 1} of at most {history.max_retry}: {what} failed"
    )


class Restart(exports.Restart):
    def decide(self, input: RestartInput):
        return decide(input)
