"""A hostile test guest, not a policy: its decision sleeps a million seconds before it
answers (a WASI clock subscription, then poll), to prove that no call blocks past its
timeout whatever a guest asks WASI to wait for. With `mode` set to `spin` it instead waits
for the monotonic clock to move, which it never does here."""

import time

from wit_world import exports
from wit_world.imports.types import RestartDecision_Nothing, RestartInput


class Restart(exports.Restart):
    def decide(self, input: RestartInput):
        settings = dict(input.settings)
        if settings.get("mode") == "spin":
            start = time.monotonic()
            while time.monotonic() == start:
                time.sleep(0.001)
            return RestartDecision_Nothing("the clock moved")
        time.sleep(1e6)
        return RestartDecision_Nothing("slept")
