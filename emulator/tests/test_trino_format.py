"""Athena stores a view's SQL as Trino's SqlFormatter prints it
(twh_emulator/trino_format.py).  The expected texts follow Trino's
SqlFormatter/ExpressionFormatter rules line by line."""

from __future__ import annotations

import pytest

from twh_emulator.trino_format import FormatError, format_double, format_query, format_string_literal, stored_view_sql

CASES = [
    # visitSelect: one item per line, leading comma; visitQuerySpecification:
    # FROM on its own line, its relation indented by two; comparisons in
    # parentheses; a trailing newline.
    ("select a, b from t where x = 1", "SELECT\n  a\n, b\nFROM\n  t\nWHERE (x = 1)\n"),
    # A single item stays on the SELECT line; no FROM leaves an empty line.
    ("SELECT 1 AS one", "SELECT 1 one\n\n"),
    ("select * from orders", "SELECT *\nFROM\n  orders\n"),
    # Aliases lose AS; identifiers keep their case and their quotes.
    ('select Customer as "Who", T.amount from Sales.Orders t', 'SELECT\n  Customer "Who"\n, T.amount\nFROM\n  Sales.Orders t\n'),
    # AND/OR chains are flattened into one parenthesized list (AstBuilder.visitAnd).
    (
        "select a from t where a = 1 and b = 2 and (c = 3 or d is not null)",
        "SELECT a\nFROM\n  t\nWHERE ((a = 1) AND (b = 2) AND ((c = 3) OR (d IS NOT NULL)))\n",
    ),
    # GROUP BY / HAVING / ORDER BY (explicit ASC) / LIMIT on their own lines.
    (
        "select a, count(*) from t group by 1 having count(*) > 1 order by a desc, 2 limit 10",
        "SELECT\n  a\n, count(*)\nFROM\n  t\nGROUP BY 1\nHAVING (count(*) > 1)\nORDER BY a DESC, 2 ASC\nLIMIT 10\n",
    ),
    # Joins: parenthesized, the JOIN keyword at the start of a line;
    # LEFT OUTER JOIN is LEFT JOIN; a comma is an implicit join.
    (
        "select * from a join b on a.id = b.id left outer join c using (id), d",
        "SELECT *\nFROM\n  ((a\nINNER JOIN b ON (a.id = b.id))\nLEFT JOIN c USING (id))\n, d\n",
    ),
    # An aliased subquery: ") " then " s" -- two spaces, as in visitTableSubquery.
    (
        "select s.x from (select x from t) s",
        "SELECT s.x\nFROM\n  (\n   SELECT x\n   FROM\n     t\n)  s\n",
    ),
    # WITH queries.
    (
        "with w as (select a from t) select a from w",
        "WITH\n  w AS (\n   SELECT a\n   FROM\n     t\n) \nSELECT a\nFROM\n  w\n",
    ),
    # Expressions: || is concat(); unary minus; decimal and double
    # literals; if/coalesce/nullif/try nodes; CASE in parentheses.
    (
        "select x || y || z, -1, -a, 1.5, 1e3, coalesce(a, b), nullif(a, 0), try(a), if(a > 1, 'y', 'n'),"
        " case when a then 1 else 2 end from t",
        "SELECT\n  concat(concat(x, y), z)\n, -1\n, -(a)\n, DECIMAL '1.5'\n, 1E3\n, COALESCE(a, b)\n, NULLIF(a, 0)\n"
        ", TRY(a)\n, IF((a > 1), 'y', 'n')\n, (CASE WHEN a THEN 1 ELSE 2 END)\nFROM\n  t\n",
    ),
    (
        "select x not in (1,2), x not like 'a%', x between 1 and 2, x is null, not x, cast(x as varchar), "
        "try_cast(x as DECIMAL(10,2)), date '2024-01-01', timestamp '2024-01-01 00:00:00', current_date from t",
        "SELECT\n  (NOT (x IN (1, 2)))\n, (NOT (x LIKE 'a%'))\n, (x BETWEEN 1 AND 2)\n, (x IS NULL)\n, (NOT x)\n"
        ", CAST(x AS varchar)\n, TRY_CAST(x AS DECIMAL(10, 2))\n, date '2024-01-01'\n, TIMESTAMP '2024-01-01 00:00:00'\n"
        ", current_date\nFROM\n  t\n",
    ),
    (
        "select array[1, 2], row(1, 2), transform(a, x -> x + 1), a[1], trim(s), substring(s from 2 for 3), "
        "position('a' in s), extract(year from d), interval '1' day from t cross join unnest(arr) as u(v)",
        "SELECT\n  ARRAY[1,2]\n, ROW (1, 2)\n, transform(a, (x) -> (x + 1))\n, a[1]\n, trim(BOTH FROM s)\n, substr(s, 2, 3)\n"
        ", strpos(s, 'a')\n, EXTRACT(YEAR FROM d)\n, INTERVAL  '1' DAY\nFROM\n  (t\nCROSS JOIN UNNEST(arr) u (v))\n",
    ),
    # Window functions.
    (
        "select row_number() over (partition by a order by b desc rows between unbounded preceding and current row) rn from t",
        "SELECT row_number() OVER (PARTITION BY a ORDER BY b DESC ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) rn\nFROM\n  t\n",
    ),
    # Set operations: the keyword follows the previous query's last newline.
    ("select a from t union all select b from u", "SELECT a\nFROM\n  t\nUNION ALL SELECT b\nFROM\n  u\n"),
    ("select a from t union select b from u", "SELECT a\nFROM\n  t\nUNION SELECT b\nFROM\n  u\n"),
    # Select DISTINCT and qualified stars.
    ("select distinct t.*, 1 from t", "SELECT DISTINCT\n  t.*\n, 1\nFROM\n  t\n"),
]


@pytest.mark.parametrize("sql,expected", CASES)
def test_trino_formatting(sql, expected):
    assert format_query(sql) == expected


@pytest.mark.parametrize("sql,expected", CASES)
def test_formatting_is_idempotent(sql, expected):
    # Trino's getFormattedSql checks that the text parses back to the same
    # tree; formatting the stored text again must change nothing.
    assert format_query(expected) == expected


def test_literals():
    assert format_string_literal("it's") == "'it''s'"
    assert format_string_literal("caf\u00e9") == "U&'caf\\00E9'"
    assert format_double("1e3") == "1E3"
    assert format_double("2.5e-3") == "2.5E-3"
    assert format_double("0e0") == "0E0"
    assert format_query("select 007, 'a''b' from t") == "SELECT\n  7\n, 'a''b'\nFROM\n  t\n"


def test_unknown_sql_falls_back_to_a_normalized_rewrite():
    with pytest.raises(FormatError):
        format_query("select a from t tablesample bernoulli (10)")
    stored = stored_view_sql("select a   from t tablesample bernoulli (10)")
    assert stored.startswith("SELECT a FROM t") and stored.endswith("\n")


def test_a_view_on_a_formatted_view_with_trim_is_analysed():
    """Trino stores ``trim(k)`` as ``trim(BOTH FROM k)``; the FROM inside
    the call is not a table reference, so a view reading that view is not
    refused as reading a missing table ``k``."""
    from twh_emulator import sql, trino_format

    stored = trino_format.stored_view_sql("SELECT lower(trim(email)) AS email FROM customers")
    assert "trim(BOTH FROM email)" in stored
    assert [n.parts for n in sql.referenced_tables(sql.tokenize(stored))] == [["customers"]]
    q = "SELECT extract(year FROM d) y FROM (SELECT * FROM a JOIN b ON a.x = b.x) s"
    assert [n.parts for n in sql.referenced_tables(sql.tokenize(q))] == [["a"], ["b"]]
