#!/usr/bin/env python3
"""Known byte counts for the usage tests (standard library only).

  traffic.py sink PORT COUNT_FILE
      accepts connections on 127.0.0.1:PORT and reads each until EOF or error; COUNT_FILE
      holds the total bytes received so far (rewritten atomically after every connection,
      and every MiB while one is open)
  traffic.py source PORT BYTES
      sends BYTES bytes to every connection on 127.0.0.1:PORT, then closes it
  traffic.py upload PORT BYTES
      connects to 127.0.0.1:PORT, sends BYTES bytes, half-closes, waits for EOF; prints the
      bytes sent
  traffic.py download PORT
      connects to 127.0.0.1:PORT and reads until EOF or a reset; prints the bytes read
"""
import os
import socket
import sys
import threading

CHUNK = 64 * 1024
TIMEOUT = 120  # a bound that only a hang reaches; nothing here measures time


def serve(port, handle):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(64)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


def sink(port, count_file):
    total = 0
    lock = threading.Lock()

    def write_count():
        tmp = count_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{total}\n")
        os.replace(tmp, count_file)

    with lock:
        write_count()

    def handle(conn):
        nonlocal total
        got = 0
        reported = 0
        conn.settimeout(TIMEOUT)
        try:
            while True:
                data = conn.recv(CHUNK)
                if not data:
                    break
                got += len(data)
                if got - reported >= 1 << 20:
                    with lock:
                        total += got - reported
                        reported = got
                        write_count()
        except OSError:
            pass
        finally:
            conn.close()
            with lock:
                total += got - reported
                write_count()

    serve(port, handle)


def source(port, size):
    block = os.urandom(CHUNK)

    def handle(conn):
        conn.settimeout(TIMEOUT)
        left = size
        try:
            while left > 0:
                n = min(left, CHUNK)
                conn.sendall(block[:n])
                left -= n
            conn.shutdown(socket.SHUT_WR)
            while conn.recv(CHUNK):
                pass
        except OSError:
            pass
        finally:
            conn.close()

    serve(port, handle)


def upload(port, size):
    s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    block = os.urandom(CHUNK)
    left = size
    while left > 0:
        n = min(left, CHUNK)
        s.sendall(block[:n])
        left -= n
    s.shutdown(socket.SHUT_WR)
    try:
        while s.recv(CHUNK):
            pass
    except OSError:
        pass
    s.close()
    print(size)


def download(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    got = 0
    try:
        while True:
            data = s.recv(CHUNK)
            if not data:
                break
            got += len(data)
    except OSError:
        pass
    s.close()
    print(got)


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode == "sink" and len(sys.argv) == 4:
        sink(int(sys.argv[2]), sys.argv[3])
    elif mode == "source" and len(sys.argv) == 4:
        source(int(sys.argv[2]), int(sys.argv[3]))
    elif mode == "upload" and len(sys.argv) == 4:
        upload(int(sys.argv[2]), int(sys.argv[3]))
    elif mode == "download" and len(sys.argv) == 3:
        download(int(sys.argv[2]))
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
