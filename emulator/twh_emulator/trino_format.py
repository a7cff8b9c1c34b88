"""The text Athena stores as a view's ``originalSql``: the query of the
CREATE VIEW statement parsed and printed again by Trino's SQL formatter.

Evidence (EVIDENCE.md, "Athena view SQL"):

- trinodb/trino ``core/trino-main/src/main/java/io/trino/execution/CreateViewTask.java``:
  ``String sql = getFormattedSql(statement.getQuery(), sqlParser);`` and
  that ``sql`` is the ``ConnectorViewDefinition``'s originalSql;
- ``core/trino-main/src/main/java/io/trino/sql/SqlFormatterUtil.java``:
  getFormattedSql returns ``SqlFormatter.formatSql(statement)`` (after
  checking that it parses back to the same tree);
- ``core/trino-parser/src/main/java/io/trino/sql/SqlFormatter.java`` and
  ``ExpressionFormatter.java``: the printing rules reproduced below (names
  of the Java methods are given next to each rule);
- ``core/trino-parser/src/main/java/io/trino/sql/parser/AstBuilder.java``:
  how the parser builds the tree the formatter prints (``a || b`` becomes
  ``concat(a, b)``, AND/OR chains are flattened, ``if``/``nullif``/
  ``coalesce``/``try`` become their own nodes, ``substring(x FROM a FOR b)``
  becomes ``substr``, identifiers keep the case they were written in, a
  missing sort order is ASCENDING);
- an AWS engineer on Athena's stored views, aws-solutions-library-samples/
  cloud-intelligence-dashboards-framework PR #399: "Athena REFORMAT SQL
  adding/removing parenthesis, changing operator orders etc".

Main features, as in Trino: keywords upper case; one select item per line
with Trino's leading-comma layout (``SELECT\\n  a\\n, b``); FROM, WHERE,
GROUP BY, HAVING, ORDER BY, LIMIT on their own lines; every binary,
comparison, logical, IN/LIKE/BETWEEN/IS NULL and CASE expression in
parentheses; aliases without AS; explicit ASC; joins in parentheses with
INNER/LEFT/... JOIN at the start of a line; identifiers printed as written,
quoted only where the query quoted them; a trailing newline.

``format_query`` raises ``FormatError`` for SQL outside the subset parsed
here; the caller then stores a normalized form (``normalize_fallback``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .sql import SqlError, Token, tokenize

INDENT = "   "  # SqlFormatter.INDENT


class FormatError(Exception):
    pass


# Trino's reserved words (https://trino.io/docs/current/language/reserved.html):
# they are never aliases.  LIMIT, OFFSET, FETCH, WINDOW, TABLESAMPLE are not
# reserved in Trino but end a clause where an alias could stand.
RESERVED = {
    "ALTER", "AND", "AS", "BETWEEN", "BY", "CASE", "CAST", "CONSTRAINT", "CREATE", "CROSS", "CUBE",
    "CURRENT_CATALOG", "CURRENT_DATE", "CURRENT_PATH", "CURRENT_ROLE", "CURRENT_SCHEMA", "CURRENT_TIME",
    "CURRENT_TIMESTAMP", "CURRENT_USER", "DEALLOCATE", "DELETE", "DESCRIBE", "DISTINCT", "DROP", "ELSE",
    "END", "ESCAPE", "EXCEPT", "EXECUTE", "EXISTS", "EXTRACT", "FALSE", "FOR", "FROM", "FULL", "GROUP",
    "GROUPING", "HAVING", "IN", "INNER", "INSERT", "INTERSECT", "INTO", "IS", "JOIN", "LEFT", "LIKE",
    "LISTAGG", "LOCALTIME", "LOCALTIMESTAMP", "NATURAL", "NORMALIZE", "NOT", "NULL", "ON", "OR", "ORDER",
    "OUTER", "PREPARE", "RECURSIVE", "RIGHT", "ROLLUP", "SELECT", "SKIP", "TABLE", "THEN", "TRIM", "TRUE",
    "UESCAPE", "UNION", "UNNEST", "USING", "VALUES", "WHEN", "WHERE", "WITH",
    "LIMIT", "OFFSET", "FETCH", "WINDOW", "TABLESAMPLE", "MATCH_RECOGNIZE",
}

COMPARISON = {"=": "=", "<>": "<>", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
DATETIME_FUNCTIONS = {"CURRENT_DATE", "CURRENT_TIME", "CURRENT_TIMESTAMP", "LOCALTIME", "LOCALTIMESTAMP"}
EXTRACT_FIELDS = {
    "YEAR", "QUARTER", "MONTH", "WEEK", "DAY", "DAY_OF_MONTH", "DAY_OF_WEEK", "DOW", "DAY_OF_YEAR", "DOY",
    "YEAR_OF_WEEK", "YOW", "HOUR", "MINUTE", "SECOND", "TIMEZONE_MINUTE", "TIMEZONE_HOUR",
}
INTERVAL_FIELDS = {"YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND"}


# --------------------------------------------------------------------------
# The tree (only what the formatter needs to tell apart)


@dataclass
class Query:
    with_queries: list[tuple[str, str | None, "Query"]] = field(default_factory=list)  # (name, "(cols)", query)
    recursive: bool = False
    body: Any = None  # Spec | SetOp | Subquery | TableRel | Values
    order_by: str | None = None
    offset: str | None = None
    limit: str | None = None  # the whole clause, e.g. "LIMIT 10" / "FETCH FIRST 1 ROWS ONLY"


@dataclass
class Spec:
    distinct: bool
    items: list[str]
    from_: Any = None
    where: str | None = None
    group_by: str | None = None
    having: str | None = None
    windows: list[str] = field(default_factory=list)
    order_by: str | None = None
    offset: str | None = None
    limit: str | None = None


@dataclass
class SetOp:
    op: str  # UNION | EXCEPT | INTERSECT
    distinct: bool
    left: Any
    right: Any


@dataclass
class Subquery:  # TableSubquery
    query: Query


@dataclass
class TableRel:  # Table
    name: str


@dataclass
class Values:
    rows: list[str]


@dataclass
class Aliased:  # AliasedRelation
    relation: Any
    alias: str
    columns: str | None = None


@dataclass
class Join:
    kind: str  # INNER LEFT RIGHT FULL CROSS IMPLICIT, optionally "NATURAL <kind>"
    left: Any
    right: Any
    criteria: str | None = None  # " ON (...)" / " USING (...)"


@dataclass
class Unnest:
    exprs: list[str]
    ordinality: bool


@dataclass
class Lateral:
    query: Query


# --------------------------------------------------------------------------
# Printing (SqlFormatter.Formatter)


class Printer:
    def __init__(self) -> None:
        self.out: list[str] = []

    def w(self, s: str) -> None:
        self.out.append(s)

    def a(self, indent: int, s: str) -> None:  # append(indent, value)
        self.out.append(INDENT * indent + s)

    def query(self, q: Query, indent: int) -> None:  # visitQuery
        if q.with_queries:
            self.a(indent, "WITH")
            if q.recursive:
                self.w(" RECURSIVE")
            self.w("\n  ")
            for i, (name, cols, sub) in enumerate(q.with_queries):
                self.a(indent, name)
                if cols:
                    self.w(cols)
                self.w(" AS ")
                self.relation(Subquery(sub), indent)
                self.w("\n")
                if i + 1 < len(q.with_queries):
                    self.w(", ")
        self.process_relation(q.body, indent)
        for clause in (q.order_by, q.offset, q.limit):
            if clause:
                self.a(indent, clause + "\n")

    def process_relation(self, rel: Any, indent: int) -> None:  # processRelation
        if isinstance(rel, TableRel):
            self.w("TABLE " + rel.name + "\n")
        else:
            self.relation(rel, indent)

    def spec(self, s: Spec, indent: int) -> None:  # visitQuerySpecification
        self.a(indent, "SELECT")  # visitSelect
        if s.distinct:
            self.w(" DISTINCT")
        if len(s.items) > 1:
            for i, item in enumerate(s.items):
                self.w("\n" + INDENT * indent + ("  " if i == 0 else ", ") + item)
        else:
            self.w(" " + s.items[0])
        self.w("\n")
        if s.from_ is not None:
            self.a(indent, "FROM")
            self.w("\n")
            self.a(indent, "  ")
            self.relation(s.from_, indent)
        self.w("\n")
        if s.where:
            self.a(indent, "WHERE " + s.where + "\n")
        if s.group_by:
            self.a(indent, "GROUP BY " + s.group_by + "\n")
        if s.having:
            self.a(indent, "HAVING " + s.having + "\n")
        if s.windows:
            self.a(indent, "WINDOW")
            if len(s.windows) == 1:  # formatDefinitionList
                self.w(" " + s.windows[0] + "\n")
            else:
                self.w("\n")
                for i, wdef in enumerate(s.windows):
                    self.a(indent + 1, wdef + (",\n" if i + 1 < len(s.windows) else "\n"))
        for clause in (s.order_by, s.offset, s.limit):
            if clause:
                self.a(indent, clause + "\n")

    def relation(self, rel: Any, indent: int) -> None:
        if isinstance(rel, Spec):
            self.spec(rel, indent)
        elif isinstance(rel, SetOp):  # visitUnion / visitExcept / visitIntersect
            self.process_relation(rel.left, indent)
            self.w(rel.op + " " + ("" if rel.distinct else "ALL "))
            self.process_relation(rel.right, indent)
        elif isinstance(rel, Subquery):  # visitTableSubquery
            self.w("(\n")
            self.query(rel.query, indent + 1)
            self.a(indent, ") ")
        elif isinstance(rel, TableRel):  # visitTable
            self.w(rel.name)
        elif isinstance(rel, Values):  # visitValues
            self.w(" VALUES ")
            for i, row in enumerate(rel.rows):
                self.w("\n" + INDENT * indent + ("  " if i == 0 else ", ") + row)
            self.w("\n")
        elif isinstance(rel, Aliased):  # visitAliasedRelation + processRelationSuffix
            if isinstance(rel.relation, Aliased):
                self.w("( ")
                self.relation(rel.relation, indent + 1)
                self.a(indent, ")")
            else:
                self.relation(rel.relation, indent)
            self.w(" " + rel.alias)
            if rel.columns:
                self.w(rel.columns)
        elif isinstance(rel, Join):  # visitJoin
            implicit = rel.kind == "IMPLICIT"
            if not implicit:
                self.w("(")
            self.relation(rel.left, indent)
            self.w("\n")
            if implicit:
                self.a(indent, ", ")
            else:
                self.a(indent, rel.kind + " JOIN ")
            self.relation(rel.right, indent)
            if rel.criteria and rel.kind not in ("CROSS", "IMPLICIT"):
                self.w(rel.criteria)
            if not implicit:
                self.w(")")
        elif isinstance(rel, Unnest):  # visitUnnest
            self.w("UNNEST(" + ", ".join(rel.exprs) + ")" + (" WITH ORDINALITY" if rel.ordinality else ""))
        elif isinstance(rel, Lateral):  # visitLateral
            self.a(indent, "LATERAL (")
            self.query(rel.query, indent + 1)
            self.a(indent, ")")
        else:  # pragma: no cover - a parser bug
            raise FormatError(f"cannot print {rel!r}")

    def text(self) -> str:
        return "".join(self.out)


def format_sql(q: Query) -> str:  # SqlFormatter.formatSql at indent 0
    p = Printer()
    p.query(q, 0)
    return p.text()


# --------------------------------------------------------------------------
# Literals (ExpressionFormatter)


def format_string_literal(s: str) -> str:  # formatStringLiteral
    s = s.replace("'", "''")
    if all(0x20 <= ord(c) <= 0x7E for c in s):
        return "'" + s + "'"
    out = ["U&'"]
    for c in s:
        cp = ord(c)
        if 0x20 <= cp < 0x7F:
            out.append("\\\\" if c == "\\" else c)
        elif cp <= 0xFFFF:
            out.append("\\%04X" % cp)
        else:
            out.append("\\+%06X" % cp)
    out.append("'")
    return "".join(out)


def format_double(text: str) -> str:
    """DecimalFormat("0.###################E0###") of the literal's value."""
    value = float(text)
    if value == 0:
        return "0E0"
    d = Decimal(repr(value)).normalize()
    sign, digits, exp = d.as_tuple()
    digits_s = "".join(str(x) for x in digits)
    exponent = exp + len(digits_s) - 1  # type: ignore[operator]
    mantissa = digits_s[0] + ("." + digits_s[1:20] if len(digits_s) > 1 else "")
    return ("-" if sign else "") + f"{mantissa}E{exponent}"


def _unquote(tok: Token) -> str:
    return tok.text[1:-1].replace("''", "'")


# --------------------------------------------------------------------------
# Parsing (the relevant part of Trino's grammar, SqlBase.g4, and AstBuilder)


class Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.t = tokens
        self.i = 0

    # token helpers
    def peek(self, k: int = 0) -> Token | None:
        j = self.i + k
        return self.t[j] if j < len(self.t) else None

    def kw(self, *words: str, k: int = 0) -> bool:
        tok = self.peek(k)
        return tok is not None and tok.kind == "id" and tok.text.upper() in words

    def op(self, *texts: str, k: int = 0) -> bool:
        tok = self.peek(k)
        return tok is not None and tok.kind == "op" and tok.text in texts

    def take(self) -> Token:
        tok = self.peek()
        if tok is None:
            raise FormatError("unexpected end of query")
        self.i += 1
        return tok

    def accept_kw(self, *words: str) -> bool:
        if self.kw(*words):
            self.i += 1
            return True
        return False

    def accept_op(self, *texts: str) -> bool:
        if self.op(*texts):
            self.i += 1
            return True
        return False

    def expect_kw(self, *words: str) -> str:
        if not self.kw(*words):
            raise FormatError(f"expected {'/'.join(words)} at {self._where()}")
        return self.take().text.upper()

    def expect_op(self, text: str) -> None:
        if not self.accept_op(text):
            raise FormatError(f"expected {text!r} at {self._where()}")

    def _where(self) -> str:
        tok = self.peek()
        return f"{tok.text!r} (offset {tok.pos})" if tok else "end"

    def at_end(self) -> bool:
        return self.i >= len(self.t)

    # identifiers
    def is_ident(self, k: int = 0) -> bool:
        tok = self.peek(k)
        return tok is not None and tok.kind in ("id", "qid", "bid")

    def ident(self) -> str:
        tok = self.take()
        if tok.kind == "id":
            return tok.text  # visitUnquotedIdentifier: as written
        if tok.kind == "qid":
            return tok.text  # visitQuotedIdentifier + visitIdentifier: '"' + value + '"'
        if tok.kind == "bid":
            # Trino refuses backquotes in queries; printed as the double
            # quoting they stand for.
            return '"' + tok.text[1:-1].replace('"', '""') + '"'
        raise FormatError(f"expected an identifier at offset {tok.pos}")

    def qualified_name(self) -> str:
        parts = [self.ident()]
        while self.op(".") and self.is_ident(1):
            self.i += 1
            parts.append(self.ident())
        return ".".join(parts)

    def alias_ahead(self) -> bool:
        tok = self.peek()
        if tok is None or tok.kind not in ("id", "qid", "bid"):
            return False
        return tok.kind != "id" or tok.text.upper() not in RESERVED

    # ---- queries

    def query(self) -> Query:
        q = Query()
        if self.accept_kw("WITH"):
            q.recursive = self.accept_kw("RECURSIVE")
            while True:
                name = self.ident()
                cols = None
                if self.op("("):
                    cols = self.column_aliases()
                self.expect_kw("AS")
                self.expect_op("(")
                sub = self.query()
                self.expect_op(")")
                q.with_queries.append((name, cols, sub))
                if not self.accept_op(","):
                    break
        q.body = self.query_body()
        q.order_by, q.offset, q.limit = self.order_offset_limit()
        # AstBuilder.visitQuery folds ORDER BY/OFFSET/LIMIT into a lone
        # QuerySpecification; printed the same way, at the same indent.
        if isinstance(q.body, Spec) and (q.order_by or q.offset or q.limit):
            q.body.order_by, q.body.offset, q.body.limit = q.order_by, q.offset, q.limit
            q.order_by = q.offset = q.limit = None
        return q

    def column_aliases(self) -> str:
        self.expect_op("(")
        names = [self.ident()]
        while self.accept_op(","):
            names.append(self.ident())
        self.expect_op(")")
        return " (" + ", ".join(names) + ")"  # appendAliasColumns

    def query_body(self) -> Any:
        left = self.query_term()
        while self.kw("UNION", "EXCEPT"):
            op = self.take().text.upper()
            distinct = not self.accept_kw("ALL")
            if distinct:
                self.accept_kw("DISTINCT")
            right = self.query_term()
            left = SetOp(op, distinct, left, right)
        return left

    def query_term(self) -> Any:
        left = self.query_primary()
        while self.kw("INTERSECT"):
            self.take()
            distinct = not self.accept_kw("ALL")
            if distinct:
                self.accept_kw("DISTINCT")
            left = SetOp("INTERSECT", distinct, left, self.query_primary())
        return left

    def query_primary(self) -> Any:
        if self.kw("SELECT"):
            return self.spec()
        if self.accept_kw("TABLE"):
            return TableRel(self.qualified_name())
        if self.accept_kw("VALUES"):
            rows = [self.expr()]
            while self.accept_op(","):
                rows.append(self.expr())
            return Values(rows)
        if self.accept_op("("):
            q = self.query()
            self.expect_op(")")
            return Subquery(q)
        raise FormatError(f"expected a query at {self._where()}")

    def spec(self) -> Spec:
        self.expect_kw("SELECT")
        distinct = False
        if self.accept_kw("DISTINCT"):
            distinct = True
        else:
            self.accept_kw("ALL")
        items = [self.select_item()]
        while self.accept_op(","):
            items.append(self.select_item())
        s = Spec(distinct, items)
        if self.accept_kw("FROM"):
            rel = self.relation()
            while self.accept_op(","):
                rel = Join("IMPLICIT", rel, self.relation())
            s.from_ = rel
        if self.accept_kw("WHERE"):
            s.where = self.expr()
        if self.kw("GROUP"):
            self.take()
            self.expect_kw("BY")
            s.group_by = self.group_by()
        if self.accept_kw("HAVING"):
            s.having = self.expr()
        if self.kw("WINDOW") and self.is_ident(1) and self.kw("AS", k=2):
            self.take()
            while True:
                name = self.ident()
                self.expect_kw("AS")
                s.windows.append(name + " AS " + self.window_spec())
                if not self.accept_op(","):
                    break
        return s

    def select_item(self) -> str:
        if self.op("*"):
            self.take()
            return "*"
        # qualified star: a.b.*
        j = 0
        while self.is_ident(j) and self.op(".", k=j + 1):
            if self.op("*", k=j + 2):
                target = self.qualified_name_until_star()
                out = target + ".*"
                if self.accept_kw("AS"):
                    out += " AS" + self.column_aliases()  # visitAllColumns: " AS (a, b)"
                return out
            j += 2
        expr = self.expr()
        if self.accept_kw("AS"):
            return expr + " " + self.ident()  # visitSingleColumn: no AS
        if self.alias_ahead():
            return expr + " " + self.ident()
        return expr

    def qualified_name_until_star(self) -> str:
        parts = [self.ident()]
        self.expect_op(".")
        while not self.op("*"):
            parts.append(self.ident())
            self.expect_op(".")
        self.take()  # *
        return ".".join(parts)

    def group_by(self) -> str:
        prefix = ""
        if self.accept_kw("DISTINCT"):
            prefix = " DISTINCT "  # "GROUP BY " + " DISTINCT " in visitQuerySpecification
        else:
            self.accept_kw("ALL")
        elements = [self.grouping_element()]
        while self.accept_op(","):
            elements.append(self.grouping_element())
        return prefix + ", ".join(elements)  # formatGroupBy

    def grouping_element(self) -> str:
        if self.kw("ROLLUP", "CUBE") and self.op("(", k=1):
            word = self.take().text.upper()
            return f"{word} {self.grouping_set()}"
        if self.kw("GROUPING") and self.kw("SETS", k=1):
            self.i += 2
            self.expect_op("(")
            sets = [self.grouping_set_or_expr()]
            while self.accept_op(","):
                sets.append(self.grouping_set_or_expr())
            self.expect_op(")")
            return "GROUPING SETS (" + ", ".join(sets) + ")"
        if self.op("("):
            save = self.i
            try:
                exprs = self.paren_expr_list()
                if self.at_end() or self.op(",", ")") or self.kw("HAVING", "ORDER", "LIMIT", "OFFSET", "FETCH", "WINDOW", "UNION", "EXCEPT", "INTERSECT"):
                    return exprs[0] if len(exprs) == 1 else "(" + ", ".join(exprs) + ")"
            except FormatError:
                pass
            self.i = save
        return self.expr()

    def grouping_set(self) -> str:  # formatGroupingSet
        return "(" + ", ".join(self.paren_expr_list()) + ")"

    def grouping_set_or_expr(self) -> str:
        if self.op("("):
            return self.grouping_set()
        return "(" + self.expr() + ")"

    def paren_expr_list(self) -> list[str]:
        self.expect_op("(")
        exprs: list[str] = []
        if not self.op(")"):
            exprs.append(self.expr())
            while self.accept_op(","):
                exprs.append(self.expr())
        self.expect_op(")")
        return exprs

    def order_offset_limit(self) -> tuple[str | None, str | None, str | None]:
        order = offset = limit = None
        if self.kw("ORDER") and self.kw("BY", k=1):
            self.i += 2
            order = "ORDER BY " + self.sort_items()
        if self.accept_kw("OFFSET"):
            offset = "OFFSET " + self.primary() + " ROWS"  # visitOffset
            self.accept_kw("ROW", "ROWS")
        if self.accept_kw("LIMIT"):
            limit = "LIMIT " + ("ALL" if self.accept_kw("ALL") else self.primary())  # visitLimit
        elif self.accept_kw("FETCH"):
            self.expect_kw("FIRST", "NEXT")
            count = None
            if not self.kw("ROW", "ROWS"):
                count = self.primary()
            self.expect_kw("ROW", "ROWS")
            ties = self.accept_kw("WITH")
            if ties:
                self.expect_kw("TIES")
            else:
                self.expect_kw("ONLY")
            limit = "FETCH FIRST " + (f"{count} ROWS " if count else "ROW ") + ("WITH TIES" if ties else "ONLY")
        return order, offset, limit

    def sort_items(self) -> str:
        items = [self.sort_item()]
        while self.accept_op(","):
            items.append(self.sort_item())
        return ", ".join(items)

    def sort_item(self) -> str:  # sortItemFormatterFunction; ASCENDING when absent
        out = self.expr()
        out += " DESC" if self.accept_kw("DESC") else (self.accept_kw("ASC"), " ASC")[1]
        if self.accept_kw("NULLS"):
            out += " NULLS " + self.expect_kw("FIRST", "LAST")
        return out

    # ---- relations

    def relation(self) -> Any:
        left = self.sampled_relation()
        while True:
            if self.kw("CROSS") and self.kw("JOIN", k=1):
                self.i += 2
                left = Join("CROSS", left, self.sampled_relation())
                continue
            natural = self.accept_kw("NATURAL")
            kind = None
            if self.kw("JOIN"):
                kind = "INNER"
            elif self.kw("INNER") and self.kw("JOIN", k=1):
                self.take()
                kind = "INNER"
            elif self.kw("LEFT", "RIGHT", "FULL"):
                kind = self.take().text.upper()
                self.accept_kw("OUTER")
            if kind is None:
                if natural:
                    raise FormatError("NATURAL without JOIN")
                return left
            self.expect_kw("JOIN")
            right = self.sampled_relation()
            if natural:
                left = Join("NATURAL " + kind, left, right)
                continue
            if self.accept_kw("ON"):
                left = Join(kind, left, right, " ON " + self.expr())
            elif self.accept_kw("USING"):
                cols = self.column_aliases()[2:-1]
                left = Join(kind, left, right, " USING (" + cols + ")")
            else:
                raise FormatError("JOIN without ON or USING")

    def sampled_relation(self) -> Any:
        rel = self.relation_primary()
        if self.kw("TABLESAMPLE"):
            raise FormatError("TABLESAMPLE is not parsed here")
        if self.accept_kw("AS") or self.alias_ahead():
            alias = self.ident()
            cols = self.column_aliases() if self.op("(") else None
            return Aliased(rel, alias, cols)
        return rel

    def relation_primary(self) -> Any:
        if self.kw("UNNEST") and self.op("(", k=1):
            self.take()
            exprs = self.paren_expr_list()
            ordinality = False
            if self.kw("WITH") and self.kw("ORDINALITY", k=1):
                self.i += 2
                ordinality = True
            return Unnest(exprs, ordinality)
        if self.kw("LATERAL") and self.op("(", k=1):
            self.i += 2
            q = self.query()
            self.expect_op(")")
            return Lateral(q)
        if self.op("("):
            if self.kw("SELECT", "WITH", "VALUES", "TABLE", k=1) or self._paren_query_ahead():
                self.take()
                q = self.query()
                self.expect_op(")")
                return Subquery(q)
            self.take()  # visitParenthesizedRelation: the parentheses go
            rel = self.relation()
            self.expect_op(")")
            return rel
        if self.is_ident():
            return TableRel(self.qualified_name())
        raise FormatError(f"expected a relation at {self._where()}")

    def _paren_query_ahead(self) -> bool:
        j = 1
        while self.op("(", k=j):
            j += 1
        return j > 1 and self.kw("SELECT", "WITH", "VALUES", k=j)

    # ---- expressions (booleanExpression / valueExpression / primaryExpression)

    def expr(self) -> str:
        return self.or_expr()

    def or_expr(self) -> str:  # visitOr: flattened
        terms = [self.and_expr()]
        while self.accept_kw("OR"):
            terms.append(self.and_expr())
        return terms[0] if len(terms) == 1 else "(" + " OR ".join(terms) + ")"

    def and_expr(self) -> str:  # visitAnd: flattened
        terms = [self.not_expr()]
        while self.accept_kw("AND"):
            terms.append(self.not_expr())
        return terms[0] if len(terms) == 1 else "(" + " AND ".join(terms) + ")"

    def not_expr(self) -> str:
        if self.accept_kw("NOT"):
            return "(NOT " + self.not_expr() + ")"  # visitNotExpression
        return self.predicate()

    def predicate(self) -> str:
        value = self.value_expr()
        tok = self.peek()
        if tok is None:
            return value
        if tok.kind == "op" and tok.text in COMPARISON:
            self.take()
            operator = COMPARISON[tok.text]
            if self.kw("ALL", "ANY", "SOME") and self.op("(", k=1):
                quantifier = self.take().text.upper()
                self.take()
                sub = self.query()
                self.expect_op(")")
                return f"({value} {operator} {quantifier} ({format_sql(sub)}))"
            return f"({value} {operator} {self.value_expr()})"  # formatBinaryExpression
        negate = False
        if self.kw("NOT") and self.kw("BETWEEN", "IN", "LIKE", k=1):
            self.take()
            negate = True
        out = None
        if self.accept_kw("BETWEEN"):
            low = self.value_expr()
            self.expect_kw("AND")
            high = self.value_expr()
            out = f"({value} BETWEEN {low} AND {high})"
        elif self.accept_kw("IN"):
            self.expect_op("(")
            if self.kw("SELECT", "WITH", "VALUES", "TABLE"):
                sub = self.query()
                self.expect_op(")")
                out = f"({value} IN ({format_sql(sub)}))"
            else:
                items = [self.expr()]
                while self.accept_op(","):
                    items.append(self.expr())
                self.expect_op(")")
                out = f"({value} IN ({', '.join(items)}))"  # visitInPredicate + visitInListExpression
        elif self.accept_kw("LIKE"):
            pattern = self.value_expr()
            out = f"({value} LIKE {pattern}"
            if self.accept_kw("ESCAPE"):
                out += " ESCAPE " + self.value_expr()
            out += ")"
        elif self.kw("IS"):
            self.take()
            is_not = self.accept_kw("NOT")
            if self.accept_kw("NULL"):
                return f"({value} IS NOT NULL)" if is_not else f"({value} IS NULL)"
            if self.accept_kw("DISTINCT"):
                self.expect_kw("FROM")
                cmp = f"({value} IS DISTINCT FROM {self.value_expr()})"
                return f"(NOT {cmp})" if is_not else cmp  # visitDistinctFrom
            raise FormatError(f"unsupported IS predicate at {self._where()}")
        if out is None:
            return value
        return f"(NOT {out})" if negate else out

    def value_expr(self) -> str:  # concatenation: lowest valueExpression precedence
        left = self.additive()
        while self.accept_op("||"):
            left = f"concat({left}, {self.additive()})"  # AstBuilder.visitConcatenation
        return left

    def additive(self) -> str:
        left = self.multiplicative()
        while self.op("+", "-"):
            operator = self.take().text
            left = f"({left} {operator} {self.multiplicative()})"
        return left

    def multiplicative(self) -> str:
        left = self.unary()
        while self.op("*", "/", "%"):
            operator = self.take().text
            left = f"({left} {operator} {self.unary()})"
        return left

    def unary(self) -> str:
        if self.op("-", "+"):
            sign = self.take().text
            nxt = self.peek()
            if sign == "-" and nxt is not None and nxt.kind == "num":
                # number: MINUS? INTEGER_VALUE ... -- a negative literal
                return self.number(negative=True)
            value = self.unary()
            return f"-({value})" if sign == "-" else f"+{value}"  # visitArithmeticUnary
        return self.at_time_zone()

    def at_time_zone(self) -> str:
        value = self.primary()
        while self.kw("AT") and self.kw("TIME", k=1) and self.kw("ZONE", k=2):
            self.i += 3
            value = f"{value} AT TIME ZONE {self.primary()}"  # visitAtTimeZone
        return value

    def number(self, negative: bool = False) -> str:
        tok = self.take()
        text = ("-" if negative else "") + tok.text
        if re.fullmatch(r"-?\d+", text):
            return str(int(text))  # visitLongLiteral: Long.toString
        if "e" in text.lower():
            return format_double(text)  # visitDoubleLiteral
        # visitDecimalLiteral (AS_DECIMAL) -> "DECIMAL '...'"
        return f"DECIMAL '{text}'"

    def primary(self) -> str:
        value = self.primary_base()
        while True:
            if self.op(".") and self.is_ident(1):
                self.take()
                value = value + "." + self.ident()  # visitDereferenceExpression
            elif self.op("["):
                self.take()
                index = self.expr()
                self.expect_op("]")
                value = f"{value}[{index}]"  # visitSubscriptExpression
            else:
                return value

    def primary_base(self) -> str:
        tok = self.peek()
        if tok is None:
            raise FormatError("unexpected end of expression")
        if tok.kind == "num":
            return self.number()
        if tok.kind == "str":
            self.take()
            return format_string_literal(_unquote(tok))
        if tok.kind == "op":
            if tok.text == "?":
                self.take()
                return "?"
            if tok.text == "(":
                return self.parenthesized()
            raise FormatError(f"unexpected {tok.text!r} at offset {tok.pos}")
        if tok.kind == "id":
            word = tok.text.upper()
            nxt = self.peek(1)
            if word == "NULL":
                self.take()
                return "null"
            if word in ("TRUE", "FALSE"):
                self.take()
                return word.lower()  # visitBooleanLiteral: String.valueOf(boolean)
            if word == "CASE":
                return self.case()
            if word in ("CAST", "TRY_CAST") and self.op("(", k=1):
                self.i += 2
                value = self.expr()
                self.expect_kw("AS")
                type_ = self.type_()
                self.expect_op(")")
                return f"{word}({value} AS {type_})"  # visitCast
            if word == "EXISTS" and self.op("(", k=1):
                self.i += 2
                sub = self.query()
                self.expect_op(")")
                return f"(EXISTS ({format_sql(sub)}))"  # visitExists
            if word == "INTERVAL" and nxt is not None and (nxt.kind == "str" or (nxt.text in "+-" and nxt.kind == "op")):
                return self.interval()
            if word == "ARRAY" and self.op("[", k=1):
                self.i += 2
                items: list[str] = []
                if not self.op("]"):
                    items.append(self.expr())
                    while self.accept_op(","):
                        items.append(self.expr())
                self.expect_op("]")
                return "ARRAY[" + ",".join(items) + "]"  # visitArrayConstructor
            if word == "ROW" and self.op("(", k=1):
                self.take()
                return "ROW (" + ", ".join(self.paren_expr_list()) + ")"  # visitRow
            if word == "EXTRACT" and self.op("(", k=1):
                self.i += 2
                fieldname = self.take().text.upper()
                if fieldname not in EXTRACT_FIELDS:
                    raise FormatError(f"Invalid EXTRACT field: {fieldname}")
                self.expect_kw("FROM")
                value = self.value_expr()
                self.expect_op(")")
                return f"EXTRACT({fieldname} FROM {value})"  # visitExtract
            if word in DATETIME_FUNCTIONS:
                self.take()
                out = word.lower()  # visitCurrentTime: the function's name
                if self.op("(") and self.peek(1) is not None and self.peek(1).kind == "num":  # type: ignore[union-attr]
                    self.take()
                    out += "(" + self.take().text + ")"
                    self.expect_op(")")
                return out
            if word in ("CURRENT_USER", "CURRENT_CATALOG", "CURRENT_SCHEMA", "CURRENT_PATH"):
                self.take()
                return word
            if word == "TRIM" and self.op("(", k=1):
                return self.trim()
            if word == "SUBSTRING" and self.op("(", k=1) and self._has_top_level_kw("FROM"):
                self.i += 2
                args = [self.value_expr()]
                self.expect_kw("FROM")
                args.append(self.value_expr())
                if self.accept_kw("FOR"):
                    args.append(self.value_expr())
                self.expect_op(")")
                return "substr(" + ", ".join(args) + ")"  # visitSubstring
            if word == "POSITION" and self.op("(", k=1) and self._has_top_level_kw("IN"):
                self.i += 2
                needle = self.value_expr()
                self.expect_kw("IN")
                haystack = self.value_expr()
                self.expect_op(")")
                return f"strpos({haystack}, {needle})"  # visitPosition (arguments reversed)
            # typeConstructor: identifier string -> a typed literal
            if nxt is not None and nxt.kind == "str" and word not in RESERVED:
                self.i += 2
                value = _unquote(nxt)
                if word == "X" and nxt.pos == tok.pos + 1:
                    return "X'" + value.upper() + "'"  # visitBinaryLiteral
                if word == "TIME":
                    return f"TIME '{value}'"
                if word == "TIMESTAMP":
                    return f"TIMESTAMP '{value}'"
                if word == "DECIMAL":
                    return f"DECIMAL '{value}'"
                if word == "CHAR":
                    return "CHAR " + format_string_literal(value)
                if word == "DOUBLE":
                    return "DOUBLE " + format_string_literal(value)
                return tok.text + " " + format_string_literal(value)  # visitGenericLiteral
        if tok.kind in ("id", "qid", "bid"):
            if tok.kind == "id" and tok.text.upper() in RESERVED:
                raise FormatError(f"unexpected {tok.text!r} at offset {tok.pos}")
            if self.op("->", k=1):  # lambda with one argument
                name = self.ident()
                self.take()
                return f"({name}) -> {self.expr()}"  # visitLambdaExpression
            name = self.qualified_name()
            if self.op("("):
                return self.function_call(name)
            return name
        raise FormatError(f"unexpected token at offset {tok.pos}")

    def _has_top_level_kw(self, word: str) -> bool:
        depth = 0
        j = self.i + 1
        while j < len(self.t):
            tok = self.t[j]
            if tok.text == "(":
                depth += 1
            elif tok.text == ")":
                depth -= 1
                if depth == 0:
                    return False
            elif depth == 1 and tok.kind == "id" and tok.text.upper() == word:
                return True
            j += 1
        return False

    def parenthesized(self) -> str:
        # "(" query ")" | lambda "(a, b) -> e" | row "(a, b)" | "(e)"
        if self.kw("SELECT", "WITH", "VALUES", "TABLE", k=1):
            self.take()
            sub = self.query()
            self.expect_op(")")
            return "(" + format_sql(sub) + ")"  # visitSubqueryExpression
        j = 1
        names_only = True
        while True:
            if not self.is_ident(j):
                names_only = False
                break
            if self.op(")", k=j + 1):
                break
            if not self.op(",", k=j + 1):
                names_only = False
                break
            j += 2
        if names_only and self.op("->", k=j + 2):
            self.take()
            names = [self.ident()]
            while self.accept_op(","):
                names.append(self.ident())
            self.expect_op(")")
            self.expect_op("->")
            return "(" + ", ".join(names) + ") -> " + self.expr()
        self.take()
        first = self.expr()
        if self.accept_op(","):
            items = [first, self.expr()]
            while self.accept_op(","):
                items.append(self.expr())
            self.expect_op(")")
            return "ROW (" + ", ".join(items) + ")"  # rowConstructor
        self.expect_op(")")
        return first  # visitParenthesizedExpression: the parentheses go

    def function_call(self, name: str) -> str:
        self.expect_op("(")
        simple = name.lower()
        distinct = False
        args: list[str] = []
        order = None
        star = False
        if self.op("*") and self.op(")", k=1):
            self.take()
            star = True
        elif not self.op(")"):
            if self.accept_kw("DISTINCT"):
                distinct = True
            else:
                self.accept_kw("ALL")
            args.append(self.expr())
            while self.accept_op(","):
                args.append(self.expr())
            if self.kw("ORDER") and self.kw("BY", k=1):
                self.i += 2
                order = "ORDER BY " + self.sort_items()
        self.expect_op(")")
        nulls = ""
        if self.kw("IGNORE", "RESPECT") and self.kw("NULLS", k=1):
            nulls = " " + self.take().text.upper() + " NULLS"
            self.take()
        filter_ = ""
        if self.kw("FILTER") and self.op("(", k=1):
            self.i += 2
            self.expect_kw("WHERE")
            filter_ = " FILTER (WHERE " + self.expr() + ")"
            self.expect_op(")")
        over = ""
        if self.accept_kw("OVER"):
            over = " OVER " + (self.window_spec() if self.op("(") else self.ident())
        special = not (distinct or order or nulls or filter_ or over or star)
        if special and "." not in name:
            # AstBuilder.visitFunctionCall turns these into their own nodes.
            if simple == "if" and len(args) in (2, 3):
                return "IF(" + ", ".join(args) + ")"
            if simple == "nullif" and len(args) == 2:
                return f"NULLIF({args[0]}, {args[1]})"
            if simple == "coalesce" and len(args) >= 2:
                return "COALESCE(" + ", ".join(args) + ")"
            if simple == "try" and len(args) == 1:
                return f"TRY({args[0]})"
            if simple == "format" and len(args) >= 2:
                return "format(" + ", ".join(args) + ")"
        arguments = ", ".join(args)
        if not args and name.rsplit(".", 1)[-1].lower() == "count":
            arguments = "*"
        if distinct:
            arguments = "DISTINCT " + arguments
        out = name + "(" + arguments
        if order:
            out += " " + order
        return out + ")" + nulls + filter_ + over

    def window_spec(self) -> str:  # formatWindowSpecification
        self.expect_op("(")
        parts = []
        if self.is_ident() and not self.kw("PARTITION", "ORDER", "ROWS", "RANGE", "GROUPS"):
            parts.append(self.ident())
        if self.kw("PARTITION") and self.kw("BY", k=1):
            self.i += 2
            exprs = [self.expr()]
            while self.accept_op(","):
                exprs.append(self.expr())
            parts.append("PARTITION BY " + ", ".join(exprs))
        if self.kw("ORDER") and self.kw("BY", k=1):
            self.i += 2
            parts.append("ORDER BY " + self.sort_items())
        if self.kw("ROWS", "RANGE", "GROUPS"):
            kind = self.take().text.upper()
            if self.accept_kw("BETWEEN"):
                start = self.frame_bound()
                self.expect_kw("AND")
                parts.append(f"{kind} BETWEEN {start} AND {self.frame_bound()}")
            else:
                parts.append(f"{kind} {self.frame_bound()}")
        self.expect_op(")")
        return "(" + " ".join(parts) + ")"

    def frame_bound(self) -> str:  # formatFrameBound
        if self.accept_kw("UNBOUNDED"):
            return "UNBOUNDED " + self.expect_kw("PRECEDING", "FOLLOWING")
        if self.kw("CURRENT") and self.kw("ROW", k=1):
            self.i += 2
            return "CURRENT ROW"
        value = self.expr()
        return value + " " + self.expect_kw("PRECEDING", "FOLLOWING")

    def case(self) -> str:  # visitSearchedCaseExpression / visitSimpleCaseExpression
        self.expect_kw("CASE")
        parts = ["CASE"]
        if not self.kw("WHEN"):
            parts.append(self.expr())
        while self.accept_kw("WHEN"):
            cond = self.expr()
            self.expect_kw("THEN")
            parts.append(f"WHEN {cond} THEN {self.expr()}")
        if self.accept_kw("ELSE"):
            parts += ["ELSE", self.expr()]
        self.expect_kw("END")
        parts.append("END")
        return "(" + " ".join(parts) + ")"

    def interval(self) -> str:  # visitIntervalLiteral
        self.expect_kw("INTERVAL")
        sign = ""
        if self.op("+", "-"):
            sign = "- " if self.take().text == "-" else ""
        tok = self.take()
        if tok.kind != "str":
            raise FormatError("INTERVAL needs a string")
        start = self.expect_kw(*INTERVAL_FIELDS)
        out = f"INTERVAL {sign} '{_unquote(tok)}' {start}"
        if self.accept_kw("TO"):
            out += " TO " + self.expect_kw(*INTERVAL_FIELDS)
        return out

    def trim(self) -> str:  # visitTrim
        self.i += 2
        spec = "BOTH"
        if self.kw("BOTH", "LEADING", "TRAILING"):
            spec = self.take().text.upper()
        char = None
        if not self.kw("FROM"):
            first = self.value_expr()
            if self.accept_kw("FROM"):
                char, source = first, self.value_expr()
            elif self.accept_op(","):
                char, source = self.value_expr(), first  # trim(source, chars)
            else:
                source = first
        else:
            self.take()
            source = self.value_expr()
        self.expect_op(")")
        if char is None:
            return f"trim({spec} FROM {source})"
        return f"trim({spec} {char} FROM {source})"

    def type_(self) -> str:
        """A data type as ExpressionFormatter prints it: generic types as
        written with ", "-joined parameters, datetime types lower case,
        ROW(name type, ...), legacy array<T>/map<K,V> as array(T)/map(K, V)."""
        if self.kw("ROW") and self.op("(", k=1):
            self.i += 2
            fields = []
            while True:
                if self.is_ident() and not self.op(",", ")", k=1) and not self.op("(", k=1) and not self.op("<", k=1):
                    fname = self.ident()
                    fields.append(fname + " " + self.type_())
                else:
                    fields.append(self.type_())
                if not self.accept_op(","):
                    break
            self.expect_op(")")
            return "ROW(" + ", ".join(fields) + ")"
        if self.kw("TIMESTAMP", "TIME"):
            word = self.take().text.lower()
            if self.accept_op("("):
                word += "(" + self.take().text + ")"
                self.expect_op(")")
            if self.kw("WITH", "WITHOUT") and self.kw("TIME", k=1):
                with_zone = self.take().text.upper() == "WITH"
                self.i += 2  # TIME ZONE
                if with_zone:
                    word += " with time zone"
            return word
        if self.kw("DOUBLE") and self.kw("PRECISION", k=1):
            self.i += 2
            return "DOUBLE PRECISION"
        if self.kw("INTERVAL"):
            raise FormatError("interval types are not parsed here")
        if (self.kw("ARRAY", "MAP")) and self.op("<", k=1):
            word = self.take().text.lower()
            self.take()
            params = [self.type_()]
            while self.accept_op(","):
                params.append(self.type_())
            self.expect_op(">")
            return word + "(" + ", ".join(params) + ")"
        name = self.ident()
        if self.accept_op("("):
            params = [self.type_param()]
            while self.accept_op(","):
                params.append(self.type_param())
            self.expect_op(")")
            return name + "(" + ", ".join(params) + ")"
        return name

    def type_param(self) -> str:
        tok = self.peek()
        if tok is not None and tok.kind == "num":
            return self.take().text
        return self.type_()


# --------------------------------------------------------------------------
# Entry points


def format_query(query_sql: str) -> str:
    """The query of a CREATE VIEW as Trino stores it (SqlFormatter style)."""
    try:
        tokens = tokenize(query_sql)
    except SqlError as exc:
        raise FormatError(str(exc)) from exc
    while tokens and tokens[-1].text == ";":
        tokens.pop()
    parser = Parser(tokens)
    q = parser.query()
    if not parser.at_end():
        raise FormatError(f"unexpected {parser.peek().text!r} after the query")  # type: ignore[union-attr]
    return format_sql(q)


def normalize_fallback(query_sql: str) -> str:
    """For SQL the parser above does not know: upper-case keywords and one
    space between tokens, so a stored view still differs from what was
    sent the way Athena's does (an approximation; see EVIDENCE.md)."""
    words = {"SELECT", "FROM", "WHERE", "GROUP", "BY", "HAVING", "ORDER", "LIMIT", "AS", "AND", "OR", "NOT",
             "JOIN", "ON", "LEFT", "RIGHT", "INNER", "OUTER", "FULL", "CROSS", "UNION", "ALL", "DISTINCT",
             "CASE", "WHEN", "THEN", "ELSE", "END", "IN", "IS", "NULL", "LIKE", "BETWEEN", "WITH", "CAST",
             "OVER", "PARTITION", "ASC", "DESC", "EXISTS", "VALUES", "USING", "INTERSECT", "EXCEPT"}
    out = []
    for tok in tokenize(query_sql):
        out.append(tok.text.upper() if tok.kind == "id" and tok.text.upper() in words else tok.text)
    text = " ".join(out)
    text = re.sub(r"\s+([,)\].])", r"\1", text)
    text = re.sub(r"([(\[.])\s+", r"\1", text)
    return text.rstrip(" ;") + "\n"


def stored_view_sql(query_sql: str) -> str:
    try:
        return format_query(query_sql)
    except (FormatError, SqlError, IndexError):
        return normalize_fallback(query_sql)
