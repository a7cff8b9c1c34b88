"""Just enough SQL for the Athena emulation: recognise the statement, find
the tables a query reads, and derive a view's output columns.

This is deliberately not a SQL engine.  What it must get right is what twh
depends on: which statement ran (CREATE [OR REPLACE] VIEW, DROP VIEW, database
DDL, a query), the SELECT text of a view (which trino_format.py prints the
way Athena stores it as ``originalSql``), which catalog tables a statement references (so a missing
database or table fails as in Athena), and the view's column names.  Column
types are derived where the SQL makes them evident (a column of a catalog
table, CAST, a literal, count) and are ``varchar`` otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<lcomment>--[^\n]*)
  | (?P<bcomment>/\*.*?\*/)
  | (?P<str>'(?:[^']|'')*')
  | (?P<qid>"(?:[^"]|"")*")
  | (?P<bid>`[^`]*`)
  | (?P<num>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)
  | (?P<id>[A-Za-z_][A-Za-z0-9_@$]*)
  | (?P<op><>|!=|<=|>=|\|\||->|=>|[(),.;*+\-/%<>=\[\]:?{}|^&~])
    """,
    re.VERBOSE | re.DOTALL,
)

# Words that end a FROM item / cannot be an alias.
RESERVED = {
    "select",
    "from",
    "where",
    "group",
    "by",
    "having",
    "order",
    "limit",
    "offset",
    "fetch",
    "union",
    "except",
    "intersect",
    "join",
    "inner",
    "left",
    "right",
    "full",
    "outer",
    "cross",
    "natural",
    "on",
    "using",
    "as",
    "and",
    "or",
    "not",
    "case",
    "when",
    "then",
    "else",
    "end",
    "null",
    "true",
    "false",
    "with",
    "distinct",
    "all",
    "window",
    "lateral",
    "unnest",
    "tablesample",
    "is",
    "in",
    "like",
    "between",
    "exists",
    "values",
}

# Statements Athena accepts that the emulator recognises but does not run.
KNOWN_UNEMULATED = {
    "ALTER",
    "ANALYZE",
    "CALL",
    "COMMENT",
    "DEALLOCATE",
    "DELETE",
    "DESC",
    "DESCRIBE",
    "EXECUTE",
    "EXPLAIN",
    "GRANT",
    "INSERT",
    "MERGE",
    "MSCK",
    "OPTIMIZE",
    "PREPARE",
    "REVOKE",
    "SHOW",
    "UNLOAD",
    "UPDATE",
    "USE",
    "VACUUM",
}

EXPECTING = (
    "'ALTER', 'ANALYZE', 'CALL', 'COMMENT', 'COMMIT', 'CREATE', 'DEALLOCATE', 'DELETE', 'DENY', "
    "'DESC', 'DESCRIBE', 'DROP', 'EXECUTE', 'EXPLAIN', 'GRANT', 'INSERT', 'MERGE', 'PREPARE', "
    "'REFRESH', 'RESET', 'REVOKE', 'ROLLBACK', 'SET', 'SHOW', 'START', 'TRUNCATE', 'UPDATE', 'USE', <query>"
)


class SqlError(Exception):
    """A statement Athena would reject; ``str()`` is Athena's style of
    StateChangeReason ("line L:C: ...", optionally with an error name)."""


@dataclass
class Token:
    kind: str  # id | qid | str | num | op
    text: str  # the raw text
    pos: int  # offset in the statement

    @property
    def value(self) -> str:
        """Identifier value as the catalog sees it (lower-cased, unquoted)."""
        if self.kind == "qid":
            return self.text[1:-1].replace('""', '"').lower()
        if self.kind == "bid":
            return self.text[1:-1].lower()
        return self.text.lower()

    @property
    def is_ident(self) -> bool:
        return self.kind in ("id", "qid", "bid")

    def kw(self, *words: str) -> bool:
        return self.kind == "id" and self.text.upper() in words


def line_col(sql: str, pos: int) -> str:
    line = sql.count("\n", 0, pos) + 1
    col = pos - (sql.rfind("\n", 0, pos) + 1) + 1
    return f"{line}:{col}"


def tokenize(sql: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(sql):
        match = TOKEN_RE.match(sql, pos)
        if not match:
            raise SqlError(f"line {line_col(sql, pos)}: mismatched input '{sql[pos]}'. Expecting: {EXPECTING}")
        kind = match.lastgroup or ""
        if kind not in ("ws", "lcomment", "bcomment"):
            tokens.append(Token(kind, match.group(), pos))
        pos = match.end()
    return tokens


@dataclass
class Name:
    """A possibly qualified catalog name: [catalog.][schema.]name."""

    parts: list[str]
    pos: int

    def resolve(self, default_schema: str | None) -> tuple[str, str | None, str]:
        parts = self.parts
        if len(parts) == 3:
            return parts[0], parts[1], parts[2]
        if len(parts) == 2:
            return "awsdatacatalog", parts[0], parts[1]
        return "awsdatacatalog", default_schema, parts[0]


@dataclass
class Statement:
    kind: str  # create_view | drop_view | create_database | drop_database | drop_table | query | unemulated
    statement_type: str  # DDL | DML | UTILITY (Athena's StatementType)
    name: Name | None = None
    or_replace: bool = False
    if_exists: bool = False
    if_not_exists: bool = False
    body_sql: str = ""  # the SELECT of a view / the query itself
    body_tokens: list[Token] = field(default_factory=list)
    keyword: str = ""
    comment: str | None = None
    location: str | None = None


def _name(tokens: list[Token], i: int, sql: str) -> tuple[Name, int]:
    if i >= len(tokens) or not tokens[i].is_ident:
        where = tokens[i].pos if i < len(tokens) else len(sql)
        got = tokens[i].text if i < len(tokens) else "<EOF>"
        raise SqlError(f"line {line_col(sql, where)}: mismatched input '{got}'. Expecting: <identifier>")
    parts = [tokens[i].value]
    pos = tokens[i].pos
    i += 1
    while i + 1 < len(tokens) and tokens[i].text == "." and tokens[i + 1].is_ident:
        parts.append(tokens[i + 1].value)
        i += 2
    if len(parts) > 3:
        raise SqlError(f"line {line_col(sql, pos)}: Too many dots in table name: {'.'.join(parts)}")
    return Name(parts, pos), i


def _expect(tokens: list[Token], i: int, sql: str, *words: str) -> int:
    if i < len(tokens) and tokens[i].kw(*words):
        return i + 1
    where = tokens[i].pos if i < len(tokens) else len(sql)
    got = tokens[i].text if i < len(tokens) else "<EOF>"
    raise SqlError(f"line {line_col(sql, where)}: mismatched input '{got}'. Expecting: {', '.join(repr(w) for w in words)}")


def _check_balanced(tokens: list[Token], sql: str) -> None:
    depth = 0
    for tok in tokens:
        if tok.text == "(":
            depth += 1
        elif tok.text == ")":
            depth -= 1
            if depth < 0:
                raise SqlError(f"line {line_col(sql, tok.pos)}: extraneous input ')'")
    if depth:
        raise SqlError(f"line {line_col(sql, len(sql))}: mismatched input '<EOF>'. Expecting: ')'")


def parse(sql: str) -> Statement:
    """Classify one Athena statement."""
    tokens = tokenize(sql)
    # Athena runs exactly one statement; a trailing ";" is fine.
    while tokens and tokens[-1].text == ";":
        tokens.pop()
    for tok in tokens:
        if tok.text == ";":
            raise SqlError("Only one sql statement is allowed. Got: " + sql.strip())
    if not tokens:
        raise SqlError(f"line 1:1: mismatched input '<EOF>'. Expecting: {EXPECTING}")
    _check_balanced(tokens, sql)
    first = tokens[0]
    end = tokens[-1].pos + len(tokens[-1].text)

    if first.kw("SELECT", "WITH", "VALUES", "TABLE") or first.text == "(":
        return Statement("query", "DML", body_sql=sql[first.pos : end], body_tokens=tokens)

    if first.kw("CREATE"):
        i = 1
        or_replace = False
        if i + 1 < len(tokens) and tokens[i].kw("OR") and tokens[i + 1].kw("REPLACE"):
            or_replace, i = True, i + 2
        if i < len(tokens) and tokens[i].kw("VIEW"):
            name, i = _name(tokens, i + 1, sql)
            comment = None
            if i < len(tokens) and tokens[i].kw("COMMENT") and i + 1 < len(tokens) and tokens[i + 1].kind == "str":
                comment = tokens[i + 1].text[1:-1].replace("''", "'")
                i += 2
            if i < len(tokens) and tokens[i].kw("SECURITY") and i + 1 < len(tokens):
                i += 2
            i = _expect(tokens, i, sql, "AS")
            if i >= len(tokens):
                raise SqlError(f"line {line_col(sql, len(sql))}: mismatched input '<EOF>'. Expecting: <query>")
            body = tokens[i:]
            if not (body[0].kw("SELECT", "WITH", "VALUES", "TABLE") or body[0].text == "("):
                raise SqlError(f"line {line_col(sql, body[0].pos)}: mismatched input '{body[0].text}'. Expecting: <query>")
            # The query text after AS; athena.py stores it Trino-formatted.
            return Statement(
                "create_view",
                "DDL",
                name=name,
                or_replace=or_replace,
                body_sql=sql[body[0].pos : end],
                body_tokens=body,
                comment=comment,
            )
        if i < len(tokens) and tokens[i].kw("DATABASE", "SCHEMA") and not or_replace:
            i += 1
            if_not_exists = False
            if i + 2 < len(tokens) and tokens[i].kw("IF") and tokens[i + 1].kw("NOT") and tokens[i + 2].kw("EXISTS"):
                if_not_exists, i = True, i + 3
            name, i = _name(tokens, i, sql)
            stmt = Statement("create_database", "DDL", name=name, if_not_exists=if_not_exists)
            while i < len(tokens):
                if tokens[i].kw("COMMENT") and i + 1 < len(tokens) and tokens[i + 1].kind == "str":
                    stmt.comment = tokens[i + 1].text[1:-1].replace("''", "'")
                    i += 2
                elif tokens[i].kw("LOCATION") and i + 1 < len(tokens) and tokens[i + 1].kind == "str":
                    stmt.location = tokens[i + 1].text[1:-1]
                    i += 2
                else:
                    i += 1
            return stmt
        return Statement("unemulated", "DDL", keyword="CREATE " + (tokens[i].text.upper() if i < len(tokens) else ""))

    if first.kw("DROP"):
        if len(tokens) > 1 and tokens[1].kw("VIEW", "TABLE", "DATABASE", "SCHEMA"):
            what = tokens[1].text.upper()
            i = 2
            if_exists = False
            if i + 1 < len(tokens) and tokens[i].kw("IF") and tokens[i + 1].kw("EXISTS"):
                if_exists, i = True, i + 2
            name, i = _name(tokens, i, sql)
            kind = {"VIEW": "drop_view", "TABLE": "drop_table"}.get(what, "drop_database")
            return Statement(kind, "DDL", name=name, if_exists=if_exists, keyword=" ".join(t.text.upper() for t in tokens[i:]))
        return Statement("unemulated", "DDL", keyword="DROP")

    if first.kind == "id" and first.text.upper() in KNOWN_UNEMULATED:
        kind = "UTILITY" if first.text.upper() in ("SHOW", "DESCRIBE", "DESC", "EXPLAIN") else "DDL"
        return Statement("unemulated", kind, keyword=first.text.upper())

    raise SqlError(f"line {line_col(sql, first.pos)}: mismatched input '{first.text}'. Expecting: {EXPECTING}")


# --------------------------------------------------------------------------
# Query analysis


@dataclass
class TableRef:
    name: Name | None  # None for a subquery
    alias: str | None
    subquery: list[Token] | None = None


def _skip_parens(tokens: list[Token], i: int) -> int:
    depth = 0
    while i < len(tokens):
        if tokens[i].text == "(":
            depth += 1
        elif tokens[i].text == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return i


def ctes(tokens: list[Token]) -> tuple[dict[str, list[Token]], int]:
    """Queries defined by a leading WITH (name -> body tokens), and the index
    of the main query."""
    found: dict[str, list[Token]] = {}
    if not tokens or not tokens[0].kw("WITH"):
        return found, 0
    i = 1
    if i < len(tokens) and tokens[i].kw("RECURSIVE"):
        i += 1
    while i < len(tokens) and tokens[i].is_ident:
        name = tokens[i].value
        i += 1
        if i < len(tokens) and tokens[i].text == "(":
            i = _skip_parens(tokens, i)  # a column alias list
        if i < len(tokens) and tokens[i].kw("AS"):
            i += 1
        body: list[Token] = []
        if i < len(tokens) and tokens[i].text == "(":
            end = _skip_parens(tokens, i)
            body = tokens[i + 1 : end - 1]
            i = end
        found[name] = body
        if i < len(tokens) and tokens[i].text == ",":
            i += 1
            continue
        break
    return found, i


def cte_names(tokens: list[Token]) -> tuple[set[str], int]:
    found, start = ctes(tokens)
    return set(found), start


def referenced_tables(tokens: list[Token]) -> list[Name]:
    """Every catalog table named after FROM or JOIN, at any depth, except
    CTE names and table functions."""
    ctes, _ = cte_names(tokens)
    # CTEs defined in nested WITH clauses are rare in views; good enough.
    out: list[Name] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if (tok.kw("FROM", "JOIN") and _is_clause(tokens, i)) or (tok.text == "," and _in_from(tokens, i)):
            j = i + 1
            # Trino's formatter wraps joins in parentheses: FROM (a JOIN b ...).
            while j < len(tokens) and tokens[j].text == "(":
                j += 1
            if (
                j < len(tokens)
                and tokens[j].is_ident
                and not tokens[j].kw("UNNEST", "LATERAL", "TABLE")
                and not (tokens[j].kind == "id" and tokens[j].value in RESERVED)
            ):
                name, _ = _name(tokens, j, "")
                if not (len(name.parts) == 1 and name.parts[0] in ctes):
                    out.append(name)
        i += 1
    return out


def _is_clause(tokens: list[Token], i: int) -> bool:
    """Is the FROM/JOIN at i a clause of a query, not the FROM inside a
    function's arguments?  Trino's formatter writes ``trim(k)`` as
    ``trim(BOTH FROM k)`` (SqlFormatter's Trim rendering), and SQL has
    ``extract(year FROM t)`` and ``substring(s FROM 2)``: there the nearest
    unclosed parenthesis opens a call, not a subquery."""
    depth = 0
    for j in range(i - 1, -1, -1):
        t = tokens[j]
        if t.text == ")":
            depth += 1
        elif t.text == "(":
            if depth == 0:
                nxt = tokens[j + 1] if j + 1 < len(tokens) else None
                return nxt is not None and (nxt.kw("SELECT", "WITH", "VALUES") or nxt.text == "(")
            depth -= 1
    return True


def _in_from(tokens: list[Token], i: int) -> bool:
    """Is the comma at i a FROM-list separator (same depth as a FROM)?"""
    depth = 0
    for j in range(i - 1, -1, -1):
        t = tokens[j]
        if t.text == ")":
            depth += 1
        elif t.text == "(":
            if depth == 0:
                return False
            depth -= 1
        elif depth == 0:
            if t.kw("FROM"):
                return True
            if t.kw("SELECT", "WHERE", "GROUP", "ORDER", "HAVING", "ON", "BY", "VALUES"):
                return False
    return False


def _split_top(tokens: list[Token], sep: str = ",") -> list[list[Token]]:
    parts: list[list[Token]] = [[]]
    depth = 0
    for tok in tokens:
        if tok.text in ("(", "["):
            depth += 1
        elif tok.text in (")", "]"):
            depth -= 1
        if tok.text == sep and depth == 0:
            parts.append([])
        else:
            parts[-1].append(tok)
    return [p for p in parts if p]


def _top_level_index(tokens: list[Token], start: int, *words: str) -> int:
    depth = 0
    for i in range(start, len(tokens)):
        t = tokens[i]
        if t.text in ("(", "["):
            depth += 1
        elif t.text in (")", "]"):
            depth -= 1
        elif depth == 0 and t.kw(*words):
            return i
    return len(tokens)


def from_items(tokens: list[Token]) -> list[TableRef]:
    """Top-level FROM items of the main query with their aliases."""
    _, start = cte_names(tokens)
    sel = _top_level_index(tokens, start, "SELECT")
    frm = _top_level_index(tokens, sel, "FROM")
    stop = _top_level_index(
        tokens, frm + 1, "WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "UNION", "EXCEPT", "INTERSECT", "OFFSET", "FETCH", "WINDOW"
    )
    return _scan_relations(tokens, frm + 1, stop)


def _scan_relations(tokens: list[Token], start: int, stop: int) -> list[TableRef]:
    refs: list[TableRef] = []
    i = start
    expect_item = True
    while i < stop:
        tok = tokens[i]
        if tok.text == "(":
            end = _skip_parens(tokens, i)
            inner = tokens[i + 1 : end - 1]
            i = end
            if expect_item and inner and (inner[0].kw("SELECT", "WITH", "VALUES") or inner[0].text == "("):
                alias = None
                if i < stop and tokens[i].kw("AS"):
                    i += 1
                if i < stop and tokens[i].is_ident and not (tokens[i].kind == "id" and tokens[i].value in RESERVED):
                    alias = tokens[i].value
                    i += 1
                refs.append(TableRef(None, alias, inner))
            elif expect_item and inner:
                # A parenthesized join, as Trino prints joins: its relations
                # are FROM items of this query.
                refs.extend(_scan_relations(inner, 0, len(inner)))
            expect_item = False
            continue
        if expect_item and tok.is_ident and not (tok.kind == "id" and tok.value in RESERVED):
            name, i = _name(tokens, i, "")
            alias = None
            if i < stop and tokens[i].kw("AS"):
                i += 1
            if i < stop and tokens[i].is_ident and not (tokens[i].kind == "id" and tokens[i].value in RESERVED):
                alias = tokens[i].value
                i += 1
            refs.append(TableRef(name, alias))
            expect_item = False
            continue
        if tok.text == "," or tok.kw("JOIN"):
            expect_item = True
        i += 1
    return refs


@dataclass
class SelectItem:
    tokens: list[Token]
    alias: str | None
    star_of: str | None  # "" for *, qualifier for t.*
    is_star: bool


def select_items(tokens: list[Token]) -> list[SelectItem]:
    _, start = cte_names(tokens)
    sel = _top_level_index(tokens, start, "SELECT")
    if sel >= len(tokens):
        return []
    frm = _top_level_index(
        tokens, sel + 1, "FROM", "WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "UNION", "EXCEPT", "INTERSECT", "OFFSET", "FETCH", "WINDOW"
    )
    body = tokens[sel + 1 : frm]
    if body and body[0].kw("DISTINCT", "ALL"):
        body = body[1:]
    items = []
    for part in _split_top(body):
        if len(part) == 1 and part[0].text == "*":
            items.append(SelectItem(part, None, "", True))
            continue
        if len(part) == 3 and part[1].text == "." and part[2].text == "*":
            items.append(SelectItem(part, None, part[0].value, True))
            continue
        alias = None
        expr = part
        last = part[-1]
        if len(part) >= 2 and last.is_ident and not (last.kind == "id" and last.value in RESERVED):
            prev = part[-2]
            if prev.kw("AS"):
                alias, expr = last.value, part[:-2]
            elif (
                prev.text not in (".",)
                and (prev.is_ident or prev.kind in ("str", "num") or prev.text in (")", "]"))
                and not (prev.kind == "id" and prev.value in RESERVED - {"end", "null", "true", "false"})
            ):
                alias, expr = last.value, part[:-1]
        items.append(SelectItem(expr, alias, None, False))
    return items


# --------------------------------------------------------------------------
# Types: Hive (Glue StorageDescriptor) <-> Presto/Trino (view JSON)


def _parse_type(s: str) -> tuple[str, list[Any]]:
    """Parse "name", "name(args)" or "name<args>" into (name, args)."""
    s = s.strip()
    m = re.match(r"^([A-Za-z_][A-Za-z0-9_ ]*?)\s*([(<])(.*)([)>])$", s, re.DOTALL)
    if not m:
        return s.lower(), []
    return m.group(1).strip().lower(), _split_args(m.group(3))


def _split_args(s: str) -> list[str]:
    out, depth, cur = [], 0, ""
    for ch in s:
        if ch in "(<":
            depth += 1
        elif ch in ")>":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


HIVE_TO_PRESTO = {"string": "varchar", "int": "integer", "float": "real", "binary": "varbinary"}
PRESTO_TO_HIVE = {"varchar": "string", "integer": "int", "real": "float", "varbinary": "binary"}


def hive_to_presto(t: str) -> str:
    name, args = _parse_type(t)
    if name == "array":
        return f"array({hive_to_presto(args[0])})"
    if name == "map":
        return f"map({hive_to_presto(args[0])}, {hive_to_presto(args[1])})"
    if name == "struct":
        fields = []
        for arg in args:
            fname, _, ftype = arg.partition(":")
            fields.append(f"{fname.strip()} {hive_to_presto(ftype)}")
        return f"row({', '.join(fields)})"
    if args:
        return f"{name}({','.join(args)})"
    return HIVE_TO_PRESTO.get(name, name)


def presto_to_hive(t: str) -> str:
    name, args = _parse_type(t)
    if name == "array":
        return f"array<{presto_to_hive(args[0])}>"
    if name == "map":
        return f"map<{presto_to_hive(args[0])},{presto_to_hive(args[1])}>"
    if name == "row":
        fields = []
        for arg in args:
            fname, _, ftype = arg.strip().partition(" ")
            fields.append(f"{fname}:{presto_to_hive(ftype)}")
        return f"struct<{','.join(fields)}>"
    if name in ("timestamp", "time") and args:
        return name
    if name == "varchar" and not args:
        return "string"
    if args:
        return f"{name}({','.join(args)})"
    return PRESTO_TO_HIVE.get(name, name)


def typed_literal_type(expr: list[Token]) -> str | None:
    """The type of a two-token typed literal such as Trino's DECIMAL '1.5'
    (the way Trino's formatter prints a decimal literal), DATE '...'."""
    if len(expr) != 2 or expr[1].kind != "str" or expr[0].kind != "id":
        return None
    word, value = expr[0].text.upper(), expr[1].text[1:-1]
    if word == "DECIMAL" and re.fullmatch(r"-?\d*\.?\d*", value):
        whole, _, frac = value.lstrip("-").partition(".")
        return f"decimal({len(whole.lstrip('0') or '0') + len(frac)},{len(frac)})"
    if word == "DATE":
        return "date"
    return None


def literal_type(tok: Token) -> str | None:
    if tok.kind == "str":
        return f"varchar({len(tok.text[1:-1].replace(chr(39) * 2, chr(39)))})"
    if tok.kind == "num":
        if re.fullmatch(r"\d+", tok.text):
            return "integer" if int(tok.text) < 2**31 else "bigint"
        if "e" in tok.text.lower():
            return "double"
        whole, _, frac = tok.text.partition(".")
        return f"decimal({len(whole.lstrip('0') or '0') + len(frac)},{len(frac)})"
    if tok.kw("TRUE", "FALSE"):
        return "boolean"
    return None
