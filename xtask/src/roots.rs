//! Which shapes twh uses: the one table to edit when a resource kind needs another shape.
//!
//! Everything reachable from these roots (through members, list members, map keys and
//! values) is generated, once per service. Input roots get conversions *to* the SDK
//! (`TryFrom<types::X> for aws_sdk_*::types::X`, and for operation inputs the SDK's
//! operation input builder); output roots get conversions *from* the SDK
//! (`From<aws_sdk_*::types::X> for types::X`), which is how providers turn a live resource
//! into JSON. Synthesized shapes exist only in twh: serde, JSON Schema and facts, no SDK.

pub struct Service {
    /// Module name, facts `service` name and `codegen/models/{name}.json.gz`.
    pub name: &'static str,
    /// The SDK crate (its version comes from `Cargo.lock`).
    pub sdk: &'static str,
    /// Shapes users write (operation inputs and the shapes providers send on their own).
    pub inputs: &'static [&'static str],
    /// Shapes providers read back from AWS.
    pub outputs: &'static [&'static str],
    pub synthesized: &'static [Synthesized],
    /// Non-structure shapes the synthesized members need that the model lacks.
    pub extra_shapes: &'static [ExtraShape],
}

/// A structure twh defines by copying an AWS structure's members and adding some.
pub struct Synthesized {
    pub name: &'static str,
    /// HTML, like the model's documentation.
    pub doc: &'static str,
    /// The AWS structure whose members (those the SDK supports) are copied, in order.
    pub base: &'static str,
    /// Members of `base` given another shape (name, new shape, doc).
    pub replace: &'static [SynthMember],
    /// Members appended after the copied ones.
    pub extra: &'static [SynthMember],
}

pub struct SynthMember {
    pub name: &'static str,
    pub shape: &'static str,
    pub required: bool,
    /// HTML; starts with "twh:" so readers of the schema know AWS has no such member.
    pub doc: &'static str,
}

pub enum ExtraShape {
    /// Any JSON value.
    Document {
        name: &'static str,
        doc: &'static str,
    },
    Map {
        name: &'static str,
        key: &'static str,
        value: &'static str,
        doc: &'static str,
    },
}

pub const SERVICES: &[Service] = &[
    Service {
        name: "athena",
        sdk: "aws-sdk-athena",
        inputs: &["CreateWorkGroupInput", "UpdateWorkGroupInput"],
        outputs: &["WorkGroup"],
        // An `athena_workgroup` resource: the workgroup as CreateWorkGroup
        // makes it, plus its State, which only UpdateWorkGroup sets (so a
        // disabled workgroup can be declared, as AWS's own update-work-group
        // example disables one).
        synthesized: &[Synthesized {
            name: "WorkGroupSpec",
            doc: "The <code>spec</code> of an <code>athena_workgroup</code> resource (twh's own shape): \
                  the members of CreateWorkGroupInput plus the workgroup's State.",
            base: "CreateWorkGroupInput",
            replace: &[],
            extra: &[SynthMember {
                name: "State",
                shape: "WorkGroupState",
                required: false,
                doc: "twh: whether the workgroup is ENABLED (the default) or DISABLED; queries \
                      cannot run in a disabled workgroup. Applied with UpdateWorkGroup, after \
                      CreateWorkGroup when a new workgroup is declared DISABLED.",
            }],
        }],
        extra_shapes: &[],
    },
    Service {
        name: "glue",
        sdk: "aws-sdk-glue",
        inputs: &[
            "CreateDatabaseRequest",
            "UpdateDatabaseRequest",
            "CreateTableRequest",
            "UpdateTableRequest",
            "CreateCrawlerRequest",
            "UpdateCrawlerRequest",
            "CreateJobRequest",
            "UpdateJobRequest",
        ],
        outputs: &["Database", "Table", "Crawler", "Job"],
        synthesized: &[],
        extra_shapes: &[],
    },
    Service {
        name: "iam",
        sdk: "aws-sdk-iam",
        inputs: &["CreateRoleRequest"],
        outputs: &["Role"],
        // An `iam_role` resource: the role plus its inline and attached policies, with
        // policies as JSON objects (IAM's API takes them as strings).
        synthesized: &[Synthesized {
            name: "RoleSpec",
            doc: "The <code>spec</code> of an <code>iam_role</code> resource (twh's own shape): the members of \
                  CreateRoleRequest, with the trust policy as a JSON object, plus the role's \
                  inline and attached managed policies.",
            base: "CreateRoleRequest",
            replace: &[SynthMember {
                name: "AssumeRolePolicyDocument",
                shape: "PolicyDocument",
                required: true,
                doc: "twh: the trust policy that grants an entity permission to assume the role, \
                      as a JSON policy object (twh serializes it to the string IAM expects).",
            }],
            extra: &[
                SynthMember {
                    name: "Policies",
                    shape: "RoleSpecPolicies",
                    required: false,
                    doc: "twh: the role's inline policies, policy name → JSON policy object \
                          (applied with PutRolePolicy).",
                },
                SynthMember {
                    name: "ManagedPolicyArns",
                    shape: "ArnListType",
                    required: false,
                    doc: "twh: ARNs of the managed policies attached to the role (applied with \
                          AttachRolePolicy and DetachRolePolicy).",
                },
            ],
        }],
        extra_shapes: &[
            ExtraShape::Document {
                name: "PolicyDocument",
                doc: "twh: an IAM policy as a JSON object (any JSON value).",
            },
            ExtraShape::Map {
                name: "RoleSpecPolicies",
                key: "policyNameType",
                value: "PolicyDocument",
                doc: "twh: inline policies by policy name.",
            },
        ],
    },
    Service {
        name: "quicksight",
        sdk: "aws-sdk-quicksight",
        inputs: &[
            "CreateDataSourceRequest",
            "UpdateDataSourceRequest",
            "CreateDataSetRequest",
            "UpdateDataSetRequest",
            // Sent by their own calls (CreateRefreshSchedule, PutDataSetRefreshProperties,
            // UpdateDataSetPermissions, TagResource) as part of a `quicksight_data_set`.
            "RefreshSchedule",
            "DataSetRefreshProperties",
            "ResourcePermission",
            "Tag",
        ],
        outputs: &[
            "DataSource",
            "DataSet",
            "RefreshSchedule",
            "DataSetRefreshProperties",
            "ResourcePermission",
            "Tag",
        ],
        // A `quicksight_data_set` resource: the data set plus its refresh schedules and
        // refresh properties, which AWS manages through separate calls.
        synthesized: &[Synthesized {
            name: "DataSetSpec",
            doc: "The <code>spec</code> of a <code>quicksight_data_set</code> resource (twh's own shape): the members \
                  of CreateDataSetRequest plus the data set's refresh schedules and refresh \
                  properties.",
            base: "CreateDataSetRequest",
            replace: &[],
            extra: &[
                SynthMember {
                    name: "RefreshSchedules",
                    shape: "RefreshSchedules",
                    required: false,
                    doc: "twh: the data set's refresh schedules (applied with \
                          CreateRefreshSchedule, UpdateRefreshSchedule and DeleteRefreshSchedule).",
                },
                SynthMember {
                    name: "RefreshProperties",
                    shape: "DataSetRefreshProperties",
                    required: false,
                    doc: "twh: the data set's refresh properties, such as incremental refresh \
                          (applied with PutDataSetRefreshProperties).",
                },
            ],
        }],
        extra_shapes: &[],
    },
];
