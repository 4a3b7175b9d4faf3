#!/usr/bin/env python3
"""Times two ways of writing N certificate-sized files durably, never over an existing file.

per-file: what airlock's `home::write_new` does for every output file: create a
    temporary file, write, fsync, hard-link into place, unlink the temporary, fsync the
    folder (2 fsyncs per file).
batched:  create and write every temporary file first, then fsync each one (the data
    is already on its way, so the fsyncs coalesce), hard-link each into place, unlink the
    temporaries, and fsync the folder once.

syncfs:   like batched, but one syncfs(2) on the folder's file system replaces the
    per-file fsyncs (Linux).

All three leave every file either absent or whole after a crash; only the number of journal
commits differs. Usage: fsync_patterns.py [N] [DIR] (default 2000, a temp dir in /tmp).
"""

import ctypes
import os
import sys
import tempfile
import time

CERT = b"-----BEGIN CERTIFICATE-----\n" + b"A" * 64 * 9 + b"\n-----END CERTIFICATE-----\n"


def per_file(folder, count):
    for index in range(count):
        path = os.path.join(folder, f"c{index:06d}.crt")
        temp = os.path.join(folder, f".c{index:06d}.crt.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, CERT)
        os.fsync(fd)
        os.close(fd)
        os.link(temp, path)
        os.unlink(temp)
        dir_fd = os.open(folder, os.O_RDONLY)
        os.fsync(dir_fd)
        os.close(dir_fd)


def batched(folder, count):
    temps = []
    for index in range(count):
        temp = os.path.join(folder, f".c{index:06d}.crt.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, CERT)
        temps.append((fd, temp, os.path.join(folder, f"c{index:06d}.crt")))
    for fd, _, _ in temps:
        os.fsync(fd)
        os.close(fd)
    for _, temp, path in temps:
        os.link(temp, path)
        os.unlink(temp)
    dir_fd = os.open(folder, os.O_RDONLY)
    os.fsync(dir_fd)
    os.close(dir_fd)


def batched_syncfs(folder, count):
    libc = ctypes.CDLL(None, use_errno=True)
    paths = []
    for index in range(count):
        temp = os.path.join(folder, f".c{index:06d}.crt.tmp")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, CERT)
        os.close(fd)
        paths.append((temp, os.path.join(folder, f"c{index:06d}.crt")))
    dir_fd = os.open(folder, os.O_RDONLY)
    if libc.syncfs(dir_fd) != 0:
        raise OSError(ctypes.get_errno(), "syncfs")
    for temp, path in paths:
        os.link(temp, path)
        os.unlink(temp)
    os.fsync(dir_fd)
    os.close(dir_fd)


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    base = sys.argv[2] if len(sys.argv) > 2 else None
    variants = (("per-file", per_file), ("batched", batched), ("syncfs", batched_syncfs))
    for name, function in variants:
        with tempfile.TemporaryDirectory(dir=base) as folder:
            start = time.perf_counter()
            function(folder, count)
            elapsed = time.perf_counter() - start
            print(f"{name:8s} {count} files: {elapsed:.2f} s, {count / elapsed:,.0f} files/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
