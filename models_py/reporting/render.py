"""The one jinja2 environment for every template under ``reporting/templates``.

Evidence pages use ``{#each}`` and ``{value}`` themselves, and ``{#`` opens a
comment in jinja2's default syntax, so all templates use ``<% %>`` for blocks,
``<< >>`` for values and ``<# #>`` for comments.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2

TEMPLATE_PACKAGE = ("models_py.reporting", "templates")


def _format_number(value: float | int | None, digits: int = 0) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}"


def _format_share(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "n/a"
    return f"{value * 100:.{digits}f}%"


def _table_cell(value: object) -> str:
    """Text safe inside a Markdown table cell: no pipes or line breaks."""
    return " ".join(str(value).split()).replace("|", "\\|")


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader(*TEMPLATE_PACKAGE),
        block_start_string="<%",
        block_end_string="%>",
        variable_start_string="<<",
        variable_end_string=">>",
        comment_start_string="<#",
        comment_end_string="#>",
        undefined=jinja2.StrictUndefined,
        autoescape=lambda name: name is not None and ".html" in name,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["number"] = _format_number
    env.filters["share"] = _format_share
    env.filters["cell"] = _table_cell
    return env


def render(template: str, **context: Any) -> str:
    """Render one template (a path under ``templates/``) with ``context``."""
    return environment().get_template(template).render(**context)
