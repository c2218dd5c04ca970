#!/usr/bin/env python3
"""Writes a zip archive with Python's zipfile, a producer independent of dsv's reader.

usage: make_zip.py OUT.zip [--stored|--deflated|--bzip2] [--zip64] [--filler N] NAME=SOURCE ...

NAME is the path inside the archive; SOURCE a file to take the bytes from, or '-' for a directory
entry. --filler N adds N tiny image entries (images/default/filler_<i>.jpg) so the archive has
more than 65,535 entries and needs a ZIP64 end record. The method flag applies to the entries
that follow it.
"""
import sys
import zipfile

def main(argv):
    out = argv[0]
    method = zipfile.ZIP_DEFLATED
    zip64 = False
    with zipfile.ZipFile(out, "w", allowZip64=True) as archive:
        args = iter(argv[1:])
        for arg in args:
            if arg == "--stored":
                method = zipfile.ZIP_STORED
            elif arg == "--deflated":
                method = zipfile.ZIP_DEFLATED
            elif arg == "--bzip2":
                method = zipfile.ZIP_BZIP2
            elif arg == "--zip64":
                zip64 = True
            elif arg == "--filler":
                for i in range(int(next(args))):
                    archive.writestr(f"images/default/filler_{i}.jpg", b"\xff\xd8\xff", compress_type=zipfile.ZIP_STORED)
            else:
                name, source = arg.split("=", 1)
                if source == "-":
                    archive.writestr(zipfile.ZipInfo(name.rstrip("/") + "/"), b"")
                    continue
                info = zipfile.ZipInfo(name, date_time=(2026, 11, 30, 12, 0, 0))
                info.compress_type = method
                with open(source, "rb") as handle, archive.open(info, "w", force_zip64=zip64) as entry:
                    entry.write(handle.read())

if __name__ == "__main__":
    main(sys.argv[1:])
