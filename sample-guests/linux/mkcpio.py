#!/usr/bin/env python3
"""mkcpio.py - write an uncompressed newc initramfs: /dev/console, /init,
/bench/<name> for each program and helper, and /bench/LIST naming the
programs /init runs (helpers are only run by them).
Runs: host (run-linux.sh).
Usage: mkcpio.py OUT.cpio INIT BENCH... [--helpers HELPER...]"""
import os
import sys


def entry(out, ino, name, mode, data=b"", rdev=(0, 0)):
    name_b = name.encode() + b"\0"
    hdr = "070701" + "".join("%08x" % v for v in (
        ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1],
        len(name_b), 0))
    out.write(hdr.encode() + name_b)
    out.write(b"\0" * (-(110 + len(name_b)) % 4))
    out.write(data)
    out.write(b"\0" * (-len(data) % 4))


def main():
    out_path, init, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
    cut = rest.index("--helpers") if "--helpers" in rest else len(rest)
    benches, helpers = rest[:cut], rest[cut + 1:]
    names = "".join(os.path.basename(b) + "\n" for b in benches)
    with open(out_path, "wb") as out:
        entry(out, 1, "dev", 0o040755)
        entry(out, 2, "dev/console", 0o020600, rdev=(5, 1))
        entry(out, 3, "bench", 0o040755)
        entry(out, 4, "init", 0o100755, open(init, "rb").read())
        entry(out, 5, "bench/LIST", 0o100644, names.encode())
        for i, b in enumerate(benches + helpers):
            entry(out, 6 + i, "bench/" + os.path.basename(b), 0o100755,
                  open(b, "rb").read())
        entry(out, 0, "TRAILER!!!", 0)


main()
