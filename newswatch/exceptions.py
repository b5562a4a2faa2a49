"""Every error newswatch raises on purpose; the CLI turns them into one line and an exit status."""


class NewswatchError(Exception):
    """Base class: a problem the user can act on, reported as one line."""

    exit_code = 1


class ConfigError(NewswatchError):
    """The configuration file (or a command-line value) is invalid. Exit status 2."""

    exit_code = 2

    def __init__(self, message: str, *, path: str | None = None, source: str | None = None,
                 key: str | None = None) -> None:
        self.path = path
        self.source = source
        self.key = key
        where = []
        if path:
            where.append(str(path))
        if source:
            where.append(f"source {source!r}" if not source.startswith("[") else source)
        if key:
            where.append(f"key {key!r}")
        prefix = ": ".join(where)
        super().__init__(f"{prefix}: {message}" if prefix else message)


class FetchError(NewswatchError):
    """A page or URL could not be fetched."""
