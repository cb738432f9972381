#!/usr/bin/env python3
"""curl_test.py: the http_server example driven with curl, route by route
(DESIGN.md, "The HTTP server example"). Loopback only; every curl has --max-time.

Run: EDDY_HTTP_SERVER=build/.../http_server python3 curl_test.py
"""
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from server_process import ServerProcess

CURL = shutil.which("curl")


def curl(*args, data=None, timeout=20):
    """Runs curl; returns (http status, headers text, body bytes, verbose stderr)."""
    with tempfile.TemporaryDirectory() as d:
        hdr = os.path.join(d, "h")
        out = os.path.join(d, "b")
        p = subprocess.run([CURL, "-sS", "-v", "--max-time", str(timeout), "-D", hdr, "-o", out,
                            "-w", "%{http_code}", *args], input=data, capture_output=True,
                           timeout=timeout + 10)
        headers = open(hdr, "rb").read().decode(errors="replace") if os.path.exists(hdr) else ""
        body = open(out, "rb").read() if os.path.exists(out) else b""
        return int(p.stdout[-3:] or b"0"), headers, body, p.stderr.decode(errors="replace")


def header(headers, name):
    """The value of `name` in the last response head of a -D dump."""
    last = headers.strip().split("\r\n\r\n")[-1]
    for line in last.split("\r\n")[1:]:
        k, _, v = line.partition(":")
        if k.strip().lower() == name.lower():
            return v.strip()
    return None


@unittest.skipIf(CURL is None, "curl is not installed")
class CurlTest(unittest.TestCase):
    THREADS = 1  # --threads: 1 is the current-thread runtime, more the multi-thread one

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.root = os.path.join(cls.tmp.name, "root")
        os.makedirs(os.path.join(cls.root, "sub"))
        with open(os.path.join(cls.tmp.name, "secret.txt"), "w") as f:
            f.write("outside the root\n")
        with open(os.path.join(cls.root, "index.html"), "w") as f:
            f.write("<h1>hi</h1>\n")
        with open(os.path.join(cls.root, "sub", "data.json"), "w") as f:
            f.write('{"a":1}\n')
        cls.big = os.urandom(5 * 1024 * 1024 + 123)
        with open(os.path.join(cls.root, "big.bin"), "wb") as f:
            f.write(cls.big)
        os.symlink(os.path.join(cls.tmp.name, "secret.txt"), os.path.join(cls.root, "link.txt"))
        cls.server = ServerProcess(root=cls.root, threads=cls.THREADS)
        cls.url = cls.server.url

    @classmethod
    def tearDownClass(cls):
        cls.server.kill()
        cls.tmp.cleanup()

    def assert_framed(self, headers):
        self.assertIsNotNone(header(headers, "Date"), headers)
        self.assertTrue(header(headers, "Content-Length") is not None or
                        header(headers, "Transfer-Encoding") == "chunked", headers)

    def test_plaintext(self):
        code, h, body, _ = curl(self.url + "/plaintext")
        self.assertEqual(code, 200)
        self.assertEqual(body, b"Hello, World!")
        self.assertTrue(header(h, "Content-Type").startswith("text/plain"))
        self.assertEqual(header(h, "Content-Length"), "13")
        self.assert_framed(h)

    def test_json(self):
        code, h, body, _ = curl(self.url + "/json")
        self.assertEqual(code, 200)
        self.assertEqual(body, b'{"message":"Hello, World!"}')
        self.assertEqual(header(h, "Content-Type"), "application/json")
        self.assert_framed(h)

    def test_echo_content_length(self):
        payload = os.urandom(100_000)
        code, h, body, _ = curl("--data-binary", "@-", "-H", "Content-Type: application/x-bin",
                                self.url + "/echo", data=payload)
        self.assertEqual(code, 200)
        self.assertEqual(body, payload)
        self.assertEqual(header(h, "Content-Type"), "application/x-bin")
        self.assert_framed(h)

    def test_echo_chunked(self):
        payload = os.urandom(300_000)
        code, h, body, v = curl("--data-binary", "@-", "-H", "Transfer-Encoding: chunked",
                                self.url + "/echo", data=payload)
        self.assertIn("Transfer-Encoding: chunked", v)
        self.assertEqual(code, 200)
        self.assertEqual(body, payload)

    def test_echo_exactly_1_mib_accepted(self):
        payload = os.urandom(1024 * 1024)
        code, _, body, _ = curl("--data-binary", "@-", self.url + "/echo", data=payload)
        self.assertEqual(code, 200)
        self.assertEqual(body, payload)

    def test_echo_over_1_mib_is_413(self):
        payload = b"x" * (1024 * 1024 + 1)
        code, h, _, _ = curl("--data-binary", "@-", self.url + "/echo", data=payload)
        self.assertEqual(code, 413)
        self.assertEqual(header(h, "Connection"), "close")
        code, _, _, _ = curl("--data-binary", "@-", "-H", "Transfer-Encoding: chunked",
                             self.url + "/echo", data=payload)
        self.assertEqual(code, 413)

    def test_expect_100_continue(self):
        payload = b"y" * 5000
        code, _, body, v = curl("--data-binary", "@-", "-H", "Expect: 100-continue",
                                "--expect100-timeout", "10", self.url + "/echo", data=payload)
        self.assertIn("HTTP/1.1 100 Continue", v)
        self.assertEqual(code, 200)
        self.assertEqual(body, payload)

    def test_head(self):
        # curl -I writes the head as the output; no body may follow it.
        code, h, body, _ = curl("-I", self.url + "/plaintext")
        self.assertEqual(code, 200)
        self.assertEqual(body.decode(), h)
        self.assertEqual(header(h, "Content-Length"), "13")
        code, h, body, _ = curl("-I", self.url + "/static/big.bin")
        self.assertEqual(code, 200)
        self.assertEqual(body.decode(), h)
        self.assertEqual(header(h, "Content-Length"), str(len(self.big)))
        self.assertEqual(header(h, "Content-Type"), "application/octet-stream")

    def test_connection_close(self):
        code, h, body, v = curl("-H", "Connection: close", self.url + "/plaintext")
        self.assertEqual(code, 200)
        self.assertEqual(header(h, "Connection"), "close")
        self.assertEqual(body, b"Hello, World!")

    def test_keep_alive_reuses_connection(self):
        code, _, _, v = curl(self.url + "/plaintext", self.url + "/json")
        self.assertEqual(code, 200)
        self.assertIn("Re-using existing connection", v)

    def test_http_1_0(self):
        code, h, body, v = curl("-0", self.url + "/plaintext")
        self.assertEqual(code, 200)
        self.assertEqual(body, b"Hello, World!")
        self.assertTrue(h.startswith("HTTP/1.1 200"), h)
        self.assertNotEqual(header(h, "Connection"), "keep-alive")
        code, h, _, _ = curl("-0", "-H", "Connection: keep-alive", self.url + "/plaintext")
        self.assertEqual(code, 200)
        self.assertEqual(header(h, "Connection"), "keep-alive")

    def test_sleep(self):
        start = time.monotonic()
        code, _, body, _ = curl(self.url + "/sleep?ms=300")
        self.assertEqual(code, 200)
        self.assertGreaterEqual(time.monotonic() - start, 0.3)
        self.assertEqual(curl(self.url + "/sleep?ms=10001")[0], 400)
        self.assertEqual(curl(self.url + "/sleep?ms=abc")[0], 400)

    def test_sleep_does_not_block_others(self):
        sleeper = subprocess.Popen([CURL, "-s", "--max-time", "20", "-o", "/dev/null", "-w",
                                    "%{http_code}", self.url + "/sleep?ms=2000"],
                                   stdout=subprocess.PIPE)
        try:
            start = time.monotonic()
            for _ in range(5):
                self.assertEqual(curl(self.url + "/plaintext")[0], 200)
            self.assertLess(time.monotonic() - start, 1.8)
        finally:
            out, _ = sleeper.communicate(timeout=30)
        self.assertEqual(out, b"200")

    def test_static(self):
        code, h, body, _ = curl(self.url + "/static/index.html")
        self.assertEqual(code, 200)
        self.assertEqual(body, b"<h1>hi</h1>\n")
        self.assertTrue(header(h, "Content-Type").startswith("text/html"))
        code, h, body, _ = curl(self.url + "/static/sub/data.json")
        self.assertEqual(code, 200)
        self.assertEqual(header(h, "Content-Type"), "application/json")

    def test_static_5_mib_byte_exact(self):
        code, h, body, _ = curl(self.url + "/static/big.bin")
        self.assertEqual(code, 200)
        self.assertEqual(header(h, "Content-Type"), "application/octet-stream")
        self.assertEqual(len(body), len(self.big))
        self.assertTrue(body == self.big)

    def test_static_missing_404(self):
        self.assertEqual(curl(self.url + "/static/nope.txt")[0], 404)
        self.assertEqual(curl(self.url + "/static/")[0], 404)
        self.assertEqual(curl(self.url + "/static/sub")[0], 404)

    def test_path_traversal(self):
        for path in ["/static/../secret.txt", "/static/sub/../../secret.txt",
                     "/static/%2e%2e/secret.txt", "/static/%2E%2E/secret.txt",
                     "/static/sub/%2e%2e/%2e%2e/secret.txt", "/static/..%2fsecret.txt",
                     "/static//etc/passwd", "/static/%2fetc%2fpasswd", "/static/link.txt",
                     "/static/..%5csecret.txt", "/static/./index.html"]:
            code, _, body, _ = curl("--path-as-is", self.url + path)
            self.assertIn(code, (400, 404), path)
            self.assertNotIn(b"outside the root", body, path)
            self.assertNotIn(b"root:", body, path)

    def test_unknown_404_and_405(self):
        code, h, _, _ = curl(self.url + "/nope")
        self.assertEqual(code, 404)
        self.assert_framed(h)
        code, h, _, _ = curl("-X", "POST", self.url + "/plaintext")
        self.assertEqual(code, 405)
        self.assertEqual(header(h, "Allow"), "GET, HEAD")
        code, h, _, _ = curl(self.url + "/echo")
        self.assertEqual(code, 405)
        self.assertEqual(header(h, "Allow"), "POST")
        code, h, _, _ = curl("-X", "DELETE", self.url + "/static/index.html")
        self.assertEqual(code, 405)

    def test_414_and_431(self):
        code, h, _, _ = curl(self.url + "/plaintext?q=" + "a" * (9 * 1024))
        self.assertEqual(code, 414)
        self.assertEqual(header(h, "Connection"), "close")
        code, h, _, _ = curl("-H", "X-Big: " + "b" * (17 * 1024), self.url + "/plaintext")
        self.assertEqual(code, 431)
        self.assertEqual(header(h, "Connection"), "close")


@unittest.skipIf(CURL is None, "curl is not installed")
class ShutdownTest(unittest.TestCase):
    THREADS = 1

    def test_sigterm_finishes_in_flight_and_exits_0(self):
        server = ServerProcess(threads=self.THREADS)
        try:
            conn = server.connect()
            # Pipelined: once the first response is here, the server has read the
            # second request too and is inside its handler (no sleep needed).
            conn.send(b"GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n"
                      b"GET /sleep?ms=3000 HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertEqual(conn.read_response()[0], 200)
            idle = server.connect()  # an idle keep-alive connection: closed at once
            self.assertEqual(curl(server.url + "/plaintext")[0], 200)
            self.assertEqual(server.listening_sockets(), 1)
            os.kill(server.pid, signal.SIGTERM)
            self.assertTrue(idle.reads_eof())
            # The listener closes before idle connections do, so while the handler
            # still sleeps the server no longer accepts. Asked of the server's own
            # descriptors: a connection attempt could reach any process that took
            # the freed port since.
            self.assertIsNone(server.proc.poll(), "exited before its in-flight request ended")
            self.assertEqual(server.listening_sockets(), 0)
            status, headers, body = conn.read_response()
            self.assertEqual(status, 200)
            self.assertEqual(body, b"slept 3000 ms\n")
            self.assertEqual(headers.get("connection"), "close")
            self.assertTrue(conn.reads_eof())
            self.assertEqual(server.proc.wait(timeout=15), 0)
            conn.close()
            idle.close()
        finally:
            server.kill()

    def test_threads_3_parallel_clients(self):
        if self.THREADS != 1:
            self.skipTest("sets --threads itself")
        server = ServerProcess(threads=3)
        try:
            urls = [server.url + "/sleep?ms=50"] * 5 + [server.url + "/plaintext"] * 20
            args = [CURL, "-sS", "--max-time", "20", "-w", "%{http_code}\n"]
            for u in urls:
                args += ["-o", "/dev/null", u]
            procs = [subprocess.Popen(args, stdout=subprocess.PIPE) for _ in range(8)]
            for p in procs:
                out, _ = p.communicate(timeout=60)
                self.assertEqual(out.split(), [b"200"] * 25)
            for _ in range(20):
                code, _, body, _ = curl("-H", "Connection: close", server.url + "/plaintext")
                self.assertEqual((code, body), (200, b"Hello, World!"))
            self.assertEqual(server.terminate(), 0)
            self.assertIn(b" 220 requests, 0 protocol errors", server.proc.stderr.read())
        finally:
            server.kill()

    def test_sigint_idle_server_exits_0(self):
        server = ServerProcess(threads=self.THREADS)
        try:
            self.assertEqual(curl(server.url + "/plaintext")[0], 200)
            os.kill(server.pid, signal.SIGINT)
            self.assertEqual(server.proc.wait(timeout=15), 0)
        finally:
            server.kill()


class CurlTestThreads2(CurlTest):
    """Every route again on the multi-thread runtime (--threads 2)."""
    THREADS = 2


class ShutdownTestThreads2(ShutdownTest):
    THREADS = 2


if __name__ == "__main__":
    unittest.main(verbosity=2)
