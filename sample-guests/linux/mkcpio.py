#!/usr/bin/env python3
"""mkcpio.py - write an uncompressed newc initramfs: /dev/console, /init,
/bench/<name> for each program and helper, /bench/LIST naming the
programs /init runs (helpers are only run by them), and with --tree every
directory, file and symbolic link under DIR at its path relative to DIR
(tools/previrt-linux: Debian's busybox and the workloads).
Runs: host (sample-guests/linux/common.sh).
Usage: mkcpio.py OUT.cpio INIT BENCH... [--helpers HELPER...] [--tree DIR]
       mkcpio.py OUT.cpio - --tree DIR    (only the tree: an archive to
                                           append to another)"""
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


def tree_entries(root):
    """(path in the archive, mode, data) under root, parents first."""
    for top, dirs, files in sorted(os.walk(root)):
        dirs.sort()
        for name in dirs + sorted(files):
            full = os.path.join(top, name)
            rel = os.path.relpath(full, root)
            st = os.lstat(full)
            if os.path.islink(full):
                yield rel, st.st_mode, os.readlink(full).encode()
            elif os.path.isdir(full):
                yield rel, st.st_mode, b""
            else:
                yield rel, st.st_mode, open(full, "rb").read()


def main():
    out_path, init, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
    tree = None
    if "--tree" in rest:
        at = rest.index("--tree")
        tree = rest[at + 1]
        rest = rest[:at] + rest[at + 2:]
    cut = rest.index("--helpers") if "--helpers" in rest else len(rest)
    benches, helpers = rest[:cut], rest[cut + 1:]
    names = "".join(os.path.basename(b) + "\n" for b in benches)
    with open(out_path, "wb") as out:
        if init == "-":
            for i, (path, mode, data) in enumerate(tree_entries(tree)):
                entry(out, 1000 + i, path, mode, data)
            entry(out, 0, "TRAILER!!!", 0)
            return
        entry(out, 1, "dev", 0o040755)
        entry(out, 2, "dev/console", 0o020600, rdev=(5, 1))
        entry(out, 3, "bench", 0o040755)
        entry(out, 4, "init", 0o100755, open(init, "rb").read())
        entry(out, 5, "bench/LIST", 0o100644, names.encode())
        for i, b in enumerate(benches + helpers):
            entry(out, 6 + i, "bench/" + os.path.basename(b), 0o100755,
                  open(b, "rb").read())
        ino = 6 + len(benches) + len(helpers)
        for i, (path, mode, data) in enumerate(tree_entries(tree) if tree else []):
            entry(out, ino + i, path, mode, data)
        entry(out, 0, "TRAILER!!!", 0)


main()
