"""One root exception for every problem a user can act on.

Each message says what went wrong, where (file, field, option, container) and what to
do about it, so the pytest plugin and the command line can show it without a traceback.
"""


class HarnessError(Exception):
    """A problem the user can act on; the message says what to do."""


class SettingError(HarnessError):
    """An option, environment variable or ini value that cannot be used."""


class MatrixFileError(HarnessError):
    """A matrix file that cannot be read or does not describe a valid matrix."""

    def __init__(self, path: object, field: str, problem: str, fix: str) -> None:
        self.path = path
        self.field = field
        super().__init__(f"{path}: {field}: {problem}. {fix}")


class EngineUnavailable(HarnessError):
    """No Docker Engine answers, or this user may not talk to it."""


class ImageUnavailable(HarnessError):
    """An image the run needs is neither on the Engine nor pullable."""


class ImageBuildError(HarnessError):
    """Building one of the local images failed."""


class ContainerStartError(HarnessError):
    """A container did not come up; the message carries its state and last log lines."""


class SetupError(HarnessError):
    """Preparing the registry for the cells (seed images) failed."""
