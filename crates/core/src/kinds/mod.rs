//! Resource kinds: for each `type` a resource file may name, the facts the
//! core needs — which AWS input shape its `spec` is, how its identity and
//! attributes are derived, which fields force a replace, and how live and
//! desired values are normalized before they are compared. Pure data and pure
//! functions; no AWS calls here.

mod custom;
pub mod normalize;
pub mod permissions;
pub mod schema;

use serde_json::Value;

use crate::spec::model::ServiceShapes;

pub use custom::{AthenaViewSpec, DataCheckSpec, SHAPES as CUSTOM_SHAPES};

/// The AWS service a kind belongs to; one provider serves each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    Glue,
    Athena,
    QuickSight,
    Iam,
    /// Not an AWS resource: evaluated by twh itself (`data_check`).
    Twh,
}

impl Service {
    pub fn as_str(self) -> &'static str {
        match self {
            Service::Glue => "glue",
            Service::Athena => "athena",
            Service::QuickSight => "quicksight",
            Service::Iam => "iam",
            Service::Twh => "twh",
        }
    }
}

/// What the core knows about one kind.
#[derive(Debug)]
pub struct KindDef {
    pub name: &'static str,
    pub service: Service,
    /// The model shape the `spec` is validated against.
    pub spec_shape: &'static str,
    /// JSON pointers (into the spec) whose values, joined with `.`, are the
    /// resource's identity in AWS (`id`). The last one is its `name`.
    pub identity: &'static [&'static str],
    /// `arn` template: `{region}`, `{account}`, `{id}`, `{name}`, `{0}`, `{1}`
    /// (identity parts). Empty when the kind has no ARN.
    pub arn: &'static str,
    /// Account fields twh fills from the caller's identity when omitted.
    pub account_field: Option<&'static str>,
    /// Spec fields AWS cannot change in place: a change means replace.
    pub replace_paths: &'static [&'static str],
    /// Spec fields AWS can set and change in place but never remove (the
    /// update call has no `Remove*` flag for them and refuses an empty
    /// value): removing one from the file means replace, and the plan says
    /// which field forces it.
    pub removal_replaces: &'static [&'static str],
    /// Replacing breaks what is built on it (analyses, partitions): only with
    /// `--allow-replace`.
    pub replace_needs_approval: bool,
    /// Spec fields that fix the columns Athena views read from this resource
    /// (a table's columns, a view's SQL). Athena stores a view's columns
    /// when it is created and refuses to read it once they no longer match
    /// (`VIEW_IS_STALE`), so a change to one re-creates, in the same run,
    /// every declared view that depends on this resource (see
    /// `plan::stale_views`).
    pub view_columns: &'static [&'static str],
    /// Spec fields AWS accepts but never returns (credentials): compared
    /// against the last applied value, never against live.
    pub write_only: &'static [&'static str],
    /// Spec fields Glue folds to lowercase when it stores them: twh sends
    /// them folded (see `plan::resolve`), so the name it reads back is the
    /// one it asked for.
    pub lowercase: &'static [&'static str],
    /// Defaults AWS fills on the server; applied to both sides before comparing.
    pub defaults: &'static [(&'static str, &'static str)],
    /// Arrays AWS treats as sets (order not significant); `*` matches any
    /// array index or map key. Sorted before comparing.
    pub sets: &'static [&'static str],
    /// Fields other actors own (crawlers, the QuickSight console): when the
    /// file leaves one out, twh keeps AWS's value, never compares it and
    /// lists it as unmanaged in the plan (see `plan::unmanaged`).
    pub unmanaged: &'static [&'static str],
    /// The complete action sets AWS accepts in `Permissions` (QuickSight
    /// refuses any other list); empty when the kind has no such rule. See
    /// `kinds::permissions`.
    pub permission_sets: &'static [&'static [&'static str]],
    /// Kind-specific normalization beyond defaults and sets.
    pub normalize_extra: Option<fn(&mut Value)>,
    /// Whether the kind exists in AWS and takes part in plans.
    pub managed: bool,
}

/// Table parameters written by Glue crawlers (statistics, serializer
/// versions) and by Iceberg commits (metadata pointers): they change on every
/// crawl or commit, so comparing them would be a perpetual diff and
/// UpdateTable without them would wipe them.
const GLUE_TABLE_UNMANAGED: &[&str] = &[
    "/TableInput/Parameters/UPDATED_BY_CRAWLER",
    "/TableInput/Parameters/CrawlerSchemaDeserializerVersion",
    "/TableInput/Parameters/CrawlerSchemaSerializerVersion",
    "/TableInput/Parameters/averageRecordSize",
    "/TableInput/Parameters/objectCount",
    "/TableInput/Parameters/recordCount",
    "/TableInput/Parameters/sizeKey",
    "/TableInput/Parameters/compressionType",
    "/TableInput/Parameters/typeOfData",
    "/TableInput/Parameters/metadata_location",
    "/TableInput/Parameters/previous_metadata_location",
    "/TableInput/StorageDescriptor/Parameters/UPDATED_BY_CRAWLER",
    "/TableInput/StorageDescriptor/Parameters/CrawlerSchemaDeserializerVersion",
    "/TableInput/StorageDescriptor/Parameters/CrawlerSchemaSerializerVersion",
    "/TableInput/StorageDescriptor/Parameters/averageRecordSize",
    "/TableInput/StorageDescriptor/Parameters/objectCount",
    "/TableInput/StorageDescriptor/Parameters/recordCount",
    "/TableInput/StorageDescriptor/Parameters/sizeKey",
    "/TableInput/StorageDescriptor/Parameters/compressionType",
    "/TableInput/StorageDescriptor/Parameters/typeOfData",
];

pub static KINDS: &[KindDef] = &[
    KindDef {
        name: "glue_database",
        service: Service::Glue,
        spec_shape: "CreateDatabaseRequest",
        identity: &["/DatabaseInput/Name"],
        arn: "arn:aws:glue:{region}:{account}:database/{id}",
        account_field: Some("/CatalogId"),
        replace_paths: &["/DatabaseInput/Name"],
        removal_replaces: &[],
        replace_needs_approval: true,
        view_columns: &[],
        write_only: &[],
        lowercase: &["/DatabaseInput/Name"],
        defaults: &[],
        sets: &["/Tags"],
        unmanaged: &[],
        permission_sets: &[],
        normalize_extra: None,
        managed: true,
    },
    KindDef {
        name: "glue_table",
        service: Service::Glue,
        spec_shape: "CreateTableRequest",
        identity: &["/DatabaseName", "/TableInput/Name"],
        arn: "arn:aws:glue:{region}:{account}:table/{0}/{1}",
        account_field: Some("/CatalogId"),
        replace_paths: &["/DatabaseName", "/TableInput/Name", "/PartitionIndexes"],
        removal_replaces: &[],
        replace_needs_approval: true,
        view_columns: &[
            "/TableInput/StorageDescriptor/Columns",
            "/TableInput/PartitionKeys",
        ],
        write_only: &["/TransactionId"],
        lowercase: &["/DatabaseName", "/TableInput/Name"],
        defaults: &[],
        sets: &[],
        unmanaged: GLUE_TABLE_UNMANAGED,
        permission_sets: &[],
        normalize_extra: Some(normalize::glue_table),
        managed: true,
    },
    KindDef {
        name: "glue_crawler",
        service: Service::Glue,
        spec_shape: "CreateCrawlerRequest",
        identity: &["/Name"],
        arn: "arn:aws:glue:{region}:{account}:crawler/{id}",
        account_field: None,
        replace_paths: &["/Name"],
        removal_replaces: &[],
        replace_needs_approval: false,
        view_columns: &[],
        write_only: &[],
        lowercase: &["/DatabaseName"],
        defaults: &[
            (
                "/SchemaChangePolicy",
                r#"{"UpdateBehavior":"UPDATE_IN_DATABASE","DeleteBehavior":"DEPRECATE_IN_DATABASE"}"#,
            ),
            (
                "/RecrawlPolicy",
                r#"{"RecrawlBehavior":"CRAWL_EVERYTHING"}"#,
            ),
            (
                "/LineageConfiguration",
                r#"{"CrawlerLineageSettings":"DISABLE"}"#,
            ),
            (
                "/LakeFormationConfiguration",
                r#"{"UseLakeFormationCredentials":false,"AccountId":""}"#,
            ),
        ],
        sets: &[
            "/Targets/S3Targets",
            "/Targets/JdbcTargets",
            "/Targets/CatalogTargets",
            "/Targets/S3Targets/*/Exclusions",
            "/Classifiers",
        ],
        unmanaged: &[],
        permission_sets: &[],
        normalize_extra: Some(normalize::glue_crawler),
        managed: true,
    },
    KindDef {
        name: "glue_job",
        service: Service::Glue,
        spec_shape: "CreateJobRequest",
        identity: &["/Name"],
        arn: "arn:aws:glue:{region}:{account}:job/{id}",
        account_field: None,
        replace_paths: &["/Name"],
        removal_replaces: &[],
        replace_needs_approval: false,
        view_columns: &[],
        write_only: &[],
        lowercase: &[],
        // GetJob echoes these server defaults.
        defaults: &[
            ("/ExecutionProperty", r#"{"MaxConcurrentRuns":1}"#),
            ("/Timeout", "2880"),
            ("/MaxRetries", "0"),
            ("/ExecutionClass", r#""STANDARD""#),
            ("/JobMode", r#""SCRIPT""#),
        ],
        sets: &["/Connections/Connections"],
        unmanaged: &[],
        permission_sets: &[],
        normalize_extra: Some(normalize::glue_job),
        managed: true,
    },
    KindDef {
        name: "athena_workgroup",
        service: Service::Athena,
        spec_shape: "WorkGroupSpec",
        identity: &["/Name"],
        arn: "arn:aws:athena:{region}:{account}:workgroup/{id}",
        account_field: None,
        // UpdateWorkGroup cannot touch IdentityCenterConfiguration at all
        // (WorkGroupConfigurationUpdates has no such member), nor remove
        // the three below (no `Remove*` flag; RoleArn and NameString refuse
        // `""`; Terraform's aws_athena_workgroup sends them only when set,
        // so it cannot clear them either). MonitoringConfiguration and
        // QueryResultsS3AccessGrantsConfiguration are turned off instead
        // (see `aws_athena::config_updates`).
        replace_paths: &["/Name", "/Configuration/IdentityCenterConfiguration"],
        removal_replaces: &[
            "/Configuration/ExecutionRole",
            "/Configuration/AdditionalConfiguration",
            "/Configuration/EngineConfiguration",
        ],
        replace_needs_approval: false,
        view_columns: &[],
        write_only: &[],
        lowercase: &[],
        // GetWorkGroup echoes these when a configuration is set, and State
        // always (a new workgroup is ENABLED: CreateWorkGroup cannot set it).
        defaults: &[
            ("/State", r#""ENABLED""#),
            ("/Configuration/EnforceWorkGroupConfiguration", "true"),
            ("/Configuration/PublishCloudWatchMetricsEnabled", "false"),
            ("/Configuration/RequesterPaysEnabled", "false"),
            (
                "/Configuration/EnableMinimumEncryptionConfiguration",
                "false",
            ),
            (
                "/Configuration/EngineVersion",
                r#"{"SelectedEngineVersion":"AUTO"}"#,
            ),
        ],
        sets: &["/Tags"],
        unmanaged: &[],
        permission_sets: &[],
        normalize_extra: None,
        managed: true,
    },
    KindDef {
        name: "athena_view",
        service: Service::Athena,
        spec_shape: "AthenaViewSpec",
        identity: &["/Database", "/Name"],
        arn: "arn:aws:glue:{region}:{account}:table/{0}/{1}",
        account_field: None,
        replace_paths: &["/Database", "/Name"],
        removal_replaces: &[],
        replace_needs_approval: false,
        view_columns: &["/Sql"],
        write_only: &["/WorkGroup"],
        lowercase: &["/Database", "/Name"],
        defaults: &[("/Catalog", r#""AwsDataCatalog""#)],
        sets: &[],
        unmanaged: &[],
        permission_sets: &[],
        normalize_extra: Some(normalize::athena_view),
        managed: true,
    },
    KindDef {
        name: "quicksight_data_source",
        service: Service::QuickSight,
        spec_shape: "CreateDataSourceRequest",
        identity: &["/DataSourceId"],
        arn: "arn:aws:quicksight:{region}:{account}:datasource/{id}",
        account_field: Some("/AwsAccountId"),
        replace_paths: &["/DataSourceId", "/Type"],
        removal_replaces: &[],
        replace_needs_approval: false,
        view_columns: &[],
        write_only: &["/Credentials"],
        lowercase: &[],
        defaults: &[("/SslProperties", r#"{"DisableSsl":false}"#)],
        sets: &["/Permissions", "/Permissions/*/Actions", "/Tags"],
        unmanaged: &[],
        permission_sets: permissions::DATA_SOURCE,
        normalize_extra: None,
        managed: true,
    },
    KindDef {
        name: "quicksight_data_set",
        service: Service::QuickSight,
        spec_shape: "DataSetSpec",
        identity: &["/DataSetId"],
        arn: "arn:aws:quicksight:{region}:{account}:dataset/{id}",
        account_field: Some("/AwsAccountId"),
        replace_paths: &["/DataSetId"],
        removal_replaces: &[],
        replace_needs_approval: true,
        view_columns: &[],
        write_only: &[],
        lowercase: &[],
        defaults: &[(
            "/DataSetUsageConfiguration",
            r#"{"DisableUseAsDirectQuerySource":false,"DisableUseAsImportedSource":false}"#,
        )],
        sets: &[
            "/Permissions",
            "/Permissions/*/Actions",
            "/Tags",
            "/RefreshSchedules",
            "/ColumnGroups",
        ],
        // Set in the console by admins and analysts (AWS_RECONCILER_FACTS
        // §5.5), and the LogicalTableMap QuickSight generates (with a hashed
        // id) when the file has none.
        unmanaged: &[
            "/LogicalTableMap",
            "/DatasetParameters",
            "/PerformanceConfiguration",
            "/FieldFolders",
            "/RowLevelPermissionDataSet",
            "/RowLevelPermissionTagConfiguration",
            "/ColumnLevelPermissionRules",
        ],
        permission_sets: permissions::DATA_SET,
        normalize_extra: Some(normalize::quicksight_data_set),
        managed: true,
    },
    KindDef {
        name: "iam_role",
        service: Service::Iam,
        spec_shape: "RoleSpec",
        identity: &["/RoleName"],
        arn: "arn:aws:iam::{account}:role{path}{id}",
        account_field: None,
        replace_paths: &["/RoleName", "/Path"],
        removal_replaces: &[],
        replace_needs_approval: false,
        view_columns: &[],
        write_only: &[],
        lowercase: &[],
        defaults: &[("/Path", r#""/""#), ("/MaxSessionDuration", "3600")],
        sets: &["/Tags", "/ManagedPolicyArns"],
        unmanaged: &[],
        permission_sets: &[],
        normalize_extra: Some(normalize::iam_role),
        managed: true,
    },
    KindDef {
        name: "data_check",
        service: Service::Twh,
        spec_shape: "DataCheckSpec",
        identity: &["/Name"],
        arn: "",
        account_field: None,
        replace_paths: &[],
        removal_replaces: &[],
        replace_needs_approval: false,
        view_columns: &[],
        write_only: &[],
        lowercase: &[],
        defaults: &[],
        sets: &[],
        unmanaged: &[],
        permission_sets: &[],
        normalize_extra: None,
        managed: false,
    },
];

/// Looks a kind up by its `type` name.
pub fn kind(name: &str) -> Option<&'static KindDef> {
    KINDS.iter().find(|k| k.name == name)
}

/// Attributes another resource may reference with `${ref:TYPE.NAME.ATTR}`.
pub const ATTRIBUTES: &[&str] = &["arn", "id", "name"];

impl KindDef {
    /// The shapes this kind's spec is validated against.
    pub fn shapes(&self) -> Option<&'static ServiceShapes> {
        crate::spec::shapes_for(match self.spec_shape {
            "AthenaViewSpec" | "DataCheckSpec" => "twh",
            _ => self.service.as_str(),
        })
    }

    /// Identity parts read from a (resolved) spec; `None` when a part is missing.
    pub fn identity_parts(&self, spec: &Value) -> Option<Vec<String>> {
        self.identity
            .iter()
            .map(|p| spec.pointer(p).and_then(Value::as_str).map(str::to_string))
            .collect()
    }

    /// The `id`, `name` and `arn` attributes of a resource with this spec.
    pub fn attributes(&self, spec: &Value, region: &str, account: &str) -> Option<Attributes> {
        let parts = self.identity_parts(spec)?;
        let id = parts.join(".");
        let name = parts.last().cloned().unwrap_or_default();
        let mut arn = self
            .arn
            .replace("{region}", region)
            .replace("{account}", account)
            .replace("{id}", &id)
            .replace("{name}", &name);
        if arn.contains("{path}") {
            let path = spec.pointer("/Path").and_then(Value::as_str).unwrap_or("/");
            arn = arn.replace("{path}", path);
        }
        for (i, p) in parts.iter().enumerate() {
            arn = arn.replace(&format!("{{{i}}}"), p);
        }
        Some(Attributes { id, name, arn })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Attributes {
    pub id: String,
    pub name: String,
    pub arn: String,
}

impl Attributes {
    pub fn get(&self, attr: &str) -> Option<&str> {
        match attr {
            "id" => Some(&self.id),
            "name" => Some(&self.name),
            "arn" => Some(&self.arn),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn attributes_come_from_identity() {
        let k = kind("glue_table").expect("kind");
        let a = k
            .attributes(
                &json!({"DatabaseName": "db", "TableInput": {"Name": "t"}}),
                "eu-west-1",
                "123",
            )
            .expect("attrs");
        assert_eq!(a.id, "db.t");
        assert_eq!(a.name, "t");
        assert_eq!(a.arn, "arn:aws:glue:eu-west-1:123:table/db/t");
        let role = kind("iam_role").expect("kind");
        let a = role
            .attributes(&json!({"RoleName": "r", "Path": "/svc/"}), "x", "123")
            .expect("attrs");
        assert_eq!(a.arn, "arn:aws:iam::123:role/svc/r");
    }

    #[test]
    fn every_kind_has_identity_and_unique_name() {
        let mut names: Vec<_> = KINDS.iter().map(|k| k.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), KINDS.len());
        assert!(KINDS.iter().all(|k| !k.identity.is_empty()));
    }
}
