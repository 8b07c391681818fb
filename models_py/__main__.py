"""``python -m models_py``: the ``retail`` command without the installed script (the dashboard's jobs use it)."""

from models_py.cli import main

main()
