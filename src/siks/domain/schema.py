"""Rule and model files checked by pydantic models, with errors a kabupaten operator can act on.

Why pydantic in the pure domain: it is a validation library with no I/O, no database and no web, so it
keeps the domain pure (docs/design.md §1). The shapes of the files (keys, types, allowed words, patterns,
lengths) are declared on the models in `eligibility`, `pmt`, `penetapan` and `programs`; checks that depend
on a catalog (the fields a rule may name and their types) are validators on those models. This module holds
what they share: a strict base model, and turning a `ValidationError` into one Indonesian message per
fault that names the file, the path inside it (`rules[2] (aturan DESIL_TINGGI).when.or[1].op`) and the rule
that was broken.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

#: Union tags start with this mark, so they can be left out of the paths shown to people.
TAG = "#"


class Strict(BaseModel):
    """A file object: unknown keys are faults, not silently ignored; values are not coerced."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


def _words(expected: str) -> str:
    return expected.replace(" or ", " atau ")


def message(err: Mapping[str, Any]) -> str:
    """One pydantic error as an Indonesian sentence about the rule that was broken."""
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    value = err.get("input")
    shown = repr(value) if not isinstance(value, Mapping | list) else type(value).__name__
    if kind in ("value_error", "assertion_error"):
        return str(ctx.get("error", err.get("msg", "")))
    texts = {
        "missing": "wajib ada",
        "extra_forbidden": "kunci tidak dikenal",
        "string_type": f"harus berupa teks, bukan {shown}",
        "int_type": f"harus bilangan bulat, bukan {shown}",
        "int_parsing": f"harus bilangan bulat, bukan {shown}",
        "int_from_float": f"harus bilangan bulat, bukan {shown}",
        "float_type": f"harus angka, bukan {shown}",
        "float_parsing": f"harus angka, bukan {shown}",
        "finite_number": "tidak boleh angka tak hingga atau NaN",
        "bool_type": f"harus true atau false, bukan {shown}",
        "list_type": "harus berupa daftar",
        "tuple_type": "harus berupa daftar",
        "dict_type": "harus berupa objek",
        "model_type": "harus berupa objek",
        "model_attributes_type": "harus berupa objek",
        "string_too_short": "tidak boleh kosong",
        "string_too_long": f"terlalu panjang (maksimal {ctx.get('max_length')} karakter)",
        "too_short": f"tidak boleh kosong: paling sedikit {ctx.get('min_length')} unsur",
        "too_long": f"paling banyak {ctx.get('max_length')} unsur",
        "literal_error": f"nilai {shown} tidak dikenal (pilihan: {_words(str(ctx.get('expected', '')))})",
        "enum": f"nilai {shown} tidak dikenal (pilihan: {_words(str(ctx.get('expected', '')))})",
        "string_pattern_mismatch": f"nilai {shown} tidak sesuai pola penulisan {ctx.get('pattern')}",
        "greater_than_equal": f"harus ≥ {ctx.get('ge')}",
        "less_than_equal": f"harus ≤ {ctx.get('le')}",
        "greater_than": f"harus > {ctx.get('gt')}",
        "less_than": f"harus < {ctx.get('lt')}",
    }
    if kind in texts:
        return texts[kind]
    if kind.startswith("kondisi"):  # the condition union's own error (see eligibility.Condition)
        return str(err.get("msg", ""))
    return f"tidak sah ({err.get('msg', kind)})"


def path(loc: Sequence[Any], data: object = None) -> str:
    """`('rules', 0, 'when', '#or', 'or', 1, 'op')` → `rules[0] (aturan X).when.or[1].op`.

    An item of a list that carries a `code` is named by it, so a fault is easy to find in a long file."""
    out = ""
    node = data
    for part in loc:
        if isinstance(part, str) and part.startswith(TAG):
            continue
        if isinstance(part, int):
            out += f"[{part}]"
            node = node[part] if isinstance(node, list) and -len(node) <= part < len(node) else None
            code = node.get("code") if isinstance(node, Mapping) else None
            if isinstance(code, str) and code:
                out += f" ({code})"
        else:
            out += f".{part}" if out else str(part)
            node = node.get(part) if isinstance(node, Mapping) else None
    return out


def explain_errors(
    exc: ValidationError, data: object = None, source: str | None = None, where: str = ""
) -> str:
    """Every fault of `exc`, one per line: `FILE: PATH: rule` (`where` goes before the path)."""
    lines = []
    for err in exc.errors(include_url=False):
        inner = path(err.get("loc", ()), data)
        place = f"{where}.{inner}" if where and inner else where or inner
        head = ": ".join(part for part in (source, place) if part)
        lines.append(f"{head}: {message(err)}" if head else message(err))
    return "\n".join(dict.fromkeys(lines))
