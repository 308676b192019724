"""Digests: pure renderers for every sink format (JSON, Slack Block Kit, text, HTML, e-mail)."""

from monitor.digest.render import (
    format_event,
    format_money,
    render_email,
    render_html,
    render_json,
    render_slack,
    render_text,
)

__all__ = ["format_event", "format_money", "render_email", "render_html", "render_json", "render_slack",
           "render_text"]
