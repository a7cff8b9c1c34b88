from __future__ import annotations

import gzip
import json

import pytest
from botocore.exceptions import ClientError
from conftest import ACCOUNT, wait_for

ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/service-role/GlueCrawlerRole"


def ndjson_gz(records: list[dict]) -> bytes:
    return gzip.compress(b"\n".join(json.dumps(r).encode() for r in records) + b"\n")


def code(exc: pytest.ExceptionInfo) -> str:
    return exc.value.response["Error"]["Code"]


# --------------------------------------------------------------------------
# Crawlers


def make_crawler(glue, **overrides) -> None:
    args = {
        "Name": "events",
        "Role": ROLE_ARN,
        "DatabaseName": "raw",
        "Targets": {"S3Targets": [{"Path": "s3://lake/raw/events/"}]},
    }
    args.update(overrides)
    glue.create_crawler(**args)


def test_get_crawler_echoes_aws_defaults_and_role_name(glue):
    make_crawler(glue)
    crawler = glue.get_crawler(Name="events")["Crawler"]
    assert crawler["Role"] == "service-role/GlueCrawlerRole"
    assert crawler["SchemaChangePolicy"] == {"UpdateBehavior": "UPDATE_IN_DATABASE", "DeleteBehavior": "DEPRECATE_IN_DATABASE"}
    assert crawler["RecrawlPolicy"] == {"RecrawlBehavior": "CRAWL_EVERYTHING"}
    assert crawler["LineageConfiguration"] == {"CrawlerLineageSettings": "DISABLE"}
    assert crawler["LakeFormationConfiguration"] == {"UseLakeFormationCredentials": False, "AccountId": ""}
    assert crawler["Targets"]["S3Targets"] == [{"Path": "s3://lake/raw/events/", "Exclusions": []}]
    assert crawler["Targets"]["JdbcTargets"] == []
    assert crawler["State"] == "READY"
    assert crawler["Version"] == 1
    assert "LastCrawl" not in crawler and "Schedule" not in crawler


def test_role_given_as_name_stays_a_name(glue):
    make_crawler(glue, Role="PlainRole")
    assert glue.get_crawler(Name="events")["Crawler"]["Role"] == "PlainRole"


def test_batch_get_crawlers_and_get_crawlers(glue):
    make_crawler(glue)
    make_crawler(glue, Name="second", Schedule="cron(0 1 * * ? *)")
    batch = glue.batch_get_crawlers(CrawlerNames=["events", "second", "missing"])
    assert [c["Name"] for c in batch["Crawlers"]] == ["events", "second"]
    assert batch["CrawlersNotFound"] == ["missing"]
    assert all(c["Role"] == "service-role/GlueCrawlerRole" for c in batch["Crawlers"])
    assert batch["Crawlers"][1]["Schedule"] == {"ScheduleExpression": "cron(0 1 * * ? *)", "State": "SCHEDULED"}
    first = glue.get_crawlers(MaxResults=1)
    assert len(first["Crawlers"]) == 1 and "NextToken" in first
    second = glue.get_crawlers(MaxResults=1, NextToken=first["NextToken"])
    assert [c["Name"] for c in second["Crawlers"]] == ["second"] and "NextToken" not in second
    assert second["Crawlers"][0]["RecrawlPolicy"] == {"RecrawlBehavior": "CRAWL_EVERYTHING"}


def test_update_crawler_patches_and_clears(glue):
    make_crawler(glue, Schedule="cron(0 1 * * ? *)", TablePrefix="p_", Configuration='{"Version":1.0}')
    glue.update_crawler(
        Name="events",
        Description="nightly",
        Schedule="",
        TablePrefix="",
        SchemaChangePolicy={"UpdateBehavior": "LOG", "DeleteBehavior": "LOG"},
        LakeFormationConfiguration={"UseLakeFormationCredentials": True, "AccountId": ACCOUNT},
    )
    crawler = glue.get_crawler(Name="events")["Crawler"]
    assert crawler["Description"] == "nightly"
    assert "Schedule" not in crawler and "TablePrefix" not in crawler
    assert crawler["Configuration"] == '{"Version":1.0}'  # absent from the update: kept
    assert crawler["SchemaChangePolicy"] == {"UpdateBehavior": "LOG", "DeleteBehavior": "LOG"}
    assert crawler["LakeFormationConfiguration"] == {"UseLakeFormationCredentials": True, "AccountId": ACCOUNT}
    assert crawler["Version"] == 2
    assert crawler["LastUpdated"] >= crawler["CreationTime"]


def test_update_crawler_errors(glue):
    with pytest.raises(ClientError) as exc:
        glue.update_crawler(Name="nope", Description="x")
    assert code(exc) == "EntityNotFoundException"
    make_crawler(glue)
    with pytest.raises(ClientError) as exc:
        glue.update_crawler(Name="events", RecrawlPolicy={"RecrawlBehavior": "CRAWL_NEW_FOLDERS_ONLY"})
    assert code(exc) == "InvalidInputException"
    assert '"Crawl new folders only"' in exc.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as exc:
        make_crawler(glue)
    assert code(exc) == "AlreadyExistsException"


def seed_events(s3) -> None:
    s3.create_bucket(Bucket="lake")
    s3.put_object(
        Bucket="lake",
        Key="raw/events/dt=2024-01-01/part-0000.json.gz",
        Body=ndjson_gz([{"id": 1, "name": "a", "amount": 1.5, "tags": ["x"]}, {"id": 2, "name": "b", "amount": 2, "extra": {"k": True}}]),
    )
    s3.put_object(Bucket="lake", Key="raw/events/dt=2024-01-02/part-0000.json.gz", Body=ndjson_gz([{"id": 3, "name": "c", "amount": 3.0}]))
    s3.put_object(Bucket="lake", Key="raw/events/dt=2024-01-02/_SUCCESS", Body=b"")


def test_crawl_creates_partitioned_table_from_gzipped_ndjson(glue, s3, emulator):
    seed_events(s3)
    glue.create_database(DatabaseInput={"Name": "raw"})
    make_crawler(glue)
    # Long enough that the second StartCrawler below still finds it running
    # on a loaded machine (0.3 s did not, under a load of 18).
    emulator.control("POST", "/_twh/config", {"crawl_seconds": 3})
    glue.start_crawler(Name="events")
    assert glue.get_crawler(Name="events")["Crawler"]["State"] == "RUNNING"
    with pytest.raises(ClientError) as exc:
        glue.start_crawler(Name="events")
    assert code(exc) == "CrawlerRunningException"
    crawler = wait_for(lambda: glue.get_crawler(Name="events")["Crawler"], lambda c: c["State"] == "READY")
    assert crawler["LastCrawl"]["Status"] == "SUCCEEDED"

    table = glue.get_table(DatabaseName="raw", Name="events")["Table"]
    assert table["TableType"] == "EXTERNAL_TABLE"
    assert table["PartitionKeys"] == [{"Name": "dt", "Type": "string"}]
    columns = {c["Name"]: c["Type"] for c in table["StorageDescriptor"]["Columns"]}
    assert columns == {"id": "int", "name": "string", "amount": "double", "tags": "array<string>", "extra": "struct<k:boolean>"}
    assert table["StorageDescriptor"]["Location"] == "s3://lake/raw/events/"
    assert table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"] == "org.openx.data.jsonserde.JsonSerDe"
    assert table["Parameters"]["classification"] == "json"
    assert table["Parameters"]["compressionType"] == "gzip"
    assert table["Parameters"]["UPDATED_BY_CRAWLER"] == "events"
    assert table["IsRegisteredWithLakeFormation"] is False

    partitions = glue.get_partitions(DatabaseName="raw", TableName="events")["Partitions"]
    assert sorted(p["Values"] for p in partitions) == [["2024-01-01"], ["2024-01-02"]]
    locations = sorted(p["StorageDescriptor"]["Location"] for p in partitions)
    assert locations == ["s3://lake/raw/events/dt=2024-01-01/", "s3://lake/raw/events/dt=2024-01-02/"]

    metrics = glue.get_crawler_metrics(CrawlerNameList=["events"])["CrawlerMetricsList"]
    assert metrics[0]["CrawlerName"] == "events"
    assert metrics[0]["TablesCreated"] == 1 and metrics[0]["StillEstimating"] is False
    assert metrics[0]["LastRuntimeSeconds"] > 0


def test_recrawl_adds_new_partitions(glue, s3):
    seed_events(s3)
    glue.create_database(DatabaseInput={"Name": "raw"})
    make_crawler(glue, TablePrefix="t_")
    glue.start_crawler(Name="events")
    wait_for(lambda: glue.get_crawler(Name="events")["Crawler"], lambda c: c["State"] == "READY" and "LastCrawl" in c)
    s3.put_object(Bucket="lake", Key="raw/events/dt=2024-01-03/part-0000.json.gz", Body=ndjson_gz([{"id": 4, "name": "d", "amount": 1.0}]))
    glue.start_crawler(Name="events")
    wait_for(lambda: glue.get_crawler(Name="events")["Crawler"], lambda c: c["State"] == "READY")
    partitions = glue.get_partitions(DatabaseName="raw", TableName="t_events")["Partitions"]
    assert len(partitions) == 3
    metrics = glue.get_crawler_metrics()["CrawlerMetricsList"][0]
    assert metrics["TablesUpdated"] == 1 and metrics["TablesCreated"] == 0


def test_crawl_into_missing_database_fails(glue, s3):
    seed_events(s3)
    make_crawler(glue)
    glue.start_crawler(Name="events")
    crawler = wait_for(lambda: glue.get_crawler(Name="events")["Crawler"], lambda c: c["State"] == "READY" and "LastCrawl" in c)
    assert crawler["LastCrawl"]["Status"] == "FAILED"
    assert "raw" in crawler["LastCrawl"]["ErrorMessage"]


def test_stop_and_delete_crawler(glue):
    make_crawler(glue)
    with pytest.raises(ClientError) as exc:
        glue.stop_crawler(Name="events")
    assert code(exc) == "CrawlerNotRunningException"
    glue.start_crawler(Name="events")
    with pytest.raises(ClientError) as exc:
        glue.delete_crawler(Name="events")
    assert code(exc) == "CrawlerRunningException"
    glue.stop_crawler(Name="events")
    crawler = wait_for(lambda: glue.get_crawler(Name="events")["Crawler"], lambda c: c["State"] == "READY")
    assert crawler["LastCrawl"]["Status"] == "CANCELLED"
    glue.delete_crawler(Name="events")
    with pytest.raises(ClientError) as exc:
        glue.get_crawler(Name="events")
    assert code(exc) == "EntityNotFoundException"


# --------------------------------------------------------------------------
# Databases and tables


def table_input(name: str, columns: list[tuple[str, str]]) -> dict:
    return {
        "Name": name,
        "TableType": "EXTERNAL_TABLE",
        "PartitionKeys": [],
        "StorageDescriptor": {"Columns": [{"Name": n, "Type": t} for n, t in columns], "Location": f"s3://lake/{name}/"},
    }


def test_database_update_delete_and_paging(glue):
    for name in ("a", "b", "c"):
        glue.create_database(DatabaseInput={"Name": name})
    db = glue.get_database(Name="a")["Database"]
    assert db["CreateTableDefaultPermissions"] == [
        {"Principal": {"DataLakePrincipalIdentifier": "IAM_ALLOWED_PRINCIPALS"}, "Permissions": ["ALL"]}
    ]
    assert db["CatalogId"] == ACCOUNT and "CreateTime" in db
    glue.update_database(Name="a", DatabaseInput={"Name": "a", "Description": "first"})
    assert glue.get_database(Name="a")["Database"]["Description"] == "first"
    page = glue.get_databases(MaxResults=2)
    assert len(page["DatabaseList"]) == 2
    rest = glue.get_databases(MaxResults=2, NextToken=page["NextToken"])
    assert [d["Name"] for d in rest["DatabaseList"]] == ["c"]
    glue.delete_database(Name="b")
    with pytest.raises(ClientError) as exc:
        glue.get_database(Name="b")
    assert code(exc) == "EntityNotFoundException"


def test_update_table_versions_skip_archive_and_version_check(glue):
    glue.create_database(DatabaseInput={"Name": "db"})
    glue.create_table(DatabaseName="db", TableInput=table_input("t", [("a", "string")]))
    t = glue.get_table(DatabaseName="db", Name="t")["Table"]
    assert t["VersionId"] == "1" and t["IsRegisteredWithLakeFormation"] is False
    assert t["CreatedBy"].startswith("arn:aws:")

    glue.update_table(DatabaseName="db", TableInput=table_input("t", [("a", "string"), ("b", "int")]))
    assert len(glue.get_table_versions(DatabaseName="db", TableName="t")["TableVersions"]) == 2

    glue.update_table(DatabaseName="db", TableInput=table_input("t", [("a", "string"), ("c", "int")]), SkipArchive=True)
    t = glue.get_table(DatabaseName="db", Name="t")["Table"]
    assert [c["Name"] for c in t["StorageDescriptor"]["Columns"]] == ["a", "c"]
    versions = glue.get_table_versions(DatabaseName="db", TableName="t")["TableVersions"]
    assert len(versions) == 2, "SkipArchive must not keep the replaced version"

    with pytest.raises(ClientError) as exc:
        glue.update_table(DatabaseName="db", TableInput=table_input("t", [("a", "string")]), VersionId="1")
    assert code(exc) == "ConcurrentModificationException"
    glue.update_table(DatabaseName="db", TableInput=table_input("t", [("a", "string")]), VersionId=t["VersionId"])

    with pytest.raises(ClientError) as exc:
        glue.update_table(DatabaseName="db", TableInput=table_input("missing", []))
    assert code(exc) == "EntityNotFoundException"


def test_get_tables_paged_and_delete_table(glue):
    glue.create_database(DatabaseInput={"Name": "db"})
    for i in range(5):
        glue.create_table(DatabaseName="db", TableInput=table_input(f"t{i}", [("a", "string")]))
    names, token = [], None
    while True:
        kwargs = {"DatabaseName": "db", "MaxResults": 2}
        if token:
            kwargs["NextToken"] = token
        page = glue.get_tables(**kwargs)
        assert len(page["TableList"]) <= 2
        names += [t["Name"] for t in page["TableList"]]
        token = page.get("NextToken")
        if not token:
            break
    assert names == [f"t{i}" for i in range(5)]
    slim = glue.get_tables(DatabaseName="db", AttributesToGet=["NAME", "TABLE_TYPE"])["TableList"]
    assert slim[0] == {"Name": "t0", "TableType": "EXTERNAL_TABLE"}
    glue.delete_table(DatabaseName="db", Name="t0")
    with pytest.raises(ClientError) as exc:
        glue.get_table(DatabaseName="db", Name="t0")
    assert code(exc) == "EntityNotFoundException"
    with pytest.raises(ClientError) as exc:
        glue.get_tables(DatabaseName="nodb")
    assert code(exc) == "EntityNotFoundException"


# --------------------------------------------------------------------------
# Jobs and tags


def test_job_lifecycle(glue):
    command = {"Name": "glueetl", "ScriptLocation": "s3://code/job.py", "PythonVersion": "3"}
    glue.create_job(
        Name="j", Role=ROLE_ARN, Command=command, GlueVersion="4.0", WorkerType="G.1X", NumberOfWorkers=2, Tags={"team": "data"}
    )
    with pytest.raises(ClientError) as exc:
        glue.create_job(Name="j", Role=ROLE_ARN, Command=command)
    assert code(exc) == "AlreadyExistsException"
    job = glue.get_job(JobName="j")["Job"]
    assert job["GlueVersion"] == "4.0" and job["NumberOfWorkers"] == 2
    assert job["ExecutionProperty"] == {"MaxConcurrentRuns": 1}
    assert job["MaxRetries"] == 0 and job["Timeout"] == 2880
    created = job["CreatedOn"]

    glue.update_job(JobName="j", JobUpdate={"Role": ROLE_ARN, "Command": command, "Description": "v2", "MaxRetries": 2})
    job = glue.get_job(JobName="j")["Job"]
    assert job["Description"] == "v2" and job["MaxRetries"] == 2
    assert "GlueVersion" not in job, "UpdateJob overwrites the whole definition"
    assert job["CreatedOn"] == created
    with pytest.raises(ClientError) as exc:
        glue.update_job(JobName="nope", JobUpdate={"Role": ROLE_ARN, "Command": command})
    assert code(exc) == "EntityNotFoundException"

    assert [j["Name"] for j in glue.get_jobs()["Jobs"]] == ["j"]
    arn = f"arn:aws:glue:us-east-1:{ACCOUNT}:job/j"
    assert glue.get_tags(ResourceArn=arn)["Tags"] == {"team": "data"}
    glue.delete_job(JobName="j")
    glue.delete_job(JobName="j")  # AWS: deleting a missing job succeeds
    with pytest.raises(ClientError) as exc:
        glue.get_job(JobName="j")
    assert code(exc) == "EntityNotFoundException"


def test_tags_on_crawler_and_database(glue):
    glue.create_database(DatabaseInput={"Name": "db"}, Tags={"owner": "twh"})
    make_crawler(glue, Tags={"a": "1"})
    crawler_arn = f"arn:aws:glue:us-east-1:{ACCOUNT}:crawler/events"
    db_arn = f"arn:aws:glue:us-east-1:{ACCOUNT}:database/db"
    assert glue.get_tags(ResourceArn=db_arn)["Tags"] == {"owner": "twh"}
    glue.tag_resource(ResourceArn=crawler_arn, TagsToAdd={"b": "2"})
    glue.untag_resource(ResourceArn=crawler_arn, TagsToRemove=["a"])
    assert glue.get_tags(ResourceArn=crawler_arn)["Tags"] == {"b": "2"}


# --------------------------------------------------------------------------
# AWS's rewrites and defaults (EVIDENCE.md)


def test_database_and_table_names_are_folded_to_lower_case(glue):
    glue.create_database(DatabaseInput={"Name": "SalesDB"})
    assert [d["Name"] for d in glue.get_databases()["DatabaseList"]] == ["salesdb"]
    glue.create_table(DatabaseName="SalesDB", TableInput=table_input("MixedCaseTable", [("a", "string")]))
    for spelling in ("MixedCaseTable", "mixedcasetable", "MIXEDCASETABLE"):
        table = glue.get_table(DatabaseName="SALESDB", Name=spelling)["Table"]
        assert (table["Name"], table["DatabaseName"]) == ("mixedcasetable", "salesdb")
    with pytest.raises(ClientError) as exc:
        glue.create_table(DatabaseName="salesdb", TableInput=table_input("MIXEDCASETABLE", [("a", "string")]))
    assert code(exc) == "AlreadyExistsException"
    glue.update_table(DatabaseName="SalesDb", TableInput=table_input("MixedCaseTable", [("b", "int")]))
    glue.delete_table(DatabaseName="SalesDb", Name="MixedCASEtable")
    assert glue.get_tables(DatabaseName="salesdb")["TableList"] == []
    # Crawler names keep their case.
    make_crawler(glue, Name="Nightly", DatabaseName="SalesDB")
    assert glue.get_crawler(Name="Nightly")["Crawler"]["Name"] == "Nightly"


def test_get_table_fills_the_storage_descriptor_defaults(glue):
    glue.create_database(DatabaseInput={"Name": "db"})
    glue.create_table(
        DatabaseName="db",
        TableInput={"Name": "t", "StorageDescriptor": {"Columns": [{"Name": "a", "Type": "int"}], "Location": "s3://lake/t/"}},
    )
    table = glue.get_table(DatabaseName="db", Name="t")["Table"]
    assert table["Retention"] == 0
    sd = table["StorageDescriptor"]
    assert sd["Compressed"] is False and sd["NumberOfBuckets"] == 0
    assert sd["SortColumns"] == [] and sd["StoredAsSubDirectories"] is False
    assert "SerdeInfo" not in sd and "BucketColumns" not in sd
    assert glue.get_tables(DatabaseName="db")["TableList"][0]["StorageDescriptor"]["NumberOfBuckets"] == 0


def test_job_numbers_and_defaults(glue):
    glue.create_job(Name="etl", Role=ROLE_ARN, Command={"Name": "glueetl", "ScriptLocation": "s3://code/j.py"}, MaxCapacity=2)
    job = glue.get_job(JobName="etl")["Job"]
    assert job["MaxCapacity"] == 2.0 and isinstance(job["MaxCapacity"], float)
    assert job["AllocatedCapacity"] == 2 and job["Timeout"] == 2880 and job["MaxRetries"] == 0
    assert job["Role"] == ROLE_ARN, "GetJob returns the role as sent"
    assert "ExecutionClass" not in job and job["JobMode"] == "SCRIPT"

    glue.create_job(Name="stream", Role="GlueRole", Command={"Name": "gluestreaming", "ScriptLocation": "s3://code/s.py"})
    job = glue.get_job(JobName="stream")["Job"]
    assert (job["AllocatedCapacity"], job["MaxCapacity"]) == (10, 10.0)
    assert "Timeout" not in job
    assert job["ExecutionProperty"] == {"MaxConcurrentRuns": 1}

    glue.create_job(Name="shell", Role="GlueRole", Command={"Name": "pythonshell", "ScriptLocation": "s3://code/p.py"})
    assert glue.get_job(JobName="shell")["Job"]["MaxCapacity"] == 0.0625

    glue.create_job(Name="g5", Role="GlueRole", Command={"Name": "glueetl", "ScriptLocation": "s3://c/g.py"}, GlueVersion="5.0",
                    WorkerType="G.1X", NumberOfWorkers=2)
    job = glue.get_job(JobName="g5")["Job"]
    assert job["Timeout"] == 480 and "MaxCapacity" not in job


def test_iam_propagation_fault(emulator, glue):
    iam = emulator.client("iam")
    emulator.control("POST", "/_twh/faults", {"iam_propagation_seconds": 0.6})
    trust = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"glue.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
    arn = iam.create_role(RoleName="FreshRole", Path="/service-role/", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    with pytest.raises(ClientError) as exc:
        make_crawler(glue, Role=arn)
    assert code(exc) == "InvalidInputException"
    assert exc.value.response["Error"]["Message"] == "Service is unable to assume provided role. Please verify role's TrustPolicy."
    with pytest.raises(ClientError) as exc:
        glue.create_job(Name="j", Role=arn, Command={"Name": "glueetl", "ScriptLocation": "s3://code/j.py"})
    assert code(exc) == "InvalidInputException"
    # Roles that are not new are fine; after the window the new one is too.
    make_crawler(glue, Name="old-role", Role=ROLE_ARN)
    wait_for(lambda: _try(lambda: make_crawler(glue, Role=arn)), lambda ok: ok, timeout=5, interval=0.1)
    assert glue.get_crawler(Name="events")["Crawler"]["Role"] == "service-role/FreshRole"
    # Switched off with the other faults.
    emulator.control("DELETE", "/_twh/faults")
    iam.create_role(RoleName="Other", AssumeRolePolicyDocument=trust)
    glue.create_job(Name="j", Role="Other", Command={"Name": "glueetl", "ScriptLocation": "s3://code/j.py"})


def _try(fn) -> bool:
    try:
        fn()
        return True
    except ClientError:
        return False


def test_doubles_are_written_as_doubles_everywhere():
    # DynamoDBTarget.scanRate (so spelt in the model) is a double: an echoed JSON 1 goes out as 1.0.
    from twh_emulator.shapecheck import coerce_numbers

    body = b'{"Crawler":{"Name":"c","Targets":{"DynamoDBTargets":[{"Path":"t","scanRate":1}]},"Version":2}}'
    out = json.loads(coerce_numbers("glue", "GetCrawler", body))
    target = out["Crawler"]["Targets"]["DynamoDBTargets"][0]
    assert target["scanRate"] == 1.0 and isinstance(target["scanRate"], float)
    assert isinstance(out["Crawler"]["Version"], int), "integers stay integers"


def test_classifiers_are_created_read_and_deleted(glue):
    grok = {
        "Name": "CrawlerClassifier",
        "Classification": "wikiData",
        "GrokPattern": "%{NOTSPACE:language} %{NOTSPACE:page_title}",
    }
    glue.create_classifier(GrokClassifier=grok)
    with pytest.raises(ClientError) as exc:
        glue.create_classifier(GrokClassifier=grok)
    assert exc.value.response["Error"]["Code"] == "AlreadyExistsException"
    got = glue.get_classifier(Name="CrawlerClassifier")["Classifier"]["GrokClassifier"]
    assert {k: got[k] for k in grok} == grok
    assert got["Version"] == 1 and "CreationTime" in got and "LastUpdated" in got
    with pytest.raises(ClientError) as exc:
        glue.create_classifier()
    assert exc.value.response["Error"]["Code"] == "InvalidInputException"
    glue.delete_classifier(Name="CrawlerClassifier")
    for call in (glue.get_classifier, glue.delete_classifier):
        with pytest.raises(ClientError) as exc:
            call(Name="CrawlerClassifier")
        assert exc.value.response["Error"]["Code"] == "EntityNotFoundException"
