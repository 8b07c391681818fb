"""The one exception type the CLI turns into a one-line message and exit code 2."""


class RetailError(Exception):
    """A problem the user can fix: bad input file, mapping or arguments.

    The message names the file, column or row at fault and what to do about it.
    """
