from __future__ import annotations

import base64
import json

import pytest
from botocore.exceptions import ClientError
from conftest import ACCOUNT, wait_for


def code(exc: pytest.ExceptionInfo) -> str:
    return exc.value.response["Error"]["Code"]


# --------------------------------------------------------------------------
# Workgroups


FULL_CONFIG = {
    "ResultConfiguration": {
        "OutputLocation": "s3://results/wg/",
        "EncryptionConfiguration": {"EncryptionOption": "SSE_S3"},
        "ExpectedBucketOwner": ACCOUNT,
        "AclConfiguration": {"S3AclOption": "BUCKET_OWNER_FULL_CONTROL"},
    },
    "EnforceWorkGroupConfiguration": True,
    "PublishCloudWatchMetricsEnabled": True,
    "BytesScannedCutoffPerQuery": 10_000_000,
    "EngineVersion": {"SelectedEngineVersion": "Athena engine version 3"},
}


def test_create_get_list_delete_workgroup(athena):
    athena.create_work_group(Name="analytics", Configuration=FULL_CONFIG, Description="d", Tags=[{"Key": "k", "Value": "v"}])
    wg = athena.get_work_group(WorkGroup="analytics")["WorkGroup"]
    assert wg["State"] == "ENABLED" and wg["Description"] == "d"
    assert wg["Configuration"]["ResultConfiguration"]["OutputLocation"] == "s3://results/wg/"
    assert wg["Configuration"]["EngineVersion"] == {
        "SelectedEngineVersion": "Athena engine version 3",
        "EffectiveEngineVersion": "Athena engine version 3",
    }
    again = athena.get_work_group(WorkGroup="analytics")["WorkGroup"]
    assert again["CreationTime"] == wg["CreationTime"], "CreationTime must be stable"
    names = [w["Name"] for w in athena.list_work_groups()["WorkGroups"]]
    assert names == ["primary", "analytics"]
    with pytest.raises(ClientError) as exc:
        athena.create_work_group(Name="analytics")
    assert code(exc) == "InvalidRequestException"
    athena.delete_work_group(WorkGroup="analytics")
    with pytest.raises(ClientError) as exc:
        athena.get_work_group(WorkGroup="analytics")
    assert code(exc) == "InvalidRequestException"
    with pytest.raises(ClientError) as exc:
        athena.delete_work_group(WorkGroup="primary")
    assert code(exc) == "InvalidRequestException"


def test_update_workgroup_is_a_patch_with_remove_flags(athena):
    athena.create_work_group(Name="wg", Configuration=FULL_CONFIG)
    athena.update_work_group(WorkGroup="wg", Description="new", ConfigurationUpdates={"PublishCloudWatchMetricsEnabled": False})
    wg = athena.get_work_group(WorkGroup="wg")["WorkGroup"]
    config = wg["Configuration"]
    assert wg["Description"] == "new"
    assert config["PublishCloudWatchMetricsEnabled"] is False
    # Everything not named in the update is untouched.
    assert config["BytesScannedCutoffPerQuery"] == 10_000_000
    assert config["ResultConfiguration"] == FULL_CONFIG["ResultConfiguration"]

    athena.update_work_group(
        WorkGroup="wg",
        ConfigurationUpdates={
            "RemoveBytesScannedCutoffPerQuery": True,
            "ResultConfigurationUpdates": {
                "RemoveEncryptionConfiguration": True,
                "RemoveExpectedBucketOwner": True,
                "RemoveAclConfiguration": True,
                "OutputLocation": "s3://results/other/",
            },
            "EngineVersion": {"SelectedEngineVersion": "AUTO"},
        },
    )
    config = athena.get_work_group(WorkGroup="wg")["WorkGroup"]["Configuration"]
    assert "BytesScannedCutoffPerQuery" not in config
    assert config["ResultConfiguration"] == {"OutputLocation": "s3://results/other/"}
    assert config["EngineVersion"] == {"SelectedEngineVersion": "AUTO", "EffectiveEngineVersion": "Athena engine version 3"}
    assert config["EnforceWorkGroupConfiguration"] is True

    athena.update_work_group(WorkGroup="wg", ConfigurationUpdates={"ResultConfigurationUpdates": {"RemoveOutputLocation": True}})
    assert athena.get_work_group(WorkGroup="wg")["WorkGroup"]["Configuration"]["ResultConfiguration"] == {}

    athena.update_work_group(WorkGroup="wg", State="DISABLED")
    assert athena.get_work_group(WorkGroup="wg")["WorkGroup"]["State"] == "DISABLED"
    with pytest.raises(ClientError) as exc:
        athena.update_work_group(WorkGroup="missing", Description="x")
    assert code(exc) == "InvalidRequestException"


def test_workgroup_tags(athena):
    athena.create_work_group(Name="wg", Tags=[{"Key": "a", "Value": "1"}])
    arn = f"arn:aws:athena:us-east-1:{ACCOUNT}:workgroup/wg"
    assert athena.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "a", "Value": "1"}]
    athena.tag_resource(ResourceARN=arn, Tags=[{"Key": "b", "Value": "2"}])
    athena.untag_resource(ResourceARN=arn, TagKeys=["a"])
    assert athena.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    untagged = f"arn:aws:athena:us-east-1:{ACCOUNT}:workgroup/primary"
    assert athena.list_tags_for_resource(ResourceARN=untagged)["Tags"] == []
    with pytest.raises(ClientError) as exc:
        athena.list_tags_for_resource(ResourceARN=f"arn:aws:athena:us-east-1:{ACCOUNT}:workgroup/nope")
    assert code(exc) == "ResourceNotFoundException"


def test_named_queries(athena):
    athena.create_work_group(Name="wg")
    qid = athena.create_named_query(Name="q", Database="db", QueryString="SELECT 1", WorkGroup="wg", ClientRequestToken="t" * 32)
    again = athena.create_named_query(Name="q", Database="db", QueryString="SELECT 1", WorkGroup="wg", ClientRequestToken="t" * 32)
    assert again["NamedQueryId"] == qid["NamedQueryId"], "ClientRequestToken makes create idempotent"
    athena.update_named_query(NamedQueryId=qid["NamedQueryId"], Name="q2", QueryString="SELECT 2")
    batch = athena.batch_get_named_query(NamedQueryIds=[qid["NamedQueryId"], "missing"])
    assert batch["NamedQueries"][0]["QueryString"] == "SELECT 2"
    assert batch["UnprocessedNamedQueryIds"][0]["NamedQueryId"] == "missing"
    with pytest.raises(ClientError) as exc:
        athena.delete_work_group(WorkGroup="wg")
    assert code(exc) == "InvalidRequestException"
    athena.delete_named_query(NamedQueryId=qid["NamedQueryId"])
    assert athena.list_named_queries(WorkGroup="wg")["NamedQueryIds"] == []


# --------------------------------------------------------------------------
# Queries


@pytest.fixture
def catalog(glue, s3, athena):
    s3.create_bucket(Bucket="results")
    athena.update_work_group(
        WorkGroup="primary", ConfigurationUpdates={"ResultConfigurationUpdates": {"OutputLocation": "s3://results/athena/"}}
    )
    glue.create_database(DatabaseInput={"Name": "sales"})
    glue.create_table(
        DatabaseName="sales",
        TableInput={
            "Name": "orders",
            "TableType": "EXTERNAL_TABLE",
            "PartitionKeys": [{"Name": "dt", "Type": "string"}],
            "StorageDescriptor": {
                "Columns": [
                    {"Name": "order_id", "Type": "bigint"},
                    {"Name": "customer", "Type": "string"},
                    {"Name": "amount", "Type": "double"},
                    {"Name": "items", "Type": "array<struct<sku:string,qty:int>>"},
                ],
                "Location": "s3://lake/orders/",
            },
        },
    )
    return glue


def run(athena, sql: str, database: str | None = "sales") -> dict:
    kwargs = {"QueryString": sql}
    if database:
        kwargs["QueryExecutionContext"] = {"Database": database}
    qid = athena.start_query_execution(**kwargs)["QueryExecutionId"]
    return wait_for(
        lambda: athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"],
        lambda q: q["Status"]["State"] not in ("QUEUED", "RUNNING"),
    )


def decode_view(table: dict) -> dict:
    text = table["ViewOriginalText"]
    assert text.startswith("/* Presto View: ") and text.endswith(" */")
    return json.loads(base64.b64decode(text[len("/* Presto View: ") : -len(" */")]))


def test_create_view_writes_presto_view_into_glue(athena, catalog):
    select = "SELECT order_id, customer AS who, amount * 2 AS doubled, CAST(amount AS decimal(10,2)) exact, items, dt\nFROM sales.orders"
    q = run(athena, f"CREATE OR REPLACE VIEW sales.order_view AS {select}")
    assert q["Status"]["State"] == "SUCCEEDED", q["Status"]
    assert q["StatementType"] == "DDL"
    table = catalog.get_table(DatabaseName="sales", Name="order_view")["Table"]
    assert table["TableType"] == "VIRTUAL_VIEW"
    assert table["Parameters"] == {"presto_view": "true", "comment": "Presto View"}
    assert table["ViewExpandedText"] == "/* Presto View */"
    view = decode_view(table)
    # Stored as Trino's SqlFormatter prints the query, not as sent.
    assert view["originalSql"] == (
        "SELECT\n  order_id\n, customer who\n, (amount * 2) doubled\n, CAST(amount AS decimal(10, 2)) exact\n"
        ", items\n, dt\nFROM\n  sales.orders\n"
    )
    assert view["catalog"] == "awsdatacatalog" and view["schema"] == "sales"
    assert view["columns"] == [
        {"name": "order_id", "type": "bigint"},
        {"name": "who", "type": "varchar"},
        {"name": "doubled", "type": "varchar"},
        {"name": "exact", "type": "decimal(10,2)"},
        {"name": "items", "type": "array(row(sku varchar, qty integer))"},
        {"name": "dt", "type": "varchar"},
    ]
    # Glue columns carry the Hive spelling of the same types.
    assert [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]] == [
        ("order_id", "bigint"),
        ("who", "string"),
        ("doubled", "string"),
        ("exact", "decimal(10,2)"),
        ("items", "array<struct<sku:string,qty:int>>"),
        ("dt", "string"),
    ]

    # OR REPLACE replaces in place (a new table version).
    run(athena, "CREATE OR REPLACE VIEW sales.order_view AS SELECT * FROM orders")
    table = catalog.get_table(DatabaseName="sales", Name="order_view")["Table"]
    assert decode_view(table)["originalSql"] == "SELECT *\nFROM\n  orders\n"
    assert [c["name"] for c in decode_view(table)["columns"]] == ["order_id", "customer", "amount", "items", "dt"]
    assert table["VersionId"] == "2"


def test_unqualified_view_uses_context_database(athena, catalog):
    q = run(athena, "CREATE VIEW recent AS SELECT customer FROM orders WHERE dt > '2024-01-01';")
    assert q["Status"]["State"] == "SUCCEEDED"
    view = decode_view(catalog.get_table(DatabaseName="sales", Name="recent")["Table"])
    assert view["originalSql"] == "SELECT customer\nFROM\n  orders\nWHERE (dt > '2024-01-01')\n"
    # CREATE VIEW without OR REPLACE on an existing view fails.
    q = run(athena, "CREATE VIEW recent AS SELECT 1 AS one")
    assert q["Status"]["State"] == "FAILED"
    assert "already exists" in q["Status"]["StateChangeReason"]


def test_drop_view(athena, catalog):
    run(athena, "CREATE VIEW sales.v AS SELECT 1 AS one")
    assert run(athena, "DROP VIEW sales.v")["Status"]["State"] == "SUCCEEDED"
    with pytest.raises(ClientError):
        catalog.get_table(DatabaseName="sales", Name="v")
    assert run(athena, "DROP VIEW IF EXISTS sales.v")["Status"]["State"] == "SUCCEEDED"
    q = run(athena, "DROP VIEW sales.v")
    assert q["Status"]["State"] == "FAILED"
    assert q["Status"]["StateChangeReason"] == "VIEW_NOT_FOUND: line 1:1: View 'awsdatacatalog.sales.v' does not exist"


def test_failures_like_athena(athena, catalog):
    q = run(athena, "CREATE VIEW nodb.v AS SELECT 1 AS one")
    assert q["Status"]["State"] == "FAILED"
    assert "SCHEMA_NOT_FOUND" in q["Status"]["StateChangeReason"] and "'nodb'" in q["Status"]["StateChangeReason"]
    assert q["Status"]["AthenaError"]["ErrorCategory"] == 2

    q = run(athena, "SELECT * FROM missing_table")
    assert q["Status"]["StateChangeReason"] == "TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.sales.missing_table' does not exist"

    q = run(athena, "SELECT * FROM orders", database="nope")
    assert q["Status"]["StateChangeReason"].startswith("SCHEMA_NOT_FOUND: line 1:15: Schema 'nope'")

    q = run(athena, "CREATE VIEW sales.v2 AS SELECT * FROM sales.ghost")
    assert q["Status"]["State"] == "FAILED" and "TABLE_NOT_FOUND" in q["Status"]["StateChangeReason"]

    q = run(athena, "MSCK REPAIR TABLE orders")
    assert q["Status"]["State"] == "FAILED" and "NOT_SUPPORTED" in q["Status"]["StateChangeReason"]

    # Unparsable SQL is refused synchronously, as Athena does.
    with pytest.raises(ClientError) as exc:
        athena.start_query_execution(QueryString="SELEC 1", QueryExecutionContext={"Database": "sales"})
    assert code(exc) == "InvalidRequestException"
    assert exc.value.response["Error"]["Message"].startswith("line 1:1: mismatched input 'SELEC'")
    with pytest.raises(ClientError):
        athena.start_query_execution(QueryString="SELECT 1; SELECT 2")


def test_output_location_required_and_bucket_checked(athena, s3):
    with pytest.raises(ClientError) as exc:
        athena.start_query_execution(QueryString="SELECT 1")
    assert "No output location provided" in exc.value.response["Error"]["Message"]
    qid = athena.start_query_execution(QueryString="SELECT 1", ResultConfiguration={"OutputLocation": "s3://nobucket/x/"})[
        "QueryExecutionId"
    ]
    q = wait_for(lambda: athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"], lambda q: q["Status"]["State"] != "RUNNING")
    assert q["Status"]["State"] == "FAILED"
    assert q["Status"]["StateChangeReason"] == "Unable to verify/create output bucket nobucket"


def test_select_results_default_and_canned(emulator, athena, catalog, s3):
    q = run(athena, "SELECT customer, amount FROM orders")
    assert q["Status"]["State"] == "SUCCEEDED" and q["StatementType"] == "DML"
    assert q["ResultConfiguration"]["OutputLocation"] == f"s3://results/athena/{q['QueryExecutionId']}.csv"
    results = athena.get_query_results(QueryExecutionId=q["QueryExecutionId"])
    rows = results["ResultSet"]["Rows"]
    assert rows == [{"Data": [{"VarCharValue": "customer"}, {"VarCharValue": "amount"}]}], "header row only"
    assert [c["Type"] for c in results["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]] == ["varchar", "double"]

    emulator.control(
        "POST",
        "/_twh/athena/results",
        {
            "sql_contains": "from   ORDERS where",
            "columns": ["customer", {"Name": "n", "Type": "bigint"}],
            "rows": [["ann", "3"], ["bob", None]],
        },
    )
    q = run(athena, "SELECT customer, count(*) n FROM orders WHERE dt = '2024-01-01' GROUP BY 1")
    results = athena.get_query_results(QueryExecutionId=q["QueryExecutionId"])
    rows = [[d.get("VarCharValue") for d in r["Data"]] for r in results["ResultSet"]["Rows"]]
    assert rows == [["customer", "n"], ["ann", "3"], ["bob", None]]
    page = athena.get_query_results(QueryExecutionId=q["QueryExecutionId"], MaxResults=2)
    assert len(page["ResultSet"]["Rows"]) == 2 and "NextToken" in page
    # Athena also writes the result to S3.
    body = s3.get_object(Bucket="results", Key=f"athena/{q['QueryExecutionId']}.csv")["Body"].read().decode()
    assert body.splitlines()[0] == '"customer","n"'

    emulator.control("POST", "/_twh/athena/results", {"sql_contains": "boom", "state": "FAILED", "reason": "GENERIC_INTERNAL_ERROR: boom"})
    q = run(athena, "SELECT 'boom' AS x")
    assert q["Status"]["State"] == "FAILED" and q["Status"]["StateChangeReason"] == "GENERIC_INTERNAL_ERROR: boom"
    with pytest.raises(ClientError) as exc:
        athena.get_query_results(QueryExecutionId=q["QueryExecutionId"])
    assert code(exc) == "InvalidRequestException"


def test_query_states_and_stop(emulator, athena, catalog):
    emulator.control("POST", "/_twh/config", {"query_seconds": 5})
    qid = athena.start_query_execution(QueryString="SELECT 1", ClientRequestToken="x" * 32)["QueryExecutionId"]
    assert athena.start_query_execution(QueryString="SELECT 1", ClientRequestToken="x" * 32)["QueryExecutionId"] == qid
    assert athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]["State"] == "RUNNING"
    with pytest.raises(ClientError) as exc:
        athena.get_query_results(QueryExecutionId=qid)
    assert "has not yet finished" in exc.value.response["Error"]["Message"]
    athena.stop_query_execution(QueryExecutionId=qid)
    assert athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]["State"] == "CANCELLED"
    assert athena.list_query_executions()["QueryExecutionIds"] == [qid]


def test_database_ddl(athena, glue, catalog):
    assert (
        run(athena, "CREATE DATABASE IF NOT EXISTS staging COMMENT 'stage' LOCATION 's3://lake/staging/'")["Status"]["State"] == "SUCCEEDED"
    )
    db = glue.get_database(Name="staging")["Database"]
    assert db["Description"] == "stage" and db["LocationUri"] == "s3://lake/staging/"
    assert run(athena, "CREATE DATABASE staging")["Status"]["State"] == "FAILED"
    assert run(athena, "DROP DATABASE sales")["Status"]["State"] == "FAILED"  # not empty
    assert run(athena, "DROP DATABASE staging")["Status"]["State"] == "SUCCEEDED"
    assert run(athena, "DROP SCHEMA IF EXISTS staging")["Status"]["State"] == "SUCCEEDED"


def test_catalog_metadata_comes_from_glue(athena, catalog):
    assert [d["Name"] for d in athena.list_databases(CatalogName="AwsDataCatalog")["DatabaseList"]] == ["sales"]
    assert athena.get_database(CatalogName="AwsDataCatalog", DatabaseName="sales")["Database"]["Name"] == "sales"
    run(athena, "CREATE VIEW v AS SELECT customer FROM orders")
    meta = athena.get_table_metadata(CatalogName="AwsDataCatalog", DatabaseName="sales", TableName="v")["TableMetadata"]
    assert meta["TableType"] == "VIRTUAL_VIEW" and meta["Columns"] == [{"Name": "customer", "Type": "string"}]
    names = [t["Name"] for t in athena.list_table_metadata(CatalogName="AwsDataCatalog", DatabaseName="sales")["TableMetadataList"]]
    assert names == ["orders", "v"]
    with pytest.raises(ClientError) as exc:
        athena.get_database(CatalogName="AwsDataCatalog", DatabaseName="nope")
    assert code(exc) == "MetadataException"


def test_view_columns_through_subqueries_and_with(athena, catalog):
    sql = (
        "WITH big AS (SELECT order_id, amount FROM orders WHERE amount > 10) "
        "SELECT b.order_id, s.total, 'x' AS tag, count(*) AS n "
        "FROM big b JOIN (SELECT customer, amount AS total FROM sales.orders) s ON true"
    )
    q = run(athena, f"CREATE VIEW sales.mixed AS {sql}")
    assert q["Status"]["State"] == "SUCCEEDED", q["Status"]
    view = decode_view(catalog.get_table(DatabaseName="sales", Name="mixed")["Table"])
    assert view["originalSql"] == (
        "WITH\n  big AS (\n   SELECT\n     order_id\n   , amount\n   FROM\n     orders\n   WHERE (amount > 10)\n) \n"
        "SELECT\n  b.order_id\n, s.total\n, 'x' tag\n, count(*) n\nFROM\n  (big b\nINNER JOIN (\n   SELECT\n     customer\n"
        "   , amount total\n   FROM\n     sales.orders\n)  s ON true)\n"
    )
    assert view["columns"] == [
        {"name": "order_id", "type": "bigint"},
        {"name": "total", "type": "double"},
        {"name": "tag", "type": "varchar(1)"},
        {"name": "n", "type": "bigint"},
    ]
    q = run(athena, "CREATE VIEW sales.bad AS WITH x AS (SELECT * FROM sales.nothing) SELECT * FROM x")
    assert q["Status"]["State"] == "FAILED" and "TABLE_NOT_FOUND" in q["Status"]["StateChangeReason"]


def test_with_queries_read_earlier_ones(athena, catalog):
    # Trino resolves a WITH query named in a later one (and in subqueries).
    sql = (
        "WITH big AS (SELECT order_id, amount FROM orders WHERE amount > 10), "
        "ranked AS (SELECT big.*, 1 AS r FROM big) "
        "SELECT x.order_id, x.r FROM (SELECT * FROM ranked) x"
    )
    q = run(athena, f"CREATE VIEW sales.chained AS {sql}")
    assert q["Status"]["State"] == "SUCCEEDED", q["Status"]
    view = decode_view(catalog.get_table(DatabaseName="sales", Name="chained")["Table"])
    assert view["columns"] == [{"name": "order_id", "type": "bigint"}, {"name": "r", "type": "integer"}]
    # A WITH query named like a table reads the table, not itself.
    q = run(athena, "CREATE VIEW sales.shadow AS WITH orders AS (SELECT order_id FROM orders) SELECT * FROM orders")
    assert q["Status"]["State"] == "SUCCEEDED", q["Status"]
    view = decode_view(catalog.get_table(DatabaseName="sales", Name="shadow")["Table"])
    assert view["columns"] == [{"name": "order_id", "type": "bigint"}]


def test_view_comment_is_kept_in_the_view_definition(athena, catalog):
    q = run(athena, "CREATE OR REPLACE VIEW sales.commented COMMENT 'Buyer''s orders' AS SELECT order_id FROM orders")
    assert q["Status"]["State"] == "SUCCEEDED", q["Status"]
    view = decode_view(catalog.get_table(DatabaseName="sales", Name="commented")["Table"])
    assert view["comment"] == "Buyer's orders"
    run(athena, "CREATE OR REPLACE VIEW sales.commented AS SELECT order_id FROM orders")
    assert "comment" not in decode_view(catalog.get_table(DatabaseName="sales", Name="commented")["Table"])


def test_type_spelling_round_trip():
    from twh_emulator import sql

    for hive, presto in [
        ("string", "varchar"),
        ("int", "integer"),
        ("float", "real"),
        ("decimal(10,2)", "decimal(10,2)"),
        ("array<string>", "array(varchar)"),
        ("map<string,bigint>", "map(varchar, bigint)"),
        ("struct<a:int,b:array<string>>", "row(a integer, b array(varchar))"),
    ]:
        assert sql.hive_to_presto(hive) == presto
        assert sql.presto_to_hive(presto) == hive


# --------------------------------------------------------------------------
# Views as Athena (Trino) keeps them


VIEW_BODIES = [
    "SELECT order_id, customer AS who, amount * 2 AS doubled, CAST(amount AS decimal(10,2)) exact, items, dt FROM sales.orders",
    "SELECT customer, count(*) AS n, 1.5 AS ratio, DATE '2024-01-01' AS d FROM orders WHERE dt > '2024-01-01' GROUP BY customer",
    "WITH big AS (SELECT order_id, amount FROM orders WHERE amount > 10) "
    "SELECT b.order_id, s.total, 'x' AS tag FROM big b JOIN (SELECT customer, amount AS total FROM sales.orders) s ON true",
    "SELECT o.order_id, p.order_id AS other FROM orders o LEFT JOIN orders p ON o.order_id = p.order_id, orders q",
    "SELECT (order_id), customer || '!' AS shout FROM orders UNION ALL SELECT order_id, customer FROM orders",
]


@pytest.mark.parametrize("body", VIEW_BODIES)
def test_stored_view_sql_is_rewritten_and_still_reads_the_same(athena, catalog, body):
    q = run(athena, f"CREATE VIEW sales.v AS {body}")
    assert q["Status"]["State"] == "SUCCEEDED", q["Status"]
    view = decode_view(catalog.get_table(DatabaseName="sales", Name="v")["Table"])
    stored = view["originalSql"]
    assert stored != body and stored.startswith(("SELECT", "WITH")) and stored.endswith("\n")
    # Querying the view analyses the stored (formatted) text again: it must
    # give the columns derived from the text that was sent, or the view
    # would be stale.
    q = run(athena, "SELECT * FROM sales.v")
    assert q["Status"]["State"] == "SUCCEEDED", q["Status"]
    meta = athena.get_query_results(QueryExecutionId=q["QueryExecutionId"])["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
    assert [c["Name"] for c in meta] == [c["name"] for c in view["columns"]]


def test_create_view_over_an_existing_view_or_table_fails_like_trino(athena, catalog):
    assert run(athena, "CREATE VIEW sales.v AS SELECT 1 AS one")["Status"]["State"] == "SUCCEEDED"
    q = run(athena, "CREATE VIEW sales.v AS SELECT 2 AS two")
    assert q["Status"]["State"] == "FAILED"
    assert q["Status"]["StateChangeReason"] == "TABLE_ALREADY_EXISTS: line 1:1: View already exists: 'awsdatacatalog.sales.v'"
    q = run(athena, "CREATE VIEW sales.orders AS SELECT 2 AS two")
    assert q["Status"]["StateChangeReason"] == "TABLE_ALREADY_EXISTS: line 1:1: Table already exists: 'awsdatacatalog.sales.orders'"
    assert run(athena, "CREATE OR REPLACE VIEW sales.v AS SELECT 2 AS two")["Status"]["State"] == "SUCCEEDED"


def _orders_input(columns):
    return {
        "Name": "orders",
        "TableType": "EXTERNAL_TABLE",
        "PartitionKeys": [{"Name": "dt", "Type": "string"}],
        "StorageDescriptor": {"Columns": [{"Name": n, "Type": t} for n, t in columns], "Location": "s3://lake/orders/"},
    }


def test_views_go_stale_when_their_tables_change(athena, catalog):
    assert run(athena, "CREATE VIEW sales.ids AS SELECT order_id, customer FROM orders")["Status"]["State"] == "SUCCEEDED"
    assert run(athena, "CREATE VIEW sales.everything AS SELECT * FROM orders")["Status"]["State"] == "SUCCEEDED"
    assert run(athena, "SELECT * FROM sales.ids")["Status"]["State"] == "SUCCEEDED"

    # A column's type changes (bigint -> string): not coercible to the stored type.
    catalog.update_table(DatabaseName="sales", TableInput=_orders_input([("order_id", "string"), ("customer", "string"), ("amount", "double")]))
    q = run(athena, "SELECT * FROM sales.ids")
    assert q["Status"]["State"] == "FAILED"
    assert q["Status"]["StateChangeReason"] == (
        "VIEW_IS_STALE: line 1:15: View 'awsdatacatalog.sales.ids' is stale or in invalid state: column [order_id] of type varchar "
        "projected from query view at position 0 cannot be coerced to column [order_id] of type bigint stored in view definition"
    )
    # SELECT * over a table that lost a column: the column count differs.
    q = run(athena, "SELECT * FROM sales.everything")
    assert q["Status"]["StateChangeReason"].startswith("VIEW_IS_STALE: line 1:15: View 'awsdatacatalog.sales.everything' is stale")
    assert "stored view column count (5) does not match column count derived from the view query analysis (4)" in q["Status"]["StateChangeReason"]
    # Re-creating the view clears it.
    assert run(athena, "CREATE OR REPLACE VIEW sales.ids AS SELECT order_id, customer FROM orders")["Status"]["State"] == "SUCCEEDED"
    assert run(athena, "SELECT * FROM sales.ids")["Status"]["State"] == "SUCCEEDED"
    # A widening change (int -> bigint) is a coercion Trino allows.
    run(athena, "CREATE OR REPLACE VIEW sales.narrow AS SELECT CAST(amount AS integer) AS a FROM orders")
    catalog.update_table(DatabaseName="sales", TableInput=_orders_input([("order_id", "bigint"), ("amount", "double")]))
    assert run(athena, "SELECT * FROM sales.narrow")["Status"]["State"] == "SUCCEEDED"
    # The table the view reads is gone.
    catalog.delete_table(DatabaseName="sales", Name="orders")
    q = run(athena, "SELECT * FROM sales.ids")
    assert q["Status"]["StateChangeReason"].startswith("INVALID_VIEW: line 1:15: Failed analyzing stored view 'awsdatacatalog.sales.ids': ")
    assert "Table 'awsdatacatalog.sales.orders' does not exist" in q["Status"]["StateChangeReason"]


def test_workgroup_defaults_athena_fills(athena):
    athena.create_work_group(Name="bare")
    config = athena.get_work_group(WorkGroup="bare")["WorkGroup"]["Configuration"]
    assert config["EnforceWorkGroupConfiguration"] is True
    assert config["PublishCloudWatchMetricsEnabled"] is True
    assert config["RequesterPaysEnabled"] is False
    assert config["EngineVersion"] == {"SelectedEngineVersion": "AUTO", "EffectiveEngineVersion": "Athena engine version 3"}
    assert "EnableMinimumEncryptionConfiguration" not in config, "a moto default AWS does not show"
    athena.create_work_group(Name="partial", Configuration={"ResultConfiguration": {"OutputLocation": "s3://r/"}})
    config = athena.get_work_group(WorkGroup="partial")["WorkGroup"]["Configuration"]
    assert config["RequesterPaysEnabled"] is False and config["EngineVersion"]["SelectedEngineVersion"] == "AUTO"
    assert "PublishCloudWatchMetricsEnabled" not in config
    with pytest.raises(ClientError) as exc:
        athena.create_work_group(Name="tagless", Tags=[])
    assert exc.value.response["Error"]["Message"] == "Tags provided upon WorkGroup creation must not be empty"


def test_query_execution_context_names_the_catalog(athena, catalog):
    q = run(athena, "SELECT 1")
    assert q["QueryExecutionContext"] == {"Database": "sales", "Catalog": "awsdatacatalog"}
