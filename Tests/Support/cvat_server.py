#!/usr/bin/env python3
"""A CVAT server of the test suite's own: the parts of CVAT's REST API that a client exporting
completed jobs meets, modelled on CVAT's OpenAPI schema and checked with CVAT's own SDK.

It holds projects, tasks (with subsets, segments and overlap, data in an S3 cloud storage or
uploaded to CVAT itself), jobs in every state, stage and type, labels with attributes, and the
shapes of every job. A job's export is written as CVAT's COCO 1.0 writer writes it: a zip with
`annotations/instances_default.json`, compact, every frame of the job listed (annotated or not),
image and annotation ids from 1 in every job, `attributes` with `occluded` and `rotation`, masks
as uncompressed RLE with `iscrowd` 1.

What it speaks depends on the version it reports (`--version`):
  - export: `POST /api/jobs/{id}/dataset/export` + `GET /api/requests/{rq_id}` + `GET result_url`
    from 2.16; the older `GET /api/jobs/{id}/annotations/?format=` 202 → 201 → `&action=download`
    until 2.31;
  - auth: login (`POST /api/auth/login`: session cookie + CSRF, and its token as
    `Authorization: Token`), Basic, and personal access tokens (`Authorization: Bearer`) from 2.48;
  - fields: `data_cloud_storage_id` on tasks from 2.44, `logo_url`/`subtitle` in about from 2.30.
Lists are paged with CVAT's default page_size of 10.

For tests, under /_test/: faults (an export that fails, never finishes, answers 409 as if an
earlier run's export were still running, a result that expired, a server that dies after N more
requests, 503s), edits of a job's shapes (bumping its updated_date), and counters of the requests
served.

usage: cvat_server.py [--port N] [--port-file F] [--version V] [--scenario FILE | --standard K=V,...]
                      [--queue-delay S] [--export-delay S] [--no-login]
"""
import argparse
import base64
import copy
import hashlib
import io
import json
import os
import random
import secrets
import sys
import threading
import time
import zipfile
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

FORMAT = "COCO 1.0"
EPOCH = datetime(2026, 11, 2, 9, 30, 0, tzinfo=timezone.utc)


def iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def version_tuple(text):
    return tuple(int(part) for part in text.split(".")[:2])


# MARK: The world: what the server holds


def standard_scenario(bucket="ships", endpoint="http://127.0.0.1:9000", region="us-east-1", tasks=3,
                      jobs_per_task=3, frames_per_job=10, overlap=2, org=None, seed=1, completed=0, cloud=1):
    """A project of `tasks` tasks (Train, Validation, then default), each of `jobs_per_task`
    annotation jobs of `frames_per_job` frames, the first task with `overlap` frames shared by
    neighbouring jobs; a last task with data uploaded to CVAT itself; jobs in every state and stage,
    plus a ground-truth job and a consensus replica that are never exported by a round.
    `completed=1`: every annotation job completed (a finished round); `cloud=0`: no task's data
    in the cloud storage."""
    subsets = ["Train", "Validation", ""]
    states = [("completed", "acceptance"), ("completed", "validation"), ("in progress", "annotation"),
              ("new", "annotation"), ("rejected", "annotation"), ("completed", "annotation")]
    scenario = {
        "users": {"alice": "alice-password-1"},
        "tokens": ["pat-alice-0123456789abcdef"],
        "organizations": [{"id": 1, "slug": org}] if org else [],
        "cloud_storages": [{"id": 1, "display_name": bucket, "bucket": bucket, "endpoint_url": endpoint, "region": region}],
        "projects": [{"id": 3, "name": "harbour ships", "org": org, "labels": [
            {"name": "ship", "type": "rectangle", "attributes": [
                {"name": "kind", "input_type": "select", "values": ["cargo", "tanker", "fishing"], "mutable": False},
                {"name": "moving", "input_type": "checkbox", "values": ["false"], "mutable": True}]},
            {"name": "buoy", "type": "polygon", "attributes": []},
            {"name": "wake", "type": "mask", "attributes": []},
            {"name": "person", "type": "rectangle", "attributes": [
                {"name": "role", "input_type": "text", "values": [""], "mutable": False}]},
        ]}],
        "tasks": [],
        "seed": seed,
    }
    job_id = 40
    for t in range(tasks):
        task_id = 12 + t
        task_overlap = overlap if t == 0 else 0
        step = frames_per_job - task_overlap
        size = step * (jobs_per_task - 1) + frames_per_job
        local = (t == tasks - 1 and tasks > 1) or not cloud
        jobs = []
        for j in range(jobs_per_task):
            state, stage = states[(t * jobs_per_task + j) % len(states)] if t > 0 and not completed else ("completed", "acceptance")
            jobs.append({"id": job_id, "state": state, "stage": stage})
            job_id += 1
        extra = []
        if t == 0:
            extra = [{"id": 90, "type": "ground_truth", "state": "completed", "stage": "acceptance", "frames": [0, 3, 5]},
                     {"id": 91, "type": "consensus_replica", "state": "completed", "stage": "acceptance", "parent": jobs[0]["id"]}]
        scenario["tasks"].append({
            "id": task_id, "name": f"harbour batch {t + 1}", "project_id": 3, "subset": subsets[t % len(subsets)],
            "segment_size": frames_per_job, "overlap": task_overlap, "size": size,
            "cloud_storage_id": None if local else 1,
            "frame_name": f"batch_{t + 1:02d}/frame_{{:06d}}.jpg" if not local else f"upload_{t + 1:02d}_{{:06d}}.png",
            "width": 1920, "height": 1080, "jobs": jobs, "extra_jobs": extra,
        })
    return scenario


class World:
    """Everything the server holds, behind one lock: threads serve requests concurrently."""

    def __init__(self, scenario, version, queue_delay, export_delay, login):
        self.lock = threading.RLock()
        self.version = version
        self.v = version_tuple(version)
        self.queue_delay = queue_delay
        self.export_delay = export_delay
        self.login_enabled = login
        self.users = scenario["users"]
        self.pats = set(scenario.get("tokens", []))
        self.orgs = {o["slug"]: o["id"] for o in scenario.get("organizations", [])}
        self.cloud_storages = {c["id"]: c for c in scenario.get("cloud_storages", [])}
        self.projects = {p["id"]: p for p in scenario["projects"]}
        self.tasks = {}
        self.jobs = {}
        self.shapes = {}  # job id -> {frame: [shape]}
        self.sessions = {}  # sessionid -> (user, csrftoken)
        self.login_tokens = {}  # token key -> user
        self.requests = {}  # rq_id -> request state
        self.legacy = {}  # job id -> legacy export state
        self.stats = {"requests": 0, "exports": 0, "downloads": 0, "by_route": {}}
        self.faults = self.no_faults()
        random_source = random.Random(scenario.get("seed", 1))
        for task in scenario["tasks"]:
            task = dict(task)
            task.setdefault("updated_date", iso(EPOCH))
            self.tasks[task["id"]] = task
            step = task["segment_size"] - task["overlap"]
            for index, job in enumerate(task["jobs"]):
                start = index * step
                stop = min(start + task["segment_size"], task["size"]) - 1
                self.add_job(dict(job, task_id=task["id"], start_frame=start, stop_frame=stop, type="annotation"),
                             random_source)
            for job in task.get("extra_jobs", []):
                frames = job.get("frames", [0])
                self.add_job(dict(job, task_id=task["id"], start_frame=min(frames), stop_frame=max(frames)), random_source)

    @staticmethod
    def no_faults():
        return {"fail": {}, "never_finish": set(), "expire": set(), "conflict": set(), "not_coco": set(),
                "die_after": None, "unavailable": 0}

    def add_job(self, job, random_source):
        job.setdefault("updated_date", iso(EPOCH + timedelta(minutes=job["id"])))
        job.setdefault("created_date", iso(EPOCH))
        self.jobs[job["id"]] = job
        project = self.projects[self.tasks[job["task_id"]]["project_id"]]
        self.shapes[job["id"]] = {frame: self.random_shapes(project, random_source)
                                  for frame in self.job_frames(job)}

    def job_frames(self, job):
        return job.get("frames") or list(range(job["start_frame"], job["stop_frame"] + 1))

    @staticmethod
    def random_shapes(project, rnd):
        shapes = []
        for _ in range(rnd.choice([0, 1, 2, 2, 3, 4])):
            label = rnd.randrange(len(project["labels"]))
            kind = project["labels"][label]["type"]
            x, y = round(rnd.uniform(0, 1700), 2), round(rnd.uniform(0, 900), 2)
            w, h = round(rnd.uniform(8, 200), 2), round(rnd.uniform(8, 160), 2)
            shape = {"label": label, "type": kind, "occluded": rnd.random() < 0.2,
                     "rotation": 0.0 if rnd.random() < 0.8 else round(rnd.uniform(0, 360), 1)}
            if kind == "polygon":
                shape["points"] = [x, y, round(x + w, 2), y, round(x + w / 2, 2), round(y + h, 2)]
            elif kind == "mask":
                shape["box"] = [int(x), int(y), int(w) // 4 + 2, int(h) // 4 + 2]
            else:
                shape["points"] = [x, y, w, h]
            attributes = {}
            for spec in project["labels"][label]["attributes"]:
                if spec["input_type"] == "select":
                    attributes[spec["name"]] = rnd.choice(spec["values"])
                elif spec["input_type"] == "checkbox":
                    attributes[spec["name"]] = rnd.random() < 0.5
                else:
                    attributes[spec["name"]] = rnd.choice(["captain", "crew", "Ünal", "pilot \"7\""])
            shape["attributes"] = attributes
            if rnd.random() < 0.15:
                shape["track_id"], shape["keyframe"] = rnd.randrange(5), rnd.random() < 0.5
            shapes.append(shape)
        return shapes

    # MARK: Export, as CVAT's COCO 1.0 writer lays it out

    def coco(self, job):
        task = self.tasks[job["task_id"]]
        project = self.projects[task["project_id"]]
        categories = [{"id": i + 1, "name": label["name"], "supercategory": ""} for i, label in enumerate(project["labels"])]
        images, annotations = [], []
        for index, frame in enumerate(self.job_frames(job)):
            images.append({"id": index + 1, "width": task["width"], "height": task["height"],
                           "file_name": task["frame_name"].format(frame), "license": 0, "flickr_url": "",
                           "coco_url": "", "date_captured": 0})
            for shape in self.shapes[job["id"]].get(frame, []):
                annotation = {"id": len(annotations) + 1, "image_id": index + 1, "category_id": shape["label"] + 1}
                attributes = dict(shape["attributes"])
                attributes["occluded"] = shape["occluded"]
                attributes["rotation"] = shape["rotation"]
                if "track_id" in shape:
                    attributes["track_id"], attributes["keyframe"] = shape["track_id"], shape["keyframe"]
                if shape["type"] == "mask":
                    mx, my, mw, mh = shape["box"]
                    counts = rle_box(task["height"], task["width"], mx, my, mw, mh)
                    annotation.update({"segmentation": {"counts": counts, "size": [task["height"], task["width"]]},
                                       "area": float(mw * mh), "bbox": [float(mx), float(my), float(mw), float(mh)],
                                       "iscrowd": 1, "attributes": attributes})
                elif shape["type"] == "polygon":
                    p = shape["points"]
                    xs, ys = p[0::2], p[1::2]
                    annotation.update({"segmentation": [p], "area": polygon_area(p),
                                       "bbox": [min(xs), min(ys), round(max(xs) - min(xs), 2), round(max(ys) - min(ys), 2)],
                                       "iscrowd": 0, "attributes": attributes})
                else:
                    x, y, w, h = shape["points"]
                    annotation.update({"segmentation": [], "area": w * h, "bbox": [x, y, w, h], "iscrowd": 0,
                                       "attributes": attributes})
                annotations.append(annotation)
        return {"licenses": [{"name": "", "id": 0, "url": ""}],
                "info": {"contributor": "", "date_created": "", "description": "", "url": "", "version": "", "year": ""},
                "categories": categories, "images": images, "annotations": annotations}

    def export_zip(self, job):
        document = json.dumps(self.coco(job), separators=(",", ":"), ensure_ascii=False)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            if job["id"] in self.faults["not_coco"]:
                archive.writestr("job.xml", "<annotations><version>1.1</version></annotations>")  # another format's zip
            else:
                archive.writestr("annotations/instances_default.json", document)
        return buffer.getvalue()

    def touch(self, job):
        now = datetime.now(timezone.utc)
        previous = datetime.strptime(job["updated_date"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
        job["updated_date"] = iso(max(now, previous + timedelta(microseconds=1)))
        self.tasks[job["task_id"]]["updated_date"] = job["updated_date"]

    def edit(self, job_id, operation, frames):
        """Changes a job's shapes as an annotator would, and its updated_date with them."""
        job = self.jobs[job_id]
        project = self.projects[self.tasks[job["task_id"]]["project_id"]]
        rnd = random.Random(f"{job_id}:{operation}:{frames}")
        for frame in frames:
            shapes = self.shapes[job_id].setdefault(frame, [])
            if operation == "add" or not shapes:
                shapes.extend(self.random_shapes(project, rnd)[:1] or [{
                    "label": 0, "type": "rectangle", "occluded": False, "rotation": 0.0, "points": [10.0, 10.0, 50.0, 40.0],
                    "attributes": {"kind": "cargo", "moving": False}}])
            elif operation == "move":
                shape = shapes[0]
                if "points" in shape:
                    shape["points"] = [round(v + 3.5, 2) for v in shape["points"][:2]] + shape["points"][2:]
                else:
                    shape["box"][0] += 3
            elif operation == "relabel":
                shapes[0]["label"] = (shapes[0]["label"] + 3) % len(project["labels"])
                shapes[0]["type"] = project["labels"][shapes[0]["label"]]["type"]
                if shapes[0]["type"] == "mask" and "box" not in shapes[0]:
                    shapes[0]["box"] = [5, 5, 9, 9]
                if shapes[0]["type"] != "mask" and "points" not in shapes[0]:
                    shapes[0]["points"] = [5.0, 5.0, 9.0, 9.0]
                if shapes[0]["type"] == "polygon" and len(shapes[0]["points"]) < 6:
                    p = shapes[0]["points"]
                    shapes[0]["points"] = [p[0], p[1], p[0] + p[2], p[1], p[0], p[1] + p[3]]
                spec = project["labels"][shapes[0]["label"]]["attributes"]
                shapes[0]["attributes"] = {a["name"]: (a["values"][0] if a["input_type"] == "select" else
                                                       False if a["input_type"] == "checkbox" else "") for a in spec}
            elif operation == "remove":
                shapes.pop()
        self.touch(job)


def rle_box(height, width, x, y, w, h):
    """Column-major runs of a filled box (COCO's uncompressed RLE, as CVAT writes a mask): the
    first run counts zeros (possibly none), and runs alternate."""
    counts, zeros = [], x * height + y
    for _ in range(w):
        if zeros == 0 and counts:
            counts[-1] += h  # a full-height box: its columns are one run
        else:
            counts += [zeros, h]
        zeros = height - h
    trailing = zeros - y + (width - x - w) * height
    if trailing:
        counts.append(trailing)
    return counts


def polygon_area(p):
    xs, ys = p[0::2], p[1::2]
    return abs(sum(xs[i] * ys[(i + 1) % len(xs)] - xs[(i + 1) % len(xs)] * ys[i] for i in range(len(xs)))) / 2


# MARK: Serialization of CVAT's read models


def user(base, name="alice"):
    number = 1 if name == "alice" else 2
    return {"url": f"{base}/api/users/{number}", "id": number, "username": name, "first_name": name.title(), "last_name": "Doe"}


def storage():
    return {"id": 1, "location": "local", "cloud_storage_id": None}


def job_json(world, base, job):
    task = world.tasks[job["task_id"]]
    project = world.projects[task["project_id"]]
    frames = world.job_frames(job)
    data = {"url": f"{base}/api/jobs/{job['id']}", "id": job["id"], "task_id": task["id"], "project_id": project["id"],
            "assignee": user(base, "bob"), "guide_id": None, "dimension": "2d", "bug_tracker": None,
            "status": {"annotation": "annotation", "validation": "validation", "acceptance": "completed"}[job["stage"]],
            "stage": job["stage"], "state": job["state"], "mode": "annotation", "frame_count": len(frames),
            "start_frame": job["start_frame"], "stop_frame": job["stop_frame"], "data_chunk_size": 36,
            "data_compressed_chunk_type": "imageset", "data_original_chunk_type": "imageset",
            "created_date": job["created_date"], "updated_date": job["updated_date"],
            "issues": {"url": f"{base}/api/issues?job_id={job['id']}", "count": 0},
            "labels": {"url": f"{base}/api/labels?job_id={job['id']}"},
            "type": job.get("type", "annotation"), "organization": world.orgs.get(project.get("org")),
            "target_storage": storage(), "source_storage": storage(), "assignee_updated_date": None}
    if world.v >= (2, 20):
        data.update({"task_name": task["name"], "project_name": project["name"], "media_type": "image",
                     "parent_job_id": job.get("parent"), "consensus_replicas": 0})
    return data


def task_json(world, base, task):
    project = world.projects[task["project_id"]]
    jobs = [j for j in world.jobs.values() if j["task_id"] == task["id"]]
    data = {"url": f"{base}/api/tasks/{task['id']}", "id": task["id"], "name": task["name"], "project_id": project["id"],
            "mode": "annotation", "owner": user(base), "assignee": user(base), "bug_tracker": "",
            "created_date": iso(EPOCH), "updated_date": task["updated_date"], "overlap": task["overlap"],
            "segment_size": task["segment_size"], "status": "annotation", "data_chunk_size": 36,
            "data_compressed_chunk_type": "imageset", "data_original_chunk_type": "imageset", "size": task["size"],
            "image_quality": 70, "data": task["id"] + 100, "dimension": "2d", "subset": task["subset"],
            "organization": world.orgs.get(project.get("org")), "target_storage": storage(), "source_storage": storage(),
            "jobs": {"count": len(jobs), "completed": sum(j["state"] == "completed" for j in jobs), "validation": 0,
                     "url": f"{base}/api/jobs?task_id={task['id']}"},
            "labels": {"url": f"{base}/api/labels?task_id={task['id']}"}, "assignee_updated_date": None,
            "validation_mode": None, "guide_id": None}
    if world.v >= (2, 44):
        data["data_cloud_storage_id"] = task.get("cloud_storage_id")
    return data


def project_json(world, base, project):
    tasks = [t for t in world.tasks.values() if t["project_id"] == project["id"]]
    return {"url": f"{base}/api/projects/{project['id']}", "id": project["id"], "name": project["name"],
            "owner": user(base), "assignee": user(base), "guide_id": None, "bug_tracker": "",
            "task_subsets": sorted({t["subset"] for t in tasks if t["subset"]}), "created_date": iso(EPOCH),
            "updated_date": max([t["updated_date"] for t in tasks] + [iso(EPOCH)]), "status": "annotation",
            "dimension": "2d", "organization": world.orgs.get(project.get("org")),
            "target_storage": storage(), "source_storage": storage(),
            "tasks": {"count": len(tasks), "url": f"{base}/api/tasks?project_id={project['id']}"},
            "labels": {"url": f"{base}/api/labels?project_id={project['id']}"}, "assignee_updated_date": None}


def meta_json(world, task, frames):
    data = {"chunks_updated_date": iso(EPOCH), "chunk_size": 36, "size": len(frames), "image_quality": 70,
            "start_frame": frames[0] if frames else 0, "stop_frame": frames[-1] if frames else 0, "frame_filter": "",
            "frames": [{"width": task["width"], "height": task["height"], "name": task["frame_name"].format(f),
                        "related_files": 0, "has_related_context": False} for f in frames],
            "deleted_frames": [], "included_frames": None}
    if world.v >= (2, 44):
        data["cloud_storage_id"] = task.get("cloud_storage_id")
        data["storage"] = "cloud_storage" if task.get("cloud_storage_id") else "local"
    return data


def cloud_storage_json(base, storage_entry):
    attributes = urlencode({"endpoint_url": storage_entry["endpoint_url"], "region": storage_entry["region"]}) \
        if storage_entry.get("endpoint_url") else urlencode({"region": storage_entry["region"]})
    return {"id": storage_entry["id"], "owner": user(base), "manifests": ["manifest.jsonl"], "created_date": iso(EPOCH),
            "updated_date": iso(EPOCH), "provider_type": storage_entry.get("provider", "AWS_S3_BUCKET"),
            "resource": storage_entry["bucket"], "display_name": storage_entry["display_name"],
            "credentials_type": "KEY_SECRET_KEY_PAIR", "specific_attributes": attributes, "description": "",
            "organization": None}


def request_json(world, base, request):
    state = request_status(world, request)
    done = state in ("finished", "failed")
    data = {"status": state, "message": request.get("message", "") if state == "failed" else "",
            "id": request["id"],
            "operation": {"type": "export:annotations", "target": "job", "project_id": None,
                          "task_id": request["task_id"], "job_id": request["job_id"], "format": FORMAT, "function_id": None},
            "progress": 1.0 if done else 0.0 if state == "queued" else 0.5, "created_date": iso(request["created"]),
            "started_date": iso(request["created"]) if state != "queued" else None,
            "finished_date": iso(datetime.now(timezone.utc)) if done else None,
            "expiry_date": iso(datetime.now(timezone.utc) + timedelta(hours=1)) if state == "finished" else None,
            "owner": {"id": 1, "username": "alice"},
            "result_url": f"{base}/api/jobs/{request['job_id']}/dataset/download?rq_id={quote(request['id'], safe='')}"
            if state == "finished" else None,
            "result_id": None}
    return data


def request_status(world, request):
    if request["job_id"] in world.faults["never_finish"]:
        return "started"
    age = time.monotonic() - request["started"]
    if age < world.queue_delay:
        return "queued"
    if age < world.queue_delay + world.export_delay:
        return "started"
    if request["job_id"] in world.faults["fail"]:
        request["message"] = world.faults["fail"][request["job_id"]]
        return "failed"
    return "finished"


# MARK: HTTP


class Handler(BaseHTTPRequestHandler):
    server_version = "nginx"
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        if os.environ.get("CVAT_SERVER_LOG"):
            sys.stderr.write("%s %s\n" % (self.command, self.path))

    @property
    def world(self):
        return self.server.world

    @property
    def base(self):
        return f"http://{self.headers.get('Host', 'localhost')}"

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PATCH(self):
        self.dispatch("PATCH")

    def send(self, status, body=b"", content_type="application/vnd.cvat+json", headers=()):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                # The client went away mid-body (a test kills dsv while it downloads): nothing
                # to report, and no traceback in the test log.
                self.close_connection = True

    def detail(self, status, text):
        self.send(status, {"detail": text})

    def dispatch(self, method):
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = url.path.rstrip("/") or "/"
        world = self.world
        with world.lock:
            if not path.startswith("/_test"):
                world.stats["requests"] += 1
                parts = path.split("/")
                if parts[1:3] == ["api", "requests"] and len(parts) > 3:
                    parts[3] = "{rq_id}"
                route = method + " " + "/".join("{id}" if part.isdigit() else part for part in parts)
                world.stats["by_route"][route] = world.stats["by_route"].get(route, 0) + 1
                if world.faults["die_after"] is not None:
                    world.faults["die_after"] -= 1
                    if world.faults["die_after"] < 0:
                        os._exit(3)
                if world.faults["unavailable"] > 0:
                    world.faults["unavailable"] -= 1
                    return self.send(503, "<html><body>503 Service Temporarily Unavailable</body></html>", "text/html")
            try:
                return self.route(method, path, query, body)
            except KeyError:
                return self.detail(404, "Not found.")

    # MARK: Auth

    def identify(self, method):
        """The user a request authenticates as, or (status, detail) refusing it."""
        world = self.world
        authorization = self.headers.get("Authorization", "")
        if authorization.startswith("Bearer "):
            if world.v >= (2, 48) and authorization[7:] in world.pats:
                return "alice"
            return (401, "Invalid token.")
        if authorization.startswith("Token "):
            user_name = world.login_tokens.get(authorization[6:])
            return user_name if user_name else (401, "Invalid token.")
        if authorization.startswith("Basic "):
            try:
                name, _, password = base64.b64decode(authorization[6:]).decode().partition(":")
            except Exception:
                return (401, "Invalid basic header. Credentials not correctly base64 encoded.")
            if world.users.get(name) == password:
                return name
            return (401, "Invalid username/password.")
        cookies = dict(part.strip().split("=", 1) for part in self.headers.get("Cookie", "").split(";") if "=" in part)
        session = world.sessions.get(cookies.get("sessionid", ""))
        if session:
            user_name, csrf = session
            if method not in ("GET", "HEAD", "OPTIONS") and (self.headers.get("X-CSRFToken") != csrf or cookies.get("csrftoken") != csrf):
                return (403, "CSRF Failed: CSRF token missing.")
            return user_name
        return (401, "Authentication credentials were not provided.")

    def organization(self, query):
        return self.headers.get("X-Organization") or query.get("org") or None

    def visible(self, project, query):
        return project.get("org") == self.organization(query)

    # MARK: Routes

    def route(self, method, path, query, body):
        world, base = self.world, self.base
        parts = [unquote(part) for part in path.strip("/").split("/")]
        if path.startswith("/_test"):
            return self.test_route(method, parts[1:], body)
        if path == "/api/server/about" and method == "GET":
            about = {"name": "Computer Vision Annotation Tool", "description": "CVAT of the dsv test suite", "version": world.version}
            if world.v >= (2, 30):
                about.update({"logo_url": f"{base}/static/logo.svg", "subtitle": "test server"})
            return self.send(200, about)
        if path == "/api/auth/login" and method == "POST":
            if not world.login_enabled:
                return self.detail(404, "Not found.")
            try:
                credentials = json.loads(body or b"{}")
            except ValueError:
                return self.detail(400, "JSON parse error")
            name = credentials.get("username") or credentials.get("email")
            if not name or world.users.get(name) != credentials.get("password"):
                return self.send(400, {"non_field_errors": ["Unable to log in with provided credentials."]})
            key, session, csrf = secrets.token_hex(20), secrets.token_hex(16), secrets.token_hex(16)
            world.login_tokens[key] = name
            world.sessions[session] = (name, csrf)
            return self.send(200, {"key": key}, headers=[
                ("Set-Cookie", f"csrftoken={csrf}; expires=Thu, 02 Dec 2027 09:30:00 GMT; Max-Age=31449600; Path=/; SameSite=Lax"),
                ("Set-Cookie", f"sessionid={session}; expires=Thu, 17 Dec 2026 09:30:00 GMT; HttpOnly; Max-Age=1209600; Path=/; SameSite=Lax")])
        identity = self.identify(method)
        if isinstance(identity, tuple):
            return self.detail(*identity)
        if parts[:2] == ["api", "auth"] and parts[2:] == ["logout"]:
            return self.send(200, {"detail": "Successfully logged out."})
        if parts[:2] == ["api", "users"] and parts[2:] == ["self"]:
            return self.send(200, dict(user(base), email="alice@example.com", groups=["user"], is_staff=False,
                                       is_superuser=False, is_active=True, last_login=iso(EPOCH), date_joined=iso(EPOCH)))
        if parts[:2] == ["api", "projects"] and len(parts) == 2 and method == "GET":
            projects = [p for p in world.projects.values() if self.visible(p, query)]
            return self.page([project_json(world, base, p) for p in sorted(projects, key=lambda p: -p["id"])], query)
        if parts[:2] == ["api", "projects"] and len(parts) == 3 and method == "GET":
            project = world.projects[int(parts[2])]
            if not self.visible(project, query):
                return self.detail(404, "Not found.")
            return self.send(200, project_json(world, base, project))
        if parts[:2] == ["api", "tasks"] and len(parts) == 3 and method == "GET":
            task = self.task(int(parts[2]), query)
            return self.send(200, task_json(world, base, task)) if task else self.detail(404, "Not found.")
        if parts[:2] == ["api", "tasks"] and parts[3:] == ["data", "meta"] and method == "GET":
            task = self.task(int(parts[2]), query)
            return self.send(200, meta_json(world, task, list(range(task["size"])))) if task else self.detail(404, "Not found.")
        if parts[:2] == ["api", "tasks"] and len(parts) == 2 and method == "GET":
            tasks = [t for t in world.tasks.values() if self.task(t["id"], query)
                     and ("project_id" not in query or str(t["project_id"]) == query["project_id"])]
            return self.page([task_json(world, base, t) for t in sorted(tasks, key=lambda t: -t["id"])], query)
        if parts[:2] == ["api", "jobs"] and len(parts) == 2 and method == "GET":
            return self.page([job_json(world, base, j) for j in self.filtered_jobs(query)], query)
        if parts[:2] == ["api", "jobs"] and len(parts) >= 3:
            job = self.job(int(parts[2]), query)
            if job is None:
                return self.detail(404, "Not found.")
            rest = parts[3:]
            if rest == [] and method == "GET":
                return self.send(200, job_json(world, base, job))
            if rest == ["data", "meta"] and method == "GET":
                return self.send(200, meta_json(world, world.tasks[job["task_id"]], world.job_frames(job)))
            if rest == ["dataset", "export"] and method == "POST":
                return self.start_export(job, query)
            if rest == ["dataset", "download"] and method == "GET":
                return self.download(job, query.get("rq_id", ""))
            if rest == ["annotations"] and method == "GET" and "format" in query:
                return self.legacy_export(job, query)
        if parts[:2] == ["api", "requests"] and len(parts) == 3 and method == "GET" and world.v >= (2, 16):
            request = world.requests.get(parts[2])
            return self.send(200, request_json(world, base, request)) if request else self.detail(404, "Not found.")
        if parts[:2] == ["api", "requests"] and len(parts) == 2 and method == "GET" and world.v >= (2, 16):
            items = [r for r in world.requests.values() if self.request_matches(r, query)]
            return self.page([request_json(world, base, r) for r in items], query)
        if parts[:2] == ["api", "cloudstorages"] and len(parts) == 3 and method == "GET":
            return self.send(200, cloud_storage_json(base, world.cloud_storages[int(parts[2])]))
        return self.detail(404, "Not found.")

    def task(self, task_id, query):
        task = self.world.tasks.get(task_id)
        return task if task and self.visible(self.world.projects[task["project_id"]], query) else None

    def job(self, job_id, query):
        job = self.world.jobs.get(job_id)
        return job if job and self.task(job["task_id"], query) else None

    def filtered_jobs(self, query):
        jobs = []
        for job in sorted(self.world.jobs.values(), key=lambda j: -j["id"]):
            task = self.task(job["task_id"], query)
            if not task:
                continue
            fields = {"project_id": str(task["project_id"]), "task_id": str(task["id"]), "state": job["state"],
                      "stage": job["stage"], "type": job.get("type", "annotation")}
            if self.world.v < (2, 5):
                fields.pop("type")  # no ground-truth jobs yet: the filter is ignored, as unknown ones are
            if all(query[key] == value for key, value in fields.items() if key in query):
                jobs.append(job)
        return jobs

    def request_matches(self, request, query):
        fields = {"action": "export", "target": "job", "job_id": str(request["job_id"]), "task_id": str(request["task_id"]),
                  "format": FORMAT, "subresource": "annotations", "status": request_status(self.world, request)}
        return all(query[key] == value for key, value in fields.items() if key in query)

    def page(self, items, query):
        size = max(1, min(int(query.get("page_size", 10)), 1000))
        number = int(query.get("page", 1))
        start = (number - 1) * size
        if start > len(items) and items:
            return self.detail(404, "Invalid page.")
        def link(n):
            return f"{self.base}{urlsplit(self.path).path}?{urlencode(dict(query, page=n))}"
        return self.send(200, {"count": len(items), "next": link(number + 1) if start + size < len(items) else None,
                               "previous": link(number - 1) if number > 1 else None, "results": items[start:start + size]})

    # MARK: Exports

    def start_export(self, job, query):
        world = self.world
        if world.v < (2, 16):
            return self.detail(404, "Not found.")
        if query.get("format") != FORMAT:
            return self.send(405, "Unknown format specified for the request", "text/plain")
        running = [r for r in world.requests.values() if r["job_id"] == job["id"] and request_status(world, r) in ("queued", "started")]
        if job["id"] in world.faults["conflict"]:
            # An export an earlier run started, still running: 409, and the client finds it.
            world.faults["conflict"].discard(job["id"])
            running.append(self.new_request(job))
        if running:
            return self.send(409, "Export request for this job is already in progress", "text/plain")
        request = self.new_request(job)
        world.stats["exports"] += 1
        return self.send(202, {"rq_id": request["id"]})

    def new_request(self, job):
        rq_id = f"action=export&target=job&id={job['id']}&format={FORMAT}&subresource=annotations&user_id=1&n={len(self.world.requests)}"
        request = {"id": rq_id, "job_id": job["id"], "task_id": job["task_id"], "created": datetime.now(timezone.utc),
                   "started": time.monotonic(), "zip": None}
        self.world.requests[rq_id] = request
        return request

    def download(self, job, rq_id):
        world = self.world
        request = world.requests.get(rq_id)
        if not request or request["job_id"] != job["id"] or request_status(world, request) != "finished":
            return self.detail(404, "Not found.")
        if job["id"] in world.faults["expire"]:
            world.faults["expire"].discard(job["id"])
            del world.requests[rq_id]
            return self.detail(404, "The exported file has expired, please retry exporting")
        world.stats["downloads"] += 1
        archive = request["zip"] or world.export_zip(job)
        request["zip"] = archive
        return self.send(200, archive, "application/zip", headers=[
            ("Content-Disposition", f'attachment; filename="job_{job["id"]}_annotations_coco_1.0.zip"')])

    def legacy_export(self, job, query):
        """The flow of CVAT up to 2.31: 202 while the export runs, 201 once ready, then the file."""
        world = self.world
        if world.v > (2, 31):
            return self.send(400, "This endpoint no longer handles exporting, use the /dataset/export endpoint", "text/plain")
        if query["format"] != FORMAT:
            return self.send(405, "Unknown format specified for the request", "text/plain")
        state = world.legacy.get(job["id"])
        if query.get("action") == "download":
            if not state or request_status(world, state) != "finished":
                return self.detail(404, "Not found.")
            if job["id"] in world.faults["expire"]:
                world.faults["expire"].discard(job["id"])
                del world.legacy[job["id"]]
                return self.detail(404, "Not found.")
            del world.legacy[job["id"]]
            world.stats["downloads"] += 1
            return self.send(200, world.export_zip(job), "application/zip", headers=[
                ("Content-Disposition", f'attachment; filename="job_{job["id"]}_annotations.zip"')])
        if not state:
            world.legacy[job["id"]] = {"id": f"legacy-{job['id']}", "job_id": job["id"], "task_id": job["task_id"],
                                       "started": time.monotonic()}
            world.stats["exports"] += 1
            return self.send(202)
        status = request_status(world, state)
        if status == "failed":
            del world.legacy[job["id"]]
            return self.send(500, f"Traceback (most recent call last):\n  ...\nException: {state['message']}", "text/plain")
        return self.send(201 if status == "finished" else 202)

    # MARK: Test controls

    def test_route(self, method, parts, body):
        world = self.world
        request = json.loads(body or b"{}")
        if parts == ["stats"]:
            return self.send(200, world.stats, "application/json")
        if parts == ["reset-stats"]:
            world.stats = {"requests": 0, "exports": 0, "downloads": 0, "by_route": {}}
            return self.send(200, {}, "application/json")
        if parts == ["faults"]:
            faults = world.faults
            for job_id, message in request.get("fail", {}).items():
                faults["fail"][int(job_id)] = message
            faults["never_finish"] |= set(request.get("never_finish", []))
            faults["expire"] |= set(request.get("expire", []))
            faults["conflict"] |= set(request.get("conflict", []))
            faults["not_coco"] |= set(request.get("not_coco", []))
            if "die_after" in request:
                faults["die_after"] = request["die_after"]
            faults["unavailable"] += request.get("unavailable", 0)
            if request.get("clear"):
                world.faults = world.no_faults()
            return self.send(200, {}, "application/json")
        if len(parts) == 3 and parts[0] == "jobs" and parts[2] == "edit":
            world.edit(int(parts[1]), request["op"], request["frames"])
            return self.send(200, job_json(world, self.base, world.jobs[int(parts[1])]), "application/json")
        if len(parts) == 3 and parts[0] == "jobs" and parts[2] == "state":
            job = world.jobs[int(parts[1])]
            job.update({k: request[k] for k in ("state", "stage") if k in request})
            world.touch(job)
            return self.send(200, job_json(world, self.base, job), "application/json")
        if len(parts) == 3 and parts[0] == "jobs" and parts[2] == "export":
            # The zip CVAT would export now, for tests to compare with.
            return self.send(200, world.export_zip(world.jobs[int(parts[1])]), "application/zip")
        if parts == ["frames"]:
            # Every frame name of the tasks whose data is in a cloud storage, to upload as objects.
            names = [t["frame_name"].format(f) for t in world.tasks.values() if t.get("cloud_storage_id") for f in range(t["size"])]
            return self.send(200, names, "application/json")
        return self.detail(404, "Not found.")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file")
    parser.add_argument("--version", default="2.80.0")
    parser.add_argument("--scenario")
    parser.add_argument("--standard", default="", help="parameters of the standard scenario: bucket=…,endpoint=…,tasks=…")
    parser.add_argument("--queue-delay", type=float, default=0.2)
    parser.add_argument("--export-delay", type=float, default=0.2)
    parser.add_argument("--no-login", action="store_true")
    args = parser.parse_args()
    if args.scenario:
        with open(args.scenario) as handle:
            scenario = json.load(handle)
    else:
        parameters = dict(item.split("=", 1) for item in args.standard.split(",") if item)
        for key in ("tasks", "jobs_per_task", "frames_per_job", "overlap", "seed", "completed", "cloud"):
            if key in parameters:
                parameters[key] = int(parameters[key])
        scenario = standard_scenario(**parameters)
    world = World(scenario, args.version, args.queue_delay, args.export_delay, not args.no_login)
    server = Server(("127.0.0.1", args.port), Handler)
    server.world = world
    port = server.server_address[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as handle:
            handle.write(str(port))
        os.replace(args.port_file + ".tmp", args.port_file)
    print(port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
