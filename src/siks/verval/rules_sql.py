"""Compile eligibility rules (`siks.domain.eligibility`) to neutral SQL for the verval engine.

Why an AST and not string formatting: every identifier comes from the FIELDS whitelist or a code checked
against `[A-Z][A-Z0-9_]*`, and every value becomes a sqlglot literal node, so quoting is sqlglot's job on
every target dialect and no text from a rule file is ever spliced into SQL. Each leaf is wrapped in
`COALESCE(..., FALSE)`, which gives SQL the two-valued logic `eligibility.holds` uses in Python.

`has_finding` and `any_member` become LEFT JOINs onto small grouped tables (one boolean column each), not
correlated subqueries, so the same SQL runs on DuckDB and Spark.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlglot import exp

from siks.domain.eligibility import (
    FIELDS,
    PLACEHOLDER,
    RuleError,
    RuleSet,
    check_condition,
)

SCOPE_KEY = {"anggota": "member_ref", "keluarga": "family_ref", "ruta": "household_ref"}
KEY_COLUMNS = ("member_ref", "family_ref", "household_ref")
_OPS = {"=": exp.EQ, "!=": exp.NEQ, "<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE}


def literal(value: object) -> exp.Expression:
    """A value as a literal node; only the types the checker allows get through."""
    if isinstance(value, bool):
        return exp.true() if value else exp.false()
    if isinstance(value, int | float):
        return exp.Literal.number(repr(value) if isinstance(value, float) else str(value))
    if isinstance(value, str):
        return exp.Literal.string(value)
    raise RuleError(f"nilai {value!r} tidak dapat dipakai dalam aturan")


def column(name: str, alias: str) -> exp.Column:
    if name not in FIELDS and name not in KEY_COLUMNS:
        raise RuleError(f"field {name!r} tidak dikenal")
    return exp.column(name, table=alias)


def _false_if_null(e: exp.Expression) -> exp.Expression:
    return exp.Coalesce(this=exp.paren(e), expressions=[exp.false()])


@dataclass
class _Joins:
    """The grouped tables a rule set needs, each giving one boolean column on the subject row."""

    findings: dict[tuple[str, str], str]  # (code, scope) → column name
    members: list[tuple[str, Mapping[str, object], str]]  # (scope, condition, column name)

    def finding(self, code: str, scope: str) -> str:
        return self.findings.setdefault((code, scope), f"has_finding_{len(self.findings) + 1}")

    def member(self, scope: str, cond: Mapping[str, object]) -> str:
        name = f"any_member_{len(self.members) + 1}"
        self.members.append((scope, cond, name))
        return name


def condition(cond: Mapping[str, object], alias: str, joins: _Joins | None = None) -> exp.Expression:
    """One checked condition → a two-valued boolean expression over table alias `alias`."""
    if "and" in cond or "or" in cond:
        op = "and" if "and" in cond else "or"
        parts = [condition(c, alias, joins) for c in cond[op]]  # type: ignore[union-attr]
        return exp.paren(exp.and_(*parts) if op == "and" else exp.or_(*parts))
    if "not" in cond:
        return exp.Not(this=exp.paren(condition(cond["not"], alias, joins)))  # type: ignore[arg-type]
    if "has_finding" in cond or "any_member" in cond:
        if joins is None:
            raise RuleError("has_finding/any_member tidak boleh di sini")
        if "has_finding" in cond:
            name = joins.finding(str(cond["has_finding"]), str(cond.get("scope", "anggota")))
        else:
            name = joins.member(str(cond["any_member"]), cond["when"])  # type: ignore[arg-type]
        return _false_if_null(exp.column(name, table=alias))
    col = column(str(cond["field"]), alias)
    op = str(cond["op"])
    if op == "is_null":
        return exp.Is(this=col, expression=exp.null())
    if op == "not_null":
        return exp.Not(this=exp.Is(this=col, expression=exp.null()))
    if op in ("in", "not_in"):
        inside = exp.In(this=col, expressions=[literal(v) for v in cond["value"]])  # type: ignore[union-attr]
        return _false_if_null(inside if op == "in" else exp.Not(this=exp.paren(inside)))
    if op not in _OPS:
        raise RuleError(f"operator {op!r} tidak dikenal")
    return _false_if_null(_OPS[op](this=col, expression=literal(cond["value"])))


def explanation(text: str, alias: str) -> exp.Expression:
    """The rule's Indonesian explanation with {field} placeholders filled from the row ('-' for NULL)."""
    parts: list[exp.Expression] = []
    pos = 0
    for m in PLACEHOLDER.finditer(text):
        if m.start() > pos:
            parts.append(exp.Literal.string(text[pos : m.start()]))
        value = exp.cast(column(m.group(1), alias), "VARCHAR")
        parts.append(exp.Coalesce(this=value, expressions=[exp.Literal.string("-")]))
        pos = m.end()
    if pos < len(text):
        parts.append(exp.Literal.string(text[pos:]))
    if not parts:
        return exp.Literal.string("")
    out = parts[0]
    for p in parts[1:]:
        out = exp.DPipe(this=out, expression=p)
    return out


def rule_column(code: str) -> str:
    return "rule_" + code.lower()


def fields_of(cond: Mapping[str, object]) -> list[str]:
    """The fields a condition reads directly (not inside any_member), in first-use order."""
    out: list[str] = []
    if "field" in cond:
        out.append(str(cond["field"]))
    for key in ("and", "or"):
        for part in cond.get(key, ()):  # type: ignore[union-attr]
            out.extend(fields_of(part))
    if "not" in cond:
        out.extend(fields_of(cond["not"]))  # type: ignore[arg-type]
    return list(dict.fromkeys(out))


@dataclass(frozen=True)
class CompiledRules:
    """Three statements over named tables: `evaluate_sql` (one row per anggota with a boolean column per
    rule), then `findings_sql` and `verdict_sql` over the evaluated table."""

    ruleset: RuleSet
    evaluate_sql: str
    findings_sql: str
    verdict_sql: str


def compile_rules(ruleset: RuleSet, subject: str, findings: str | None, evaluated: str) -> CompiledRules:
    """Compile `ruleset` against table `subject` (KEY_COLUMNS + FIELDS), the findings so far in `findings`
    (`code`, member_ref, family_ref, household_ref; None when there are none) and the name `evaluated` the
    caller will give the first statement's result."""
    for name in (subject, evaluated, *([findings] if findings else [])):
        if not name.isidentifier() or not name.isascii():
            raise RuleError(f"nama tabel {name!r} tidak sah")
    for rule in ruleset.rules:  # a RuleSet from the loader is checked; one built by hand may not be
        check_condition(rule.when, f"aturan {rule.code}")
    joins = _Joins({}, [])
    rule_exprs = [(r, condition(r.when, "s", joins)) for r in ruleset.rules]

    select = exp.select(*(exp.column(c, table="s") for c in (*KEY_COLUMNS, *FIELDS))).from_(
        exp.to_table(subject).as_("s")
    )
    for (code, scope), name in joins.findings.items():
        key = SCOPE_KEY[scope]
        if findings is None:
            select = select.select(exp.false().as_(name))
            continue
        grouped = (
            exp.select(exp.column(key).as_("k"))
            .from_(findings)
            .where(exp.EQ(this=exp.column("code"), expression=exp.Literal.string(code)))
            .where(exp.Not(this=exp.Is(this=exp.column(key), expression=exp.null())))
            .group_by(exp.column(key))
        )
        select = select.join(
            grouped.subquery(name),
            on=exp.EQ(this=exp.column("k", table=name), expression=exp.column(key, table="s")),
            join_type="left",
        )
        select = select.select(
            exp.Not(this=exp.Is(this=exp.column("k", table=name), expression=exp.null())).as_(name)
        )
    for scope, cond, name in joins.members:
        key = SCOPE_KEY[scope]
        grouped = (
            exp.select(exp.column(key, table="m").as_("k"))
            .from_(exp.to_table(subject).as_("m"))
            .where(condition(cond, "m"))
            .group_by(exp.column(key, table="m"))
        )
        select = select.join(
            grouped.subquery(name),
            on=exp.EQ(this=exp.column("k", table=name), expression=exp.column(key, table="s")),
            join_type="left",
        )
        select = select.select(
            exp.Not(this=exp.Is(this=exp.column("k", table=name), expression=exp.null())).as_(name)
        )
    # Rule columns are computed over the joined row: wrap once so the flags are plain columns.
    flagged = exp.select(
        *(exp.column(c, table="s") for c in (*KEY_COLUMNS, *FIELDS)),
        *(e.as_(rule_column(r.code)) for r, e in rule_exprs),
    ).from_(select.subquery("s"))

    # UNION ALL needs the same columns in every part: put the per-rule fields into a fixed set.
    findings_sql = _union_same_columns(ruleset, evaluated)

    fired = [exp.column(rule_column(r.code), table="e") for r in ruleset.rules]
    count: exp.Expression = exp.Literal.number(0)
    for f in fired:
        count = exp.Add(
            this=count,
            expression=exp.Case(
                ifs=[exp.If(this=f, true=exp.Literal.number(1))], default=exp.Literal.number(0)
            ),
        )
    verdict = exp.select(
        *(exp.column(c, table="e") for c in (*KEY_COLUMNS, "kode_desa", "nik", "desil")),
        exp.Not(this=exp.paren(exp.or_(*fired))).as_("eligible"),
        count.as_("reasons"),
        exp.Literal.string(ruleset.key).as_("rule_set"),
        *(exp.column(rule_column(r.code), table="e") for r in ruleset.rules),
    ).from_(exp.to_table(evaluated).as_("e"))
    return CompiledRules(ruleset, flagged.sql(), findings_sql, verdict.sql())


def _union_same_columns(ruleset: RuleSet, evaluated: str) -> str:
    """One SELECT per rule, UNION ALL, each giving the standard finding columns plus every field any rule
    reads (so evidence shows the values that made the rule fire)."""
    extras: list[str] = []
    for rule in ruleset.rules:
        extras.extend(f for f in fields_of(rule.when) if f not in ("nik", "kode_desa") and f not in extras)
    parts = []
    for rule in ruleset.rules:
        parts.append(
            exp.select(
                exp.Literal.string(rule.code).as_("code"),
                exp.Literal.string("anggota").as_("level"),
                *(exp.column(c, table="e") for c in (*KEY_COLUMNS, "kode_desa", "nik")),
                exp.Literal.string(ruleset.key).as_("rule_set"),
                *(exp.column(f, table="e") for f in extras),
                explanation(rule.explanation, "e").as_("explanation"),
            )
            .from_(exp.to_table(evaluated).as_("e"))
            .where(exp.column(rule_column(rule.code), table="e"))
        )
    union: exp.Expression = parts[0]
    for p in parts[1:]:
        union = exp.union(union, p, distinct=False)
    return union.sql()
