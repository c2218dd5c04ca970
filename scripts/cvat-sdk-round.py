#!/usr/bin/env python3
"""The bench's baseline for a round from CVAT: what a user writes with CVAT's own SDK — list the
project's completed annotation jobs, export and download each one after another (COCO 1.0,
without images), then `dsv commit` the zips. The SDK polls every POLL seconds (its default is 5;
the bench passes what dsv starts with, 0.5).

usage: cvat-sdk-round.py URL TOKEN PROJECT OUT_DIR DSV POLL
Prints the jobs exported and the seconds the whole round took.
"""
import subprocess
import sys
import time
from pathlib import Path

from cvat_sdk.core.client import AccessTokenCredentials, Client, Config


def main(url, token, project, out, dsv, poll):
    started = time.monotonic()
    out = Path(out)
    with Client(url, config=Config(status_check_period=float(poll))) as client:
        client.login(AccessTokenCredentials(token))
        jobs = [job for job in client.jobs.list()
                if job.project_id == int(project) and job.type == "annotation" and job.state == "completed"]
        zips = []
        for job in sorted(jobs, key=lambda j: (j.task_id, j.start_frame)):
            path = out / f"job_{job.id}.zip"
            job.export_dataset("COCO 1.0", path, include_images=False)
            zips.append(str(path))
    subprocess.run([dsv, "commit", *zips, "-m", "round"], cwd=out, check=True, stdout=subprocess.DEVNULL)
    print(len(zips), time.monotonic() - started)


if __name__ == "__main__":
    main(*sys.argv[1:])
