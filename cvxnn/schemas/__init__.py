"""JSON Schemas (draft 2020-12) of cvxnn's JSON output, shipped with the package.

- ``solve``: ``cvxnn solve --json`` and ``cvxnn.train(...).to_dict()``;
- ``certify``: ``cvxnn certify --json`` and ``cvxnn.certify_network(...).to_dict()``.

``schema(name)`` returns one as a dict; ``path(name)`` is its file; ``validate(document, name)`` checks a document
(the parsed JSON, or a ``to_dict()`` passed through :func:`cvxnn.api.to_jsonable`) with the ``jsonschema`` package
(``pip install jsonschema``) and raises :class:`cvxnn.InvalidDataError` listing every violation.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from ..errors import InvalidDataError, InvalidParameterError

#: the schemas shipped, by name
NAMES = ("solve", "certify")
HERE = Path(__file__).resolve().parent


def path(name: str) -> Path:
    """The schema file of ``name`` ('solve' or 'certify')."""
    if name not in NAMES:
        raise InvalidParameterError(
            f"unknown schema {name!r}; the shipped schemas are {', '.join(repr(n) for n in NAMES)}."
        )
    return HERE / f"{name}.schema.json"


@cache
def _load(name: str) -> str:
    return path(name).read_text()


def schema(name: str) -> dict:
    """The JSON Schema of ``name`` as a fresh dict."""
    return json.loads(_load(name))


def validate(document, name: str) -> None:
    """Raise :class:`cvxnn.InvalidDataError` when ``document`` does not follow the schema ``name``."""
    try:
        import jsonschema
    except ImportError:  # pragma: no cover - jsonschema is in the test extra
        raise InvalidDataError(
            "validating against the JSON Schema needs the jsonschema package: pip install jsonschema"
        ) from None
    from jsonschema.exceptions import best_match

    validator = jsonschema.Draft202012Validator(schema(name))
    errors = []
    for error in validator.iter_errors(document):
        while error.context:  # oneOf / anyOf: the deepest failure of the closest alternative says what is wrong
            error = best_match(error.context)
        errors.append(error)
    errors.sort(key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        lines = [f"  at {'/'.join(str(p) for p in e.absolute_path) or '(top level)'}: {e.message[:300]}"
                 for e in errors[:20]]
        more = f"\n  ... and {len(errors) - 20} more" if len(errors) > 20 else ""
        raise InvalidDataError(
            f"the document does not follow the {name!r} schema ({path(name).name}), {len(errors)} violation(s):\n"
            + "\n".join(lines) + more
        )


__all__ = ["NAMES", "path", "schema", "validate"]
