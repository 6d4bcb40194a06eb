"""A test guest, not a policy: it reports what WASI lets a Python policy see, as JSON in
its decision's reason, so the host's tests can check that it sees nothing."""

import json
import os
import random
import socket
import sys
import time

from wit_world import exports
from wit_world.imports.types import RestartDecision_Nothing, RestartInput


def attempt(f):
    try:
        return {"ok": repr(f())}
    except BaseException as e:  # every failure is an answer here
        return {"error": type(e).__name__}


def probe():
    return {
        "environ": dict(os.environ),
        "argv": sys.argv,
        "time": time.time(),
        "monotonic": time.monotonic(),
        "urandom": os.urandom(8).hex(),
        "random": random.random(),
        "listdir": attempt(lambda: os.listdir("/")),
        "open": attempt(lambda: open("/etc/passwd").read()),
        "write": attempt(lambda: open("/tmp/x", "w").write("x")),
        "socket": attempt(lambda: socket.create_connection(("127.0.0.1", 80), timeout=1)),
        "dns": attempt(lambda: socket.getaddrinfo("example.com", 80)),
    }


class Restart(exports.Restart):
    def decide(self, input: RestartInput):
        return RestartDecision_Nothing(json.dumps(probe(), sort_keys=True))
