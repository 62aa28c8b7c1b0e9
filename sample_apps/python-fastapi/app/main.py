"""The FastAPI application: ``/health``, ``/`` and ``/tasks``."""

from __future__ import annotations

import platform
import time

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

app = FastAPI(title="dockopt python-fastapi sample")
_started = time.monotonic()
_tasks: list[dict] = []


class TaskIn(BaseModel):
    title: str = Field(min_length=1, max_length=200)


@app.get("/health")
def health() -> dict:
    return {"status": "ok", "uptime_s": round(time.monotonic() - _started)}


@app.get("/")
def index() -> dict:
    return {"service": "python-fastapi", "python": platform.python_version(), "endpoints": ["/health", "/tasks"]}


@app.get("/tasks")
def list_tasks() -> list[dict]:
    return _tasks


@app.post("/tasks", status_code=201)
def add_task(task: TaskIn) -> dict:
    item = {"id": len(_tasks) + 1, "title": task.title}
    _tasks.append(item)
    return item


@app.get("/tasks/{task_id}")
def get_task(task_id: int) -> dict:
    for item in _tasks:
        if item["id"] == task_id:
            return item
    raise HTTPException(status_code=404, detail="no such task")
