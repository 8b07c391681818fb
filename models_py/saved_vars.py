"""dbt vars saved for the next builds (the dashboard's "use this setting").

They live in ``build_vars.yml`` beside the warehouse, so every ``retail build``
of that warehouse (by hand, on a schedule, from the dashboard) uses them until
they are reset; ``--vars`` on the command line wins over them. Plain ``dbt
build`` does not read the file: pass the same vars with ``--vars``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import yaml

from models_py.errors import RetailError

_HEADER = (
    "# dbt vars for every `retail build` of this warehouse, saved by the dashboard.\n"
    "# Edit or delete this file to change or undo them; --vars on the command line wins.\n"
)


def saved_vars_path(warehouse_path: Path) -> Path:
    return warehouse_path.parent / "build_vars.yml"


def read_saved_vars(path: Path) -> dict[str, object]:
    if not path.exists():
        return {}
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise RetailError(f"{path} is not valid YAML ({str(error).splitlines()[0]}): fix or delete it") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise RetailError(f"{path} must hold a mapping of dbt vars, e.g. 'segment_k_min: 5': fix or delete it")
    return {str(key): value for key, value in loaded.items()}


def save_vars(path: Path, variables: Mapping[str, object]) -> dict[str, object]:
    """Merge ``variables`` into the saved ones (a None value removes a var); return what is saved now."""
    saved = read_saved_vars(path)
    for name, value in variables.items():
        if value is None:
            saved.pop(name, None)
        else:
            saved[name] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(_HEADER + yaml.safe_dump(saved, sort_keys=True), encoding="utf-8")
    temporary.replace(path)
    return saved


def reset_vars(path: Path) -> None:
    path.unlink(missing_ok=True)
