#!/usr/bin/env python3
"""instructions.py -- user-space instructions per HTTP request of the example
server, counted by callgrind: what the Ir figures in the commit messages and the
notes of issue 6 are.

Usage: bench/http/instructions.py [--server PATH | --command 'CMD {port}']
                                  [--small N] [--large N]

For each of two loads it runs the server (`--threads 1`, 127.0.0.1, a free port)
under `valgrind --tool=callgrind` twice, once for N_small and once for N_large
requests, and divides the difference of the two totals by the difference of the
request counts, so that start-up, accept and shutdown cancel out:

  keep-alive  one connection, one request at a time (send, read the response);
  pipelined   one connection, batches of 16 requests in one write.

The request is wrk's: `GET /plaintext HTTP/1.1` with `Host: 127.0.0.1:PORT`.
Instruction counts do not depend on the machine's load, so this runs anywhere
(slowly: valgrind is ~50x). Default server: build/release/examples/http_server/
http_server (LTO, as `make run` and `make bench` build it). --command runs any
other server the same way, e.g. a peer built by ../shared/peers/http/setup.sh, so
that its count sits beside eddy's: `--command '/tmp/eddy-peers/epoll_server {port}'`
(the binary itself, not run-peer.sh: valgrind would count the shell). Needs valgrind.
"""
import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEPTH = 16


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, proc, timeout=60.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            sys.exit("server exited before listening")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    sys.exit("server did not listen within %.0f s" % timeout)


def drive(port, n, depth):
    """Sends n requests on one connection, `depth` per write, reading every response."""
    req = b"GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % port
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        for _ in range(n // depth):
            s.sendall(req * depth)
            buf = b""
            while buf.count(b"Hello, World!") < depth:
                data = s.recv(65536)
                if not data:
                    sys.exit("server closed the connection")
                buf += data


def total_ir(command, n, depth, outdir):
    port = free_port()
    out = os.path.join(outdir, "callgrind.%d.%d" % (depth, n))
    proc = subprocess.Popen(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out] + [a.replace("{port}", str(port)) for a in command],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_listening(port, proc)
        drive(port, n, depth)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=120)
    with open(out) as f:
        for line in f:
            m = re.match(r"(?:summary|totals):\s+(\d+)", line)
            if m:
                return int(m.group(1))
    sys.exit("no total in " + out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--server", default=os.path.join(
        REPO, "build/release/examples/http_server/http_server"))
    ap.add_argument("--command", help="the server to count instead, as one string of "
                    "arguments with {port} for its port (split on spaces)")
    ap.add_argument("--small", type=int, default=3200, help="requests in the first run")
    ap.add_argument("--large", type=int, default=9600, help="requests in the second run")
    args = ap.parse_args()
    if args.large <= args.small or args.small % DEPTH or args.large % DEPTH:
        sys.exit("--large must exceed --small, both multiples of %d" % DEPTH)
    if args.command:
        command = args.command.split()
        if "{port}" not in args.command:
            sys.exit("--command must hold {port}")
    else:
        if not os.access(args.server, os.X_OK):
            sys.exit("no server at %s (make release)" % args.server)
        command = [args.server, "--host", "127.0.0.1", "--port", "{port}", "--threads", "1"]
    with tempfile.TemporaryDirectory() as tmp:
        for name, depth in (("keep-alive", 1), ("pipelined x16", DEPTH)):
            a = total_ir(command, args.small, depth, tmp)
            b = total_ir(command, args.large, depth, tmp)
            print("%-14s %9.1f Ir per request (callgrind, %d - %d requests)"
                  % (name, (b - a) / (args.large - args.small), args.large, args.small))


if __name__ == "__main__":
    main()
