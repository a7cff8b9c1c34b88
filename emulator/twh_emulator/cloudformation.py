"""CloudFormation resource types moto's CloudFormation lacks, so that a stack
can own a Glue database or table as a CDK stack does.

moto 5.2.5 creates a stack's resources through `CloudFormationModel`
subclasses (moto/cloudformation/parsing.py, `get_model_map`); Glue has none,
so `AWS::Glue::Database` and `AWS::Glue::Table` are skipped with "No Moto
CloudFormation support" and ListStackResources never lists them. The models
below create them in moto's own Glue backend (which the emulator's Glue
handlers read), so GetDatabase sees the stack's database and DeleteStack
removes it.

Properties, from the CloudFormation template reference
(awsdocs/aws-cloudformation-user-guide, doc_source/aws-resource-glue-database.md
and aws-resource-glue-table.md):
- AWS::Glue::Database: `CatalogId` (the account id), `DatabaseInput` (the
  Glue DatabaseInput); no `Tags` property. "Ref returns the DatabaseInput
  name", which is the physical id ListStackResources shows.
- AWS::Glue::Table: `CatalogId`, `DatabaseName`, `TableInput`; "Ref returns
  the table name" (the physical id: the name alone, not the database).
Names are folded to lower case as Glue stores them (the Glue API reference,
`DatabaseInput.Name`: "folded to lowercase when it is stored").

Must be imported before moto first builds its model map (an lru_cache):
server.py imports it at start-up.
"""

from __future__ import annotations

from typing import Any

from moto.core.common_models import CloudFormationModel
from moto.glue.models import glue_backends

from .common import faithful


def _name(value: Any) -> str:
    name = str(value or "")
    return name.lower() if faithful() else name


# The two models repeat moto's required members on purpose: moto registers
# only direct subclasses of CloudFormationModel (`get_model_list` is
# `CloudFormationModel.__subclasses__()`), so a shared base class would hide
# both types from CreateStack.
class GlueDatabaseModel(CloudFormationModel):
    """AWS::Glue::Database owned by a stack."""

    def __init__(self, account_id: str, region: str, name: str) -> None:
        self.account_id = account_id
        self.region = region
        self.name = name

    @property
    def physical_resource_id(self) -> str:
        return self.name

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Glue::Database"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> "GlueDatabaseModel":
        props = cloudformation_json.get("Properties", {})
        database_input = dict(props.get("DatabaseInput") or {})
        name = _name(database_input.get("Name") or resource_name)
        database_input["Name"] = name
        glue_backends[account_id][region_name].create_database(name, database_input)
        return cls(account_id, region_name, name)

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[misc]
        cls, original_resource: Any, new_resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> "GlueDatabaseModel":
        props = cloudformation_json.get("Properties", {})
        database_input = dict(props.get("DatabaseInput") or {})
        database_input["Name"] = original_resource.name
        glue_backends[account_id][region_name].update_database(original_resource.name, database_input)
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        backend = glue_backends[account_id][region_name]
        name = _name((cloudformation_json.get("Properties", {}).get("DatabaseInput") or {}).get("Name") or resource_name)
        backend.databases.pop(name, None)

    def delete(self, account_id: str, region_name: str) -> None:
        glue_backends[self.account_id][self.region].databases.pop(self.name, None)


class GlueTableModel(CloudFormationModel):
    """AWS::Glue::Table owned by a stack."""

    def __init__(self, account_id: str, region: str, database: str, name: str) -> None:
        self.account_id = account_id
        self.region = region
        self.database = database
        self.name = name

    @property
    def physical_resource_id(self) -> str:
        return self.name

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Glue::Table"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> "GlueTableModel":
        props = cloudformation_json.get("Properties", {})
        table_input = dict(props.get("TableInput") or {})
        database = _name(props.get("DatabaseName"))
        name = _name(table_input.get("Name") or resource_name)
        table_input["Name"] = name
        glue_backends[account_id][region_name].create_table(database, name, table_input)
        return cls(account_id, region_name, database, name)

    @classmethod
    def update_from_cloudformation_json(  # type: ignore[misc]
        cls, original_resource: Any, new_resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> "GlueTableModel":
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[misc]
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        props = cloudformation_json.get("Properties", {})
        db = glue_backends[account_id][region_name].databases.get(_name(props.get("DatabaseName")))
        if db is not None:
            db.tables.pop(_name((props.get("TableInput") or {}).get("Name") or resource_name), None)

    def delete(self, account_id: str, region_name: str) -> None:
        db = glue_backends[self.account_id][self.region].databases.get(self.database)
        if db is not None:
            db.tables.pop(self.name, None)
