"""Stand-in for ``google.colab.output``: the widget-manager switch is a no-op here."""


def enable_custom_widget_manager() -> None:
    """On Colab, lets ipywidgets 8 load from a CDN; the book's widgets do not need it."""


def disable_custom_widget_manager() -> None:
    """On Colab, returns to the built-in ipywidgets 7 manager; a no-op here."""
