"""ipywidgets views of sfmagic: the OAuth consent widget, the record editor.

Each view lives in its own module and imports ipywidgets itself, so importing
this package stays cheap.
"""
