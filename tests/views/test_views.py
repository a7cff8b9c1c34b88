"""The Ticket Warehouse views and data checks (resources/) run on a real SQL
engine: each statement is parsed as Trino SQL (Athena's dialect), transpiled
to DuckDB with sqlglot and run on a small fixture built to catch the old
estate's bugs: an order paid in two Stripe charges (fan-out), order-level fees
beside per-ticket fees (double counting), a refunded ticket, an orphaned order.

    python3 -m venv /tmp/views && /tmp/views/bin/pip install -r tests/views/requirements.txt
    /tmp/views/bin/python -m pytest -q tests/views
"""

from __future__ import annotations

import glob
import json
import os
from decimal import Decimal

import duckdb
import pytest
import sqlglot

REPO = os.path.join(os.path.dirname(__file__), "..", "..")
ROOT = os.path.join(REPO, "resources")

# Trino's transform_keys has no DuckDB function; this is the same thing.
TRANSFORM_KEYS = "TRANSFORM_KEYS(lineitemfees, LAMBDA k, v : REGEXP_REPLACE(LOWER(TRIM(k)), '[^a-z0-9]+', '_', 'g'))"
DUCKDB_TRANSFORM_KEYS = (
    "map_from_entries(list_transform(map_entries(lineitemfees), lambda e: "
    "{'key': regexp_replace(lower(trim(e.key)), '[^a-z0-9]+', '_', 'g'), 'value': e.value}))"
)

FIXTURE = """
CREATE TABLE ticket_warehouse_events (id VARCHAR, name VARCHAR, created VARCHAR, start VARCHAR,
    organization_name VARCHAR, dt VARCHAR);
INSERT INTO ticket_warehouse_events VALUES
    ('e1', 'NYE Party', '2024-10-01 10:00:00', '2024-12-31 22:00:00', 'Marquee', '2024-10-01');
CREATE TABLE ticket_warehouse_orders (id VARCHAR, event_id VARCHAR, created VARCHAR, status VARCHAR,
    email VARCHAR, first_name VARCHAR, last_name VARCHAR, phone VARCHAR, opted_in VARCHAR,
    opted_in_sms VARCHAR, total_paid VARCHAR, lineitemfees MAP(VARCHAR, VARCHAR), dt VARCHAR);
INSERT INTO ticket_warehouse_orders VALUES
    ('o1', 'e1', '2024-11-01 10:00:00', 'paid', ' Pat@Example.com', 'Pat', 'Old', '1', '0', '0', '218.00',
     MAP {'Surcharge': '10.00', 'LET Tax': '8.00'}, '2024-11-01'),
    ('o2', 'e1', '2024-11-02T10:00:00Z', 'paid', 'pat@example.com', 'Pat', 'New', '2', '1', '0', '53.50',
     MAP {'Surcharge': '2.50', 'Admin Fee (not a gratuity)': '1.00'}, '2024-11-02'),
    ('o3', 'e404', '2024-11-03 10:00:00', 'paid', 'x@example.com', 'X', 'Y', '3', '1', '1', '10.00', NULL, '2024-11-03');
CREATE TABLE ticket_warehouse_tickets (id VARCHAR, order_id VARCHAR, event_id VARCHAR, ticket_type_id VARCHAR,
    attendee_name VARCHAR, redeemed VARCHAR, promo_code VARCHAR, status VARCHAR, price VARCHAR,
    lineitemfees MAP(VARCHAR, VARCHAR), dt VARCHAR);
INSERT INTO ticket_warehouse_tickets VALUES
    ('t1', 'o1', 'e1', 'tt1', 'Ann', NULL, NULL, NULL, '100.00', MAP {'Surcharge': '5.00', 'LET Tax': '4.00'}, '2024-11-01'),
    ('t2', 'o1', 'e1', 'tt1', 'Bob', NULL, NULL, NULL, '100.00', MAP {'Surcharge': '5.00', 'LET Tax': '4.00'}, '2024-11-01'),
    ('t3', 'o2', 'e1', 'tt1', 'Cy', NULL, NULL, 'refunded', '50.00',
     MAP {'Surcharge': '2.50', 'Admin Fee (not a gratuity)': '1.00'}, '2024-11-02');
CREATE TABLE ticket_warehouse_ticket_types (id VARCHAR, event_id VARCHAR, name VARCHAR, price VARCHAR, dt VARCHAR);
INSERT INTO ticket_warehouse_ticket_types VALUES ('tt1', 'e1', 'General Admission', '100.00', '2024-10-01');
CREATE TABLE ticket_warehouse_stripe_charges (id VARCHAR, created BIGINT, status VARCHAR, payment_intent VARCHAR,
    metadata MAP(VARCHAR, VARCHAR), deleted BOOLEAN, deleted_at BIGINT, dt VARCHAR);
INSERT INTO ticket_warehouse_stripe_charges VALUES
    ('ch1', 1, 'succeeded', 'pi_a', MAP {'order_id': 'o1'}, NULL, NULL, '2024-11-01'),
    ('ch2', 2, 'succeeded', 'pi_b', MAP {'order_id': 'o1'}, false, NULL, '2024-11-01'),
    ('ch3', 3, 'failed', 'pi_c', MAP {'order_id': 'o2'}, NULL, NULL, '2024-11-02'),
    -- A tombstone (twh-extract lands a deleted Stripe object with deleted = true):
    -- the newest succeeded charge of o1, so counting it would change o1's payment.
    ('ch4', 4, 'succeeded', 'pi_gone', MAP {'order_id': 'o1'}, true, 5, '2024-11-01');
"""


def resources(folder: str, root: str = ROOT) -> list[dict]:
    out = []
    for path in sorted(glob.glob(os.path.join(root, folder, "**", "*.json"), recursive=True)):
        if os.sep + "environments" + os.sep in path:
            continue
        with open(path) as f:
            doc = json.load(f)
        out.extend(doc.get("resources", [doc]))
    return out


def to_duckdb(trino_sql: str) -> str:
    sql = sqlglot.transpile(trino_sql, read="trino", write="duckdb")[0]
    return sql.replace(TRANSFORM_KEYS, DUCKDB_TRANSFORM_KEYS)


@pytest.fixture(scope="module")
def db() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(FIXTURE)
    views = {r["name"]: r for r in resources("athena/views")}
    created: set[str] = set()

    def create(name: str) -> None:
        # Views first after the views they depend on.
        for dep in views[name].get("depends_on", []):
            kind, _, other = dep.partition(".")
            if kind == "athena_view" and other not in created:
                create(other)
        con.execute(f"CREATE VIEW {name} AS {to_duckdb(views[name]['spec']['Sql'])}")
        created.add(name)

    for name in views:
        if name not in created:
            create(name)
    return con


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    cur = con.execute(sql)
    cols = [c[0] for c in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def test_every_statement_is_trino_sql():
    statements = [r["spec"]["Sql"] for r in resources("athena/views")] + [
        r["spec"]["Query"] for r in resources("checks")
    ]
    assert len(statements) == 13
    for sql in statements:
        sqlglot.parse_one(sql, read="trino")


def test_tickets_carry_their_own_fees_and_never_fan_out(db):
    t = {r["ticket_id"]: r for r in rows(db, "SELECT * FROM tickets")}
    # Two charges on o1 do not repeat its tickets; o3's event is missing.
    assert sorted(t) == ["t1", "t2", "t3"]
    # Per-ticket fees (5.00), not the order's (10.00) on every ticket.
    assert t["t1"]["surcharge"] == Decimal("5.00") and t["t1"]["let_tax"] == Decimal("4.00")
    assert t["t1"]["total"] == Decimal("109.00")
    assert t["t3"]["admin_fee"] == Decimal("1.00") and t["t3"]["total"] == Decimal("53.50")
    assert t["t1"]["stripe_payment_intent"] == "pi_b"  # the latest succeeded charge
    assert t["t3"]["stripe_payment_intent"] is None  # its only charge failed
    assert t["t1"]["ticket_type_name"] == "General Admission" and t["t1"]["ticket_holder_name"] == "Ann"
    # Sum of ticket totals = what the orders paid: nothing counted twice.
    assert sum(r["total"] for r in t.values()) == Decimal("218.00") + Decimal("53.50")


def test_stripe_tombstones_are_dropped(db):
    # twh-extract lands deleted Stripe objects as tombstones (deleted = true,
    # deleted_at); no view may count one as a live record.
    pay = {r["order_id"]: r for r in rows(db, "SELECT * FROM order_payments")}
    assert pay["o1"]["charges"] == 2 and pay["o1"]["payment_intent"] == "pi_b"
    assert pay["o1"]["charge_id"] == "ch2"
    for view in ("tickets", "orders"):
        intents = {r["stripe_payment_intent"] for r in rows(db, f"SELECT * FROM {view}")}
        assert "pi_gone" not in intents, view


def test_orders_count_tickets_and_order_fees_once(db):
    o = {r["order_id"]: r for r in rows(db, "SELECT * FROM orders")}
    assert sorted(o) == ["o1", "o2"]
    assert o["o1"]["quantity"] == 2 and o["o1"]["face_value_subtotal"] == Decimal("200.00")
    assert o["o1"]["surcharge"] == Decimal("10.00") and o["o1"]["let_tax"] == Decimal("8.00")
    assert o["o1"]["email"] == "pat@example.com"
    assert str(o["o2"]["ordered_at_utc"]) == "2024-11-02 10:00:00"  # ISO 8601 with T and Z read too


def test_marketing_contacts_one_row_per_buyer_and_event(db):
    m = rows(db, "SELECT * FROM marketing_contacts")
    assert len(m) == 1
    assert m[0]["email"] == "pat@example.com" and m[0]["orders"] == 2 and m[0]["tickets"] == 3
    assert m[0]["last_name"] == "New" and m[0]["opted_in"] == "1"  # the latest order's choices


def test_remittance_per_type_and_price_without_refunds(db):
    r = rows(db, "SELECT * FROM remittance")
    assert len(r) == 1, r  # t3 was refunded
    assert r[0]["price_per_ticket"] == Decimal("100.00") and r[0]["sold"] == 2
    assert r[0]["surcharge_total"] == Decimal("10.00") and r[0]["gross_total"] == Decimal("218.00")
    assert r[0]["event_details"] == "24/12/31 NYE Party"


def test_data_checks_find_exactly_the_planted_problems(db):
    found = {c["name"]: db.execute(to_duckdb(c["spec"]["Query"])).fetchall() for c in resources("checks")}
    assert found.pop("orphaned_orders") == [("o3", "e404", "2024-11-03")]
    assert all(v == [] for v in found.values()), found
    # And each check does fire on its problem (rolled back after).
    db.execute("BEGIN")
    try:
        db.execute("INSERT INTO ticket_warehouse_tickets VALUES ('t1', 'o9', NULL, NULL, NULL, NULL, NULL, NULL, '1', NULL, 'x')")
        again = {c["name"]: db.execute(to_duckdb(c["spec"]["Query"])).fetchall() for c in resources("checks")}
    finally:
        db.execute("ROLLBACK")
    assert [r[0] for r in again["duplicate_tickets"]] == ["t1"]
    assert again["orphaned_tickets"] == [("t1", "o9", "x")]
    assert again["null_keys"] == [("tickets", "x")]
    assert rows(db, "SELECT count(*) AS n FROM ticket_warehouse_tickets") == [{"n": 3}]


def test_every_estates_sql_is_trino_sql():
    # The root estate and every example: each view and data check parses.
    roots = [ROOT] + sorted(glob.glob(os.path.join(REPO, "examples", "*", "resources")))
    parsed = 0
    for root in roots:
        for r in resources("", root):
            sql = r["spec"].get("Sql") if r["type"] == "athena_view" else r["spec"].get("Query")
            if r["type"] in ("athena_view", "data_check"):
                sqlglot.parse_one(sql.replace("${env}", "dev"), read="trino")
                parsed += 1
    assert parsed >= 13 + 1 + 8, parsed  # root, chargebee, medallion


def test_chargebee_latest_snapshot_drops_subscriptions_deleted_in_their_latest_version():
    [view] = [r for r in resources("", os.path.join(REPO, "examples", "chargebee", "resources"))
              if r["type"] == "athena_view"]
    con = duckdb.connect()
    con.execute("""
        CREATE TABLE subscriptions (id VARCHAR, customer_id VARCHAR, plan_id VARCHAR, status VARCHAR,
            currency_code VARCHAR, mrr BIGINT, current_term_start BIGINT, current_term_end BIGINT,
            cancelled_at BIGINT, updated_at BIGINT, deleted BOOLEAN, dt VARCHAR);
        INSERT INTO subscriptions VALUES
            ('s1', 'c1', 'basic', 'active', 'USD', 100, 0, 10, NULL, 1, false, '2024-01-01'),
            ('s1', 'c1', 'pro', 'active', 'USD', 300, 0, 10, NULL, 5, NULL, '2024-01-05'),
            ('s2', 'c2', 'basic', 'active', 'USD', 100, 0, 10, NULL, 1, false, '2024-01-01'),
            ('s2', 'c2', 'basic', 'cancelled', 'USD', 0, 0, 10, 6, 6, true, '2024-01-06');
    """)
    got = rows(con, to_duckdb(view["spec"]["Sql"]))
    # s1: its latest version; s2: deleted in its latest version, so gone
    # (not resurrected from the version before the deletion).
    assert [(r["id"], r["plan_id"], r["mrr"]) for r in got] == [("s1", "pro", 300)]
