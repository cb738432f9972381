"""server_process.py: starts the http_server example on 127.0.0.1, port 0, and
reads the real port from the line it prints; stops it by the PID it started.

Shared by curl_test.py and raw_socket_test.py. Every wait is bounded: a server
that does not print its URL within 10 s fails the test instead of hanging it.
"""
import os
import re
import select
import signal
import socket
import subprocess
import time

BINARY = os.environ.get("EDDY_HTTP_SERVER", "")


class ServerProcess:
    def __init__(self, root=None, env=None, threads=1):
        if not BINARY:
            raise RuntimeError("EDDY_HTTP_SERVER is not set")
        args = [BINARY, "--host", "127.0.0.1", "--port", "0", "--threads", str(threads)]
        if root:
            args += ["--root", root]
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=full_env)
        self.port = self._read_port()
        self.url = "http://127.0.0.1:%d" % self.port

    def _read_port(self):
        deadline = time.monotonic() + 10
        line = b""
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.proc.stdout], [], [], left)[0]:
                self.kill()
                raise RuntimeError("http_server printed no URL within 10 s")
            ch = os.read(self.proc.stdout.fileno(), 1)
            if not ch:
                self.kill()
                raise RuntimeError("http_server exited: %r" % self.proc.stderr.read())
            line += ch
        m = re.match(rb"listening on http://127\.0\.0\.1:(\d+)\n", line)
        if not m:
            self.kill()
            raise RuntimeError("unexpected first line %r" % line)
        return int(m.group(1))

    @property
    def pid(self):
        return self.proc.pid

    def fd_count(self):
        return len(os.listdir("/proc/%d/fd" % self.pid))

    def fd_links(self):
        """What each descriptor is ("3 -> anon_inode:[eventpoll]", ...), for messages."""
        d = "/proc/%d/fd" % self.pid
        out = []
        for name in sorted(os.listdir(d), key=int):
            try:
                out.append("%s -> %s" % (name, os.readlink(os.path.join(d, name))))
            except FileNotFoundError:
                pass
        return out

    def _tcp_inodes(self, listening):
        """Inodes of the TCP sockets of the server's network namespace that are
        (`listening`) or are not in the LISTEN state."""
        found = set()
        for table in ("tcp", "tcp6"):
            try:
                with open("/proc/%d/net/%s" % (self.pid, table)) as f:
                    for line in f.readlines()[1:]:
                        cols = line.split()
                        if (cols[3] == "0A") == listening:  # 0A: TCP_LISTEN
                            found.add(cols[9])
            except FileNotFoundError:
                pass
        return found

    def _socket_inodes(self):
        """fd -> socket inode, or None for a descriptor that is no socket."""
        d = "/proc/%d/fd" % self.pid
        out = {}
        for name in os.listdir(d):
            try:
                m = re.match(r"socket:\[(\d+)\]$", os.readlink(os.path.join(d, name)))
            except FileNotFoundError:
                continue  # closed since the listing
            out[name] = m.group(1) if m else None
        return out

    def fd_count_without_connections(self):
        """fd_count() less the TCP sockets that are not listening: the server's own
        descriptors. Anything on the machine may connect to a port it was given by
        port 0 (a test elsewhere that connects to a port it just closed), so a count
        taken at start must not include connections."""
        connections = self._tcp_inodes(listening=False)
        return sum(1 for ino in self._socket_inodes().values() if ino is None or ino not in connections)

    def listening_sockets(self):
        """How many of the server's descriptors are listening TCP sockets."""
        listening = self._tcp_inodes(listening=True)
        return sum(1 for ino in self._socket_inodes().values() if ino is not None and ino in listening)

    def connect(self, timeout=10):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return Conn(s)

    def terminate(self, timeout=15):
        """SIGTERM, then the exit status (the test fails on a hang)."""
        if self.proc.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def kill(self):
        if self.proc.poll() is None:
            os.kill(self.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stderr_text(self):
        return self.proc.stderr.read().decode(errors="replace") if self.proc.poll() is not None else ""


def wait_until(predicate, timeout=10.0, step=0.02):
    """Polls `predicate` until it holds or `timeout` passes; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = predicate()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(step)


class Conn:
    """A client connection with read-ahead kept between responses."""

    def __init__(self, sock):
        self.sock = sock
        self.pending = b""

    def send(self, data):
        self.sock.sendall(data)

    def close(self):
        self.sock.close()

    def read_response(self, head_only=False):
        """One response with Content-Length framing: (status, headers with lower-case
        names, body), or None at EOF before a status line."""
        buf = self.pending
        while b"\r\n\r\n" not in buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                if buf:
                    raise AssertionError("EOF inside a response head: %r" % buf)
                self.pending = b""
                return None
            buf += chunk
        head, _, rest = buf.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ")[1])
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(b":")
            headers[k.strip().lower().decode()] = v.strip().decode()
        n = 0 if head_only or status < 200 or status in (204, 304) else int(
            headers.get("content-length", "0"))
        while len(rest) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise AssertionError("EOF inside a body")
            rest += chunk
        self.pending = rest[n:]
        return status, headers, rest[:n]

    def reads_eof(self, timeout=5):
        """True if the peer closes, with nothing more to read, within `timeout`."""
        if self.pending:
            return False
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(65536) == b""
        except (socket.timeout, TimeoutError):
            return False
        except ConnectionResetError:
            return False  # a reset is not a graceful close
