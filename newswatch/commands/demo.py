"""`newswatch demo`: self-contained tour on the bundled fixture sites."""

from pathlib import Path

import click


@click.command(name="demo")
@click.option("--folder", type=click.Path(file_okay=False, path_type=Path),
              default=Path("newswatch-demo"), show_default=True,
              help="Where the demo writes its config, store and events log.")
@click.option("--states", type=click.IntRange(min=1), default=None, metavar="N",
              help="Run only the first N timeline states (default: all) for a quicker look.")
def command(folder: Path, states: int | None) -> None:
    """Serve the fixture news sites on 127.0.0.1 and watch them change.

    Runs one ingest cycle per timeline state (an article is published, one is
    edited, page chrome churns, a copy is syndicated to a second site, one is
    removed), prints the events, and says how to browse the result.  No
    internet needed; takes about a minute.

    Example: newswatch demo --folder /tmp/nw-demo
    """
    from newswatch.demo import run_demo

    raise SystemExit(run_demo(folder, echo=click.echo, states=states))
