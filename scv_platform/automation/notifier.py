"""Alerts: what failed, where, and a link to the run, sent to a log line, a file and, when
configured, Slack (dagster-slack) and a webhook.

Secrets (the Slack token, the webhook URL, which carries its own token) come from environment
variables through ``dg.EnvVar`` and are never logged or written to the alerts file.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
from pydantic import Field

from scv_platform.automation.retries import (
    NOTIFIER_ATTEMPTS,
    NOTIFIER_DELAY_SECONDS,
    call_with_retry,
)
from scv_platform.settings import DEFAULT_WEBSERVER_URL, Settings

NOTIFIER_KEY = "notifier"
SLACK_API_URL = "https://slack.com/api/"
MAX_DETAIL_LINES = 20


@dataclass(frozen=True)
class Alert:
    """One alert: ``title`` says what failed, ``where`` where (job, assets, partition)."""

    kind: str  # run_failure | check_failure
    title: str
    where: str
    run_id: str | None
    severity: str = "ERROR"
    details: tuple[str, ...] = field(default_factory=tuple)

    def text(self, run_url: str | None) -> str:
        lines = [f"[{self.severity}] {self.title}", f"Where: {self.where}"]
        lines += [f"  {line}" for line in self.details[:MAX_DETAIL_LINES]]
        if len(self.details) > MAX_DETAIL_LINES:
            lines.append(f"  ... and {len(self.details) - MAX_DETAIL_LINES} more")
        if run_url:
            lines.append(f"Run: {run_url}")
        return "\n".join(lines)


class NotifierResource(dg.ConfigurableResource):
    """Sends alerts. Always: an ERROR log line and a JSON line in ``alerts_file``. Also Slack
    when ``slack_token`` and ``slack_channel`` are set, and a JSON POST to ``webhook_url``."""

    alerts_file: str = Field(description="JSON-lines file every alert is appended to.")
    webserver_url: str = Field(
        default=DEFAULT_WEBSERVER_URL, description="Base URL of the Dagster UI, for run links."
    )
    slack_token: str | None = Field(default=None, description="Slack bot token (secret).")
    slack_channel: str | None = Field(default=None, description="Slack channel to post to.")
    slack_api_url: str = Field(default=SLACK_API_URL, description="Slack Web API base URL.")
    webhook_url: str | None = Field(default=None, description="Webhook for alerts (secret).")
    max_attempts: int = Field(default=NOTIFIER_ATTEMPTS, description="Tries per channel.")
    retry_delay_seconds: float = Field(
        default=NOTIFIER_DELAY_SECONDS, description="First wait between tries, then doubled."
    )
    timeout_seconds: float = Field(default=10.0, description="Timeout of one HTTP call.")

    def run_url(self, run_id: str) -> str:
        return f"{self.webserver_url.rstrip('/')}/runs/{run_id}"

    def send(self, alert: Alert, log: logging.Logger | dg.DagsterLogManager | None = None) -> dict:
        """Deliver ``alert`` on every configured channel (each with retries) and return the
        record written to the alerts file. A channel that still fails is logged, not raised,
        so one broken channel never stops the others or the sensor."""
        log = log or dg.get_dagster_logger("scv_alerts")
        run_url = self.run_url(alert.run_id) if alert.run_id else None
        text = alert.text(run_url)
        log.error(f"ALERT {alert.title} | {alert.where}" + (f" | {run_url}" if run_url else ""))
        channels = []
        if self.slack_token and self.slack_channel:
            channels.append(("slack", self._post_slack))
        if self.webhook_url:
            channels.append(("webhook", self._post_webhook))
        delivered, failed = ["log"], []
        for name, post in channels:
            try:
                self._retry(lambda post=post: post(alert, text, run_url))
                delivered.append(name)
            except Exception as exc:  # a channel failure must not stop the others
                failed.append(name)
                log.error(f"alert not delivered to {name}: {type(exc).__name__}")
        record = {
            "sent_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "kind": alert.kind,
            "severity": alert.severity,
            "title": alert.title,
            "where": alert.where,
            "details": list(alert.details),
            "run_id": alert.run_id,
            "run_url": run_url,
            "delivered": [*delivered, "file"],
            "failed": failed,
        }
        self._retry(lambda: self._append(record))
        return record

    def _retry(self, send) -> None:
        call_with_retry(send, attempts=self.max_attempts, delay_seconds=self.retry_delay_seconds)

    def _append(self, record: dict) -> None:
        path = Path(self.alerts_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")

    def _post_slack(self, alert: Alert, text: str, run_url: str | None) -> None:
        from dagster_slack import SlackResource

        client = SlackResource(token=self.slack_token or "").get_client()
        client.base_url = self.slack_api_url.rstrip("/") + "/"
        client.timeout = int(self.timeout_seconds)
        client.chat_postMessage(channel=self.slack_channel, text=text)

    def _post_webhook(self, alert: Alert, text: str, run_url: str | None) -> None:
        body = json.dumps(
            {
                "text": text,
                "kind": alert.kind,
                "severity": alert.severity,
                "title": alert.title,
                "where": alert.where,
                "details": list(alert.details),
                "run_id": alert.run_id,
                "run_url": run_url,
            }
        ).encode()
        request = urllib.request.Request(
            self.webhook_url or "",
            data=body,
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=self.timeout_seconds) as response:
            response.read()


def notifier_resource(settings: Settings) -> NotifierResource:
    """The notifier of the environment: secrets stay in the environment (``dg.EnvVar``)."""
    ops = settings.operations
    return NotifierResource(
        alerts_file=str(ops.alerts_file),
        webserver_url=ops.webserver_url,
        slack_token=dg.EnvVar("SCV_SLACK_TOKEN") if ops.slack_token else None,
        slack_channel=ops.slack_channel,
        webhook_url=dg.EnvVar("SCV_ALERT_WEBHOOK_URL") if ops.webhook_url else None,
    )
