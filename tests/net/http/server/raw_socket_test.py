#!/usr/bin/env python3
"""raw_socket_test.py: the http_server example over raw sockets: pipelining,
requests split at every byte boundary, each bad input of DESIGN.md answered with
its status and a closed connection, slow and idle clients dropped, and no
descriptor leaked by any of it.

Run: EDDY_HTTP_SERVER=build/.../http_server python3 raw_socket_test.py
"""
import time
import unittest

from server_process import ServerProcess, wait_until

HEADER_TIMEOUT_MS = 1000
KEEPALIVE_TIMEOUT_MS = 1500


def get(path, extra=b""):
    return b"GET " + path + b" HTTP/1.1\r\nHost: t\r\n" + extra + b"\r\n"


# (name, bytes, expected status). Each must be answered, then the connection closed.
BAD_INPUTS = [
    ("malformed request line", b"GARBAGE\r\n\r\n", 400),
    ("no version", b"GET /plaintext\r\nHost: t\r\n\r\n", 400),
    ("bad version", b"GET / HTTP/1.x\r\nHost: t\r\n\r\n", 400),
    ("header section over 16 KiB", b"GET /plaintext HTTP/1.1\r\nHost: t\r\n" +
     b"".join(b"X-F%d: %s\r\n" % (i, b"v" * 100) for i in range(170)) + b"\r\n", 431),
    ("one header over 16 KiB", get(b"/plaintext", b"X-Big: " + b"b" * 17000 + b"\r\n"), 431),
    ("URI over 8 KiB", get(b"/plaintext?q=" + b"a" * 8300), 414),
    ("Content-Length and Transfer-Encoding",
     b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
     b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 400),
    ("differing duplicate Content-Length",
     b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400),
    ("bad chunk size", b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"zz\r\nhello\r\n0\r\n\r\n", 400),
    ("chunk size overflow", b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"fffffffffffffffffff\r\nhello\r\n0\r\n\r\n", 400),
    ("obs-fold", b"GET /plaintext HTTP/1.1\r\nHost: t\r\nX-A: 1\r\n  folded\r\n\r\n", 400),
    ("missing Host", b"GET /plaintext HTTP/1.1\r\n\r\n", 400),
    ("repeated Host", b"GET /plaintext HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    # A bare 0.9 line is refused as soon as it ends, with no blank line after it
    # (not left to the header timeout's 408).
    ("HTTP/0.9", b"GET /plaintext\r\n", 400),
    ("HTTP/0.9 with a blank line", b"GET /plaintext\r\n\r\n", 400),
    ("body over 1 MiB declared", b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1048577\r\n\r\n",
     413),
    ("bare LF", b"GET /plaintext HTTP/1.1\nHost: t\n\n", 400),
    ("space before colon", b"GET /plaintext HTTP/1.1\r\nHost : t\r\n\r\n", 400),
]


class RawSocketTest(unittest.TestCase):
    THREADS = 1  # --threads: 1 is the current-thread runtime, more the multi-thread one

    @classmethod
    def setUpClass(cls):
        cls.server = ServerProcess(threads=cls.THREADS, env={
            "EDDY_HTTP_HEADER_TIMEOUT_MS": str(HEADER_TIMEOUT_MS),
            "EDDY_HTTP_KEEPALIVE_TIMEOUT_MS": str(KEEPALIVE_TIMEOUT_MS),
            "EDDY_HTTP_LINGER_MS": "500",
        })
        cls.base_fds = cls.server.fd_count_without_connections()
        cls.base_links = cls.server.fd_links()

    @classmethod
    def tearDownClass(cls):
        cls.server.kill()

    def test_z_fds_back_and_still_answering(self):
        # Runs last (unittest sorts by name): everything above is closed by now.
        c = self.server.connect()
        c.send(get(b"/plaintext"))
        self.assertEqual(c.read_response()[0], 200)
        c.close()
        self.assertTrue(wait_until(lambda: self.server.fd_count() == self.base_fds),
                        "fds %d, at start %d without connections\nnow: %s\nat start: %s" %
                        (self.server.fd_count(), self.base_fds, self.server.fd_links(),
                         self.base_links))
        self.assertIsNone(self.server.proc.poll())

    def test_pipelined_100_in_order(self):
        reqs, expected = [], []
        for i in range(100):
            if i % 3 == 0:
                reqs.append(get(b"/sleep?ms=%d" % (i % 7)))
                expected.append(b"slept %d ms\n" % (i % 7))
            elif i % 3 == 1:
                reqs.append(get(b"/plaintext"))
                expected.append(b"Hello, World!")
            else:
                body = b"echo %d" % i
                reqs.append(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n%s" %
                            (len(body), body))
                expected.append(body)
        c = self.server.connect()
        c.send(b"".join(reqs))
        for i, want in enumerate(expected):
            status, _, body = c.read_response()
            self.assertEqual((status, body), (200, want), "response %d" % i)
        c.close()

    def test_split_at_every_boundary(self):
        data = (get(b"/plaintext") +
                b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\n\r\n" + get(b"/json", b"Connection: close\r\n"))
        expected = [b"Hello, World!", b"abcde", b'{"message":"Hello, World!"}']
        for k in range(1, len(data)):
            c = self.server.connect()
            c.send(data[:k])
            c.send(data[k:])
            for want in expected:
                status, _, body = c.read_response()
                self.assertEqual((status, body), (200, want), "split at %d" % k)
            self.assertTrue(c.reads_eof(), "split at %d" % k)
            c.close()

    def test_byte_by_byte(self):
        data = get(b"/plaintext") + get(b"/json", b"Connection: close\r\n")
        c = self.server.connect()
        for b in data:
            c.send(bytes([b]))
        self.assertEqual(c.read_response()[2], b"Hello, World!")
        self.assertEqual(c.read_response()[0], 200)
        self.assertTrue(c.reads_eof())
        c.close()

    def test_bad_inputs(self):
        for name, data, want in BAD_INPUTS:
            with self.subTest(name):
                c = self.server.connect()
                c.send(data)
                r = c.read_response()
                self.assertIsNotNone(r, name)
                status, headers, _ = r
                self.assertEqual(status, want, name)
                self.assertEqual(headers.get("connection"), "close", name)
                self.assertIn("date", headers, name)
                self.assertTrue(c.reads_eof(), name + ": connection not closed")
                c.close()

    def test_bad_input_after_good_pipelined(self):
        c = self.server.connect()
        c.send(get(b"/plaintext") + b"GARBAGE\r\n\r\n" + get(b"/json"))
        self.assertEqual(c.read_response()[0], 200)
        status, headers, _ = c.read_response()
        self.assertEqual(status, 400)
        self.assertTrue(c.reads_eof())
        c.close()

    def test_slow_client_dropped(self):
        c = self.server.connect()
        start = time.monotonic()
        c.send(b"GET /plaintext HTTP/1.1\r\nHo")
        r = c.read_response()  # blocks until the server gives up (socket timeout 10 s)
        elapsed = time.monotonic() - start
        self.assertEqual(r[0], 408)
        self.assertTrue(c.reads_eof())
        self.assertGreaterEqual(elapsed, HEADER_TIMEOUT_MS / 1000 - 0.05)
        self.assertLess(elapsed, HEADER_TIMEOUT_MS / 1000 + 3)
        c.close()

    def test_silent_client_dropped(self):
        c = self.server.connect()
        start = time.monotonic()
        self.assertTrue(c.reads_eof(timeout=10))
        self.assertLess(time.monotonic() - start, HEADER_TIMEOUT_MS / 1000 + 3)
        c.close()

    def test_trickling_client_dropped(self):
        # A byte at a time keeps the connection busy, but not past the deadline.
        c = self.server.connect()
        start = time.monotonic()
        closed = False
        for b in b"GET /plaintext HTTP/1.1\r\nX-Slow: " + b"s" * 100000:
            try:
                c.send(bytes([b]))
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            if time.monotonic() - start > HEADER_TIMEOUT_MS / 1000 + 3:
                break
            # Paced sends: the point is the client's slowness, not synchronisation.
            time.sleep(0.01)
            c.sock.setblocking(False)
            try:
                if c.sock.recv(65536, 0x2) is not None:  # MSG_PEEK: answered?
                    closed = True
                    break
            except BlockingIOError:
                pass
            finally:
                c.sock.setblocking(True)
        self.assertTrue(closed, "a trickling client was never dropped")
        self.assertLess(time.monotonic() - start, HEADER_TIMEOUT_MS / 1000 + 3)
        c.close()

    def test_idle_keep_alive_closed(self):
        c = self.server.connect()
        c.send(get(b"/plaintext"))
        self.assertEqual(c.read_response()[0], 200)
        start = time.monotonic()
        self.assertTrue(c.reads_eof(timeout=10))
        elapsed = time.monotonic() - start
        self.assertGreaterEqual(elapsed, KEEPALIVE_TIMEOUT_MS / 1000 - 0.05)
        self.assertLess(elapsed, KEEPALIVE_TIMEOUT_MS / 1000 + 3)
        c.close()

    def test_half_closed_client_gets_every_answer_then_eof(self):
        # The client sends its requests and its end of stream at once, while one
        # of them waits in its handler: every answer comes, in order, then a
        # graceful close (no reset), and nothing more is read or written.
        c = self.server.connect()
        c.send(get(b"/plaintext") + get(b"/sleep?ms=20") + get(b"/plaintext"))
        c.sock.shutdown(__import__("socket").SHUT_WR)
        bodies = [c.read_response()[2] for _ in range(3)]
        self.assertEqual(bodies, [b"Hello, World!", b"slept 20 ms\n", b"Hello, World!"])
        self.assertTrue(c.reads_eof(timeout=5))
        c.close()

    def test_half_closed_inside_a_request_is_400_then_eof(self):
        c = self.server.connect()
        c.send(b"GET /plaintext HTTP/1.1\r\nHost: t\r\n")  # the head never ends
        c.sock.shutdown(__import__("socket").SHUT_WR)
        self.assertEqual(c.read_response()[0], 400)
        self.assertTrue(c.reads_eof(timeout=5))
        c.close()

    def test_peer_reset_mid_response(self):
        # A big response to a client that vanishes: the server must carry on.
        c = self.server.connect()
        c.send(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000\r\n\r\n" +
               b"z" * 1000000)
        c.sock.setsockopt(__import__("socket").SOL_SOCKET, __import__("socket").SO_LINGER,
                          b"\x01\x00\x00\x00\x00\x00\x00\x00")
        c.close()  # RST
        d = self.server.connect()
        d.send(get(b"/plaintext"))
        self.assertEqual(d.read_response()[0], 200)
        d.close()


class RawSocketTestThreads2(RawSocketTest):
    """Everything again on the multi-thread runtime (--threads 2): pipelined
    responses stay in order while a connection moves between workers."""
    THREADS = 2


if __name__ == "__main__":
    unittest.main(verbosity=2)
