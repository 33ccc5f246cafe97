"""The suite runs offline: non-loopback sockets are refused, loopback works."""
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest


def test_internet_is_blocked():
    with pytest.raises(Exception, match="(?i)internet|remote|network|socket"):
        socket.create_connection(("93.184.216.34", 80), timeout=2)


def test_loopback_is_allowed():
    class Hello(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Hello)
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    with socket.create_connection(server.server_address, timeout=5) as connection:
        connection.sendall(b"GET / HTTP/1.0\r\n\r\n")
        reply = b"".join(iter(lambda: connection.recv(1024), b""))
    assert reply.startswith(b"HTTP/1.0 200") and reply.endswith(b"ok")
    thread.join(5)
    server.server_close()
