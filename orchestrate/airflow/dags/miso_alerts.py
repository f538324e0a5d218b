"""Failure and deadline alerts of the tap-miso DAGs: always a log line, plus a webhook post.

The webhook URL comes from the worker environment (`TAP_MISO_ALERT_WEBHOOK_URL`) or the Airflow
Variable `tap_miso_alert_webhook_url`; it receives a small JSON document (Slack-style `text`
plus fields). The URL may embed a token, so it is never logged. Callbacks never raise.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import urllib.request
from collections.abc import Mapping
from typing import Any

log = logging.getLogger("tap_miso.airflow")

WEBHOOK_ENV = "TAP_MISO_ALERT_WEBHOOK_URL"
WEBHOOK_VARIABLE = "tap_miso_alert_webhook_url"
WEBHOOK_TIMEOUT_SECONDS = 10
MAX_MESSAGE = 500


def webhook_url() -> str | None:
    """The configured webhook URL (environment first, then the Airflow Variable), or None."""
    url = os.environ.get(WEBHOOK_ENV, "").strip()
    if url:
        return url
    try:
        from airflow.sdk import Variable

        return (Variable.get(WEBHOOK_VARIABLE, default=None) or "").strip() or None
    except Exception:  # no Airflow, no API server reachable, ...: alerts still get logged
        return None


def post_alert(payload: Mapping[str, Any], url: str | None = None) -> bool:
    """POST `payload` as JSON to the webhook; False (and a log line) when none or it fails."""
    url = url if url is not None else webhook_url()
    if not url:
        return False
    if not url.startswith(("https://", "http://")):
        log.error("tap-miso alert webhook not posted: the URL is not http(s)")
        return False
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:
            response.read()
        return True
    except Exception as exc:  # the alert is already logged; a webhook outage must not mask it
        log.error("tap-miso alert webhook post failed: %s", type(exc).__name__)
        return False


def _one_line(value: Any) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."


def failure_payload(context: Mapping[str, Any]) -> dict[str, Any]:
    """Alert document of a failed task instance from its Airflow context."""
    ti = context.get("ti") or context.get("task_instance")
    dag_id = getattr(ti, "dag_id", None) or getattr(context.get("dag"), "dag_id", None)
    task_id = getattr(ti, "task_id", None)
    map_index = getattr(ti, "map_index", -1)
    error = _one_line(context.get("exception") or "unknown error")
    where = f"{dag_id}.{task_id}" + (f"[{map_index}]" if map_index not in (None, -1) else "")
    return {
        "text": f"tap-miso task failed: {where}: {error}",
        "kind": "task_failed",
        "dag_id": dag_id,
        "task_id": task_id,
        "map_index": map_index,
        "run_id": context.get("run_id"),
        "try_number": getattr(ti, "try_number", None),
        "error": error,
    }


def on_task_failure(context: Mapping[str, Any]) -> None:
    """`on_failure_callback` of every task: log the failure, then post it to the webhook."""
    try:
        payload = failure_payload(context)
        log.error("%s", payload["text"])
        post_alert(payload)
    except Exception as exc:  # a broken alert must not hide the task's own failure
        log.error("tap-miso failure alert could not be built: %s", type(exc).__name__)


async def on_deadline_missed(context: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
    """Deadline callback (runs in the triggerer): a DAG run is still not done in time."""
    context = context or {}
    dag_run = context.get("dag_run") or {}
    dag_id = kwargs.get("dag_id") or (dag_run.get("dag_id") if isinstance(dag_run, Mapping)
                                      else getattr(dag_run, "dag_id", None))
    payload = {
        "text": f"tap-miso run late: {dag_id} is not done within {kwargs.get('deadline', '?')}",
        "kind": "deadline_missed",
        "dag_id": dag_id,
        "deadline": kwargs.get("deadline"),
    }
    log.error("%s", payload["text"])
    await asyncio.to_thread(post_alert, payload)
