#!/usr/bin/env python3
"""Plays an older or foreign writer: commits on top of a dsv repository's branch a copy of its head
version with every occurrence of the bytes OLD replaced by NEW (of the same length, so that the
binary shards' lengths still hold) — inside dataset.json, inside every zstd blob (decompressed,
replaced, compressed again) and in the tree's entry names where NEW can name one. Nothing checks
that the result is a version dsv would write: that is the point.

usage: rewrite_version.py GIT_DIR OLD NEW [BRANCH]
"""
import os
import subprocess
import sys
import tempfile


def git(git_dir, *args, data=None):
    return subprocess.run(["git", f"--git-dir={git_dir}", *args], input=data, check=True, capture_output=True).stdout


def rewrite_blob(git_dir, blob, name, old, new):
    content = git(git_dir, "cat-file", "blob", blob)
    if content.startswith(b"\x28\xb5\x2f\xfd"):  # a zstd frame
        plain = subprocess.run(["zstd", "-d", "-c", "-q"], input=content, check=True, capture_output=True).stdout
        if old not in plain:
            return blob
        # From a file, so that the frame header carries the content size, as dsv writes it.
        with tempfile.NamedTemporaryFile() as source:
            source.write(plain.replace(old, new))
            source.flush()
            content = subprocess.run(["zstd", "-1", "-c", "-q", "--no-check", source.name], check=True,
                                     capture_output=True).stdout
    elif old in content:
        content = content.replace(old, new)
    else:
        return blob
    return git(git_dir, "hash-object", "-w", "--stdin", data=content).decode().strip()


def rewrite_tree(git_dir, tree, old, new):
    entries = []
    renamable = b"/" not in new and b"\0" not in new
    for line in git(git_dir, "ls-tree", "-z", tree).split(b"\0"):
        if not line:
            continue
        meta, name = line.split(b"\t", 1)
        mode, kind, oid = meta.split(b" ")
        oid = oid.decode()
        if kind == b"tree":
            oid = rewrite_tree(git_dir, oid, old, new)
        else:
            oid = rewrite_blob(git_dir, oid, name, old, new)
        if renamable:
            name = name.replace(old, new)
        entries.append(mode + b" " + kind + b" " + oid.encode() + b"\t" + name)
    return git(git_dir, "mktree", "-z", data=b"\0".join(entries) + b"\0").decode().strip()


def main(git_dir, old, new, branch="main"):
    for variable in ("GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"):
        os.environ.setdefault(variable, "A foreign writer")
    for variable in ("GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"):
        os.environ.setdefault(variable, "foreign@example.com")
    old, new = old.encode(), new.encode()
    assert len(old) == len(new), "OLD and NEW must have the same length"
    head = git(git_dir, "rev-parse", f"refs/heads/{branch}").decode().strip()
    tree = rewrite_tree(git_dir, git(git_dir, "rev-parse", f"{head}^{{tree}}").decode().strip(), old, new)
    message = git(git_dir, "log", "-1", "--format=%B", head)
    commit = git(git_dir, "commit-tree", tree, "-p", head, data=message).decode().strip()
    git(git_dir, "update-ref", f"refs/heads/{branch}", commit, head)
    print(commit)


if __name__ == "__main__":
    main(*sys.argv[1:])
