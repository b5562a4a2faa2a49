"""`newswatch sources`: every source's health, last run, next run and failures."""

from __future__ import annotations

import json
import shutil
import sqlite3
import sys
from datetime import datetime
from typing import TYPE_CHECKING

import click

from newswatch.commands.common import config_from
from newswatch.exceptions import NewswatchError

if TYPE_CHECKING:
    from store.sources_view import NotifyState, SourceState

EMPTY = "-"  # a cell with nothing to show (keeps columns split-able on whitespace)
MIN_ERROR_WIDTH = 20  # LAST ERROR never shrinks below this on a narrow terminal
PIPE_ERROR_WIDTH = 80  # LAST ERROR's width when the output is not a terminal
HEADER = ("HEALTH", "SOURCE", "LAST RUN (UTC)", "TOOK", "NEXT RUN (UTC)", "FAIL", "FETCHED",
          "NEW", "UPD", "UNCH", "DUP", "ERR", "LAST ERROR")
LEFT = {0, 1, 2, 4, 12}  # columns aligned left; the numbers align right
NOTIFY_HEADER = ("NOTIFY", "CHANNEL", "URL (secrets masked)", "FAIL", "UNSENT", "LAST OK (UTC)",
                 "NEXT TRY (UTC)", "LAST ERROR")


@click.command(name="sources")
@click.option("--json", "as_json", is_flag=True,
              help="A JSON array: one object per source with every field.")
@click.pass_context
def command(ctx: click.Context, as_json: bool) -> None:
    """Every configured source: health, last run (when, how long, counts), next run,
    consecutive failures. Failing sources first, then silent, ok, never run; sources
    the store knows but the config no longer names come last, marked not configured.
    A run in progress shows as "running since" in the NEXT RUN column. With
    [notify.*] blocks, a second table follows: each notification URL (secrets masked),
    ok or failing, failed attempts in a row, deliveries waiting, the last error.

    Example: newswatch --config newswatch.toml sources
    """
    from store.model import utcnow
    from store.sources_view import source_states

    config = config_from(ctx)
    configured = {name: source.every for name, source in config.sources.items()}
    try:
        states = source_states(config.db, configured)
    except sqlite3.DatabaseError as exc:
        raise NewswatchError(f"{config.db} is not a newswatch store: {exc}") from None
    if as_json:
        click.echo(json.dumps([state.as_dict() for state in states], indent=2))
        return
    width = shutil.get_terminal_size().columns if sys.stdout.isatty() else None
    click.echo(format_table(states, utcnow(), width))
    if config.notify:
        from store.sources_view import notify_states

        click.echo("\n" + format_notify(notify_states(config.db, set(config.notify)),
                                        sorted(config.notify), utcnow(), width))


def format_table(states: list[SourceState], now: datetime, width: int | None = None) -> str:
    """One aligned line per source under a header. LAST ERROR is cut to what a terminal
    `width` leaves (at least MIN_ERROR_WIDTH), or to PIPE_ERROR_WIDTH without one."""
    rows = [list(HEADER), *(_cells(state, now) for state in states)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER) - 1)]
    used = sum(widths) + 2 * len(widths)
    room = PIPE_ERROR_WIDTH if width is None else max(MIN_ERROR_WIDTH, width - used)
    lines = []
    for row in rows:
        cells = [cell.ljust(w) if i in LEFT else cell.rjust(w)
                 for i, (cell, w) in enumerate(zip(row, widths, strict=False))]
        lines.append("  ".join([*cells, _cut(row[-1], room)]).rstrip())
    return "\n".join(lines)


def format_notify(states: list[NotifyState], channels: list[str], now: datetime,
                  width: int | None = None) -> str:
    """The notification URLs (secrets masked): failing first, with what waits for them."""
    rows = [list(NOTIFY_HEADER)]
    for state in states:
        rows.append([state.health, state.channel if state.configured
                     else f"{state.channel} (not configured)", state.target,
                     str(state.failures), str(state.unsent),
                     _when(state.last_ok_at, now) if state.last_ok_at else "never",
                     _when(state.next_attempt_at, now, future=True)
                     if state.health == "failing" or state.failures else EMPTY,
                     " ".join(state.last_error.split()) if state.last_error else EMPTY])
    used = {state.channel for state in states}
    rows += [["new", name, "(nothing sent yet)", EMPTY, EMPTY, EMPTY, EMPTY, EMPTY]
             for name in channels if name not in used]
    widths = [max(len(row[i]) for row in rows) for i in range(len(NOTIFY_HEADER) - 1)]
    room = PIPE_ERROR_WIDTH if width is None else max(
        MIN_ERROR_WIDTH, width - sum(widths) - 2 * len(widths))
    lines = []
    for row in rows:
        cells = [cell.rjust(w) if i in (3, 4) else cell.ljust(w)
                 for i, (cell, w) in enumerate(zip(row, widths, strict=False))]
        lines.append("  ".join([*cells, _cut(row[-1], room)]).rstrip())
    return "\n".join(lines)


def _cells(state: SourceState, now: datetime) -> list[str]:
    last = state.last_run
    counts = ([str(n) for n in (last.fetched, last.new, last.updated, last.unchanged,
                                last.duplicates, last.errors)] if last else [EMPTY] * 6)
    if state.running_since:
        next_run = f"running since {_when(state.running_since, now)}"
    else:
        next_run = _when(state.next_run_at, now, future=True)
    error = state.last_error or (last.reason if last and last.status != "ok" else None)
    return [
        state.health,
        state.name if state.configured else f"{state.name} (not configured)",
        _when(state.last_run_at, now) if state.last_run_at else "never run",
        _took(state.last_duration_s),
        next_run,
        str(state.failures) if state.last_run_at else EMPTY,
        *counts,
        " ".join(error.split()) if error else EMPTY,
    ]


def _when(stamp: str | None, now: datetime, *, future: bool = False) -> str:
    """`2024-10-01 12:00 (12m ago)`, `... (in 4m)`; a next run already past is overdue."""
    from store.revisit import parse_iso

    if not stamp:
        return EMPTY
    try:
        moment = parse_iso(stamp)
    except ValueError:
        return stamp
    seconds = (moment - now).total_seconds()
    if seconds >= 0:
        relative = f"in {_span(seconds)}"
    elif future:
        relative = f"overdue {_span(-seconds)}"
    else:
        relative = f"{_span(-seconds)} ago"
    return f"{moment:%Y-%m-%d %H:%M} ({relative})"


def _span(seconds: float) -> str:
    """A short rounded duration: 42s, 12m, 3h05m, 2d4h."""
    s = int(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 86400}d{s % 86400 // 3600}h"


def _took(seconds: float | None) -> str:
    if seconds is None:
        return EMPTY
    if seconds < 60:
        return f"{seconds:.1f}s"
    return _span(seconds)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[:max(width - 3, 0)] + "..."
