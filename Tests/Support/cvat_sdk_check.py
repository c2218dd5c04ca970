#!/usr/bin/env python3
"""Drives the test CVAT server with CVAT's own SDK (cvat-sdk from PyPI), so that the server is
checked by a client that is not ours: it lists the project's jobs page by page, exports a job in
COCO 1.0 through the server's export flow and downloads it, reads a job's and a task's data/meta,
and logs in with a password as well as with a personal access token. Prints one JSON line of what
it saw, for the test to compare with what dsv saw.

usage: cvat_sdk_check.py URL TOKEN USER PASSWORD JOB OUT_DIR
"""
import json
import sys
import zipfile
from pathlib import Path

from cvat_sdk.core.client import AccessTokenCredentials, Client, Config


def main(url, token, user, password, job_id, out):
    client = Client(url, config=Config(status_check_period=0.1, allow_unsupported_server=False))
    client.login(AccessTokenCredentials(token))
    jobs = client.jobs.list()
    job = client.jobs.retrieve(int(job_id))
    path = Path(out) / f"sdk-job-{job_id}.zip"
    job.export_dataset("COCO 1.0", path, include_images=False)
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        document = json.loads(archive.read("annotations/instances_default.json"))
    job_meta = job.get_meta()
    task = client.tasks.retrieve(job.task_id)
    task_meta = task.get_meta()
    with Client(url, config=Config(status_check_period=0.1)) as by_password:
        by_password.login((user, password))
        projects = [p.name for p in by_password.projects.list()]
    print(json.dumps({
        "server_version": str(client.get_server_version()),
        "jobs": sorted(j.id for j in jobs),
        "completed_annotation_jobs": sorted(j.id for j in jobs if j.state == "completed" and j.type == "annotation"),
        "export": {"zip": str(path), "entries": names, "images": len(document["images"]),
                   "annotations": len(document["annotations"])},
        "job_frames": [f.name for f in job_meta.frames],
        "task": {"id": task.id, "subset": task.subset, "overlap": task.overlap, "size": task_meta.size},
        "projects": projects,
    }))


if __name__ == "__main__":
    main(*sys.argv[1:])
