"""The exception a figure raises when its inputs are missing: the report shows the reason instead of the figure."""


class Skip(Exception):
    """A figure's inputs are missing; the message is the reason shown in the HTML."""
