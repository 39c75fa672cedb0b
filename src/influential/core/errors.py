"""The one kind of error a user meets as a message rather than a traceback."""


class InputError(ValueError):
    """A problem with the configuration, the data, a file or a setting (not a bug in the code), said in one line that
    names the key or file and what to do. A workflow job that meets one ends with that line (see job.run)."""


class TrainingError(InputError):
    """Training diverged or produced non-finite values; the message says at which step and what to lower."""
