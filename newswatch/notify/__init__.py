"""Notifications: the events `[notify.NAME]` blocks select, delivered through Apprise.

    channels.py  the blocks as channels (event selection) and their URLs as targets
    secrets.py   masking URLs, scrubbing secrets from logs and errors
    render.py    messages: title, text and HTML bodies, one event or a digest
    digest.py    digest periods
    outbox.py    the bookkeeping in the store (deliveries, notify_targets)
    sender.py    the sender: a thread of the daemon, or a drain at the end of a crawl

See docs/notifications.md.
"""

from newswatch.notify.channels import Channel, Target, build_channels
from newswatch.notify.sender import NotifyService, Sender, finish, prepare, send, start_service

__all__ = ["Channel", "NotifyService", "Sender", "Target", "build_channels", "finish",
           "prepare", "send", "start_service"]
