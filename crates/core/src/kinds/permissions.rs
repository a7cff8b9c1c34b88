//! QuickSight permissions: the whole action sets AWS accepts, checked when
//! files are validated, and changes made by granting and revoking whole
//! sets.
//!
//! QuickSight accepts only complete preset action sets in `Permissions`,
//! `GrantPermissions` and `RevokePermissions`. Any other list is refused
//! with InvalidParameterValueException "ResourcePermission list contains
//! unsupported permission sets [...] for this resource. Valid sets : [...]
//! or [...]" (quoted in hashicorp/terraform-provider-aws PR #30400: "all
//! permissions needs to be included in grants, even already present
//! actions"; issue #32680 for revokes). So a file's action list must be one
//! of these sets, and moving a principal from viewer to owner revokes the
//! one set and grants the other, never the difference.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// Data sources: viewer, owner. Terraform's acceptance tests
/// (`internal/service/quicksight/data_source_test.go`,
/// `testAccDataSourceConfig_permissions` and its update step) and AWS's own
/// solutions (aws-solutions/security-insights-on-aws,
/// `createQuickSightDataSets/lib/helpers/permissions.ts`).
pub const DATA_SOURCE: &[&[&str]] = &[
    &[
        "quicksight:DescribeDataSource",
        "quicksight:DescribeDataSourcePermissions",
        "quicksight:PassDataSource",
    ],
    &[
        "quicksight:DescribeDataSource",
        "quicksight:DescribeDataSourcePermissions",
        "quicksight:PassDataSource",
        "quicksight:UpdateDataSource",
        "quicksight:DeleteDataSource",
        "quicksight:UpdateDataSourcePermissions",
    ],
];

/// Data sets: viewer; owner as the API reference and AWS's solutions grant
/// it; and owner as the console grants it since refresh schedules became
/// API resources (the same ten plus the refresh-schedule and
/// refresh-properties actions, as Terraform and CDK estates on real AWS
/// use it).
pub const DATA_SET: &[&[&str]] = &[
    &[
        "quicksight:DescribeDataSet",
        "quicksight:DescribeDataSetPermissions",
        "quicksight:PassDataSet",
        "quicksight:DescribeIngestion",
        "quicksight:ListIngestions",
    ],
    &[
        "quicksight:DescribeDataSet",
        "quicksight:DescribeDataSetPermissions",
        "quicksight:PassDataSet",
        "quicksight:DescribeIngestion",
        "quicksight:ListIngestions",
        "quicksight:UpdateDataSet",
        "quicksight:DeleteDataSet",
        "quicksight:CreateIngestion",
        "quicksight:CancelIngestion",
        "quicksight:UpdateDataSetPermissions",
    ],
    &[
        "quicksight:DescribeDataSet",
        "quicksight:DescribeDataSetPermissions",
        "quicksight:PassDataSet",
        "quicksight:DescribeIngestion",
        "quicksight:ListIngestions",
        "quicksight:UpdateDataSet",
        "quicksight:DeleteDataSet",
        "quicksight:CreateIngestion",
        "quicksight:CancelIngestion",
        "quicksight:UpdateDataSetPermissions",
        "quicksight:CreateRefreshSchedule",
        "quicksight:DescribeRefreshSchedule",
        "quicksight:ListRefreshSchedules",
        "quicksight:UpdateRefreshSchedule",
        "quicksight:DeleteRefreshSchedule",
        "quicksight:PutDataSetRefreshProperties",
        "quicksight:DescribeDataSetRefreshProperties",
        "quicksight:DeleteDataSetRefreshProperties",
    ],
];

/// Principal → its actions.
pub type Perms = BTreeMap<String, BTreeSet<String>>;

/// Whether `actions` is exactly one of `sets` (order and duplicates aside).
pub fn is_valid_set(sets: &[&[&str]], actions: &BTreeSet<String>) -> bool {
    sets.iter()
        .any(|s| s.len() == actions.len() && s.iter().all(|a| actions.contains(*a)))
}

/// The sets, for messages: `[a, b, c] or [a, b, c, d]`, smallest first.
pub fn describe_sets(sets: &[&[&str]]) -> String {
    sets.iter()
        .map(|s| format!("[{}]", s.join(", ")))
        .collect::<Vec<_>>()
        .join(" or ")
}

/// Index `i` of `Permissions` whose `Actions` is not a whole set, with its
/// actions, for each such entry of a spec. Entries holding placeholders are
/// checked once resolved (by AWS), not here.
pub fn invalid_entries(sets: &[&[&str]], spec: &Value) -> Vec<(usize, Vec<String>)> {
    if sets.is_empty() {
        return Vec::new();
    }
    let Some(list) = spec.get("Permissions").and_then(Value::as_array) else {
        return Vec::new();
    };
    list.iter()
        .enumerate()
        .filter_map(|(i, p)| {
            let actions: Vec<String> = p
                .get("Actions")?
                .as_array()?
                .iter()
                .map(|a| a.as_str().map(str::to_string))
                .collect::<Option<_>>()?;
            if actions.iter().any(|a| a.contains("${")) {
                return None;
            }
            let set: BTreeSet<String> = actions.iter().cloned().collect();
            (!is_valid_set(sets, &set)).then_some((i, actions))
        })
        .collect()
}

/// What to grant and revoke to turn `live` into `desired`, in whole sets:
/// a principal whose actions change has its whole live set revoked and its
/// whole desired set granted (QuickSight applies revokes before grants in
/// one UpdateDataSourcePermissions or UpdateDataSetPermissions call).
pub fn changes(live: &Perms, desired: &Perms) -> (Perms, Perms) {
    let mut grant = Perms::new();
    let mut revoke = Perms::new();
    for (p, want) in desired {
        match live.get(p) {
            Some(have) if have == want => {}
            Some(have) => {
                revoke.insert(p.clone(), have.clone());
                grant.insert(p.clone(), want.clone());
            }
            None => {
                grant.insert(p.clone(), want.clone());
            }
        }
    }
    for (p, have) in live {
        if !desired.contains_key(p) {
            revoke.insert(p.clone(), have.clone());
        }
    }
    (grant, revoke)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn set(actions: &[&str]) -> BTreeSet<String> {
        actions.iter().map(|a| (*a).to_string()).collect()
    }

    #[test]
    fn only_whole_sets_are_valid() {
        assert!(is_valid_set(DATA_SOURCE, &set(DATA_SOURCE[0])));
        assert!(is_valid_set(DATA_SET, &set(DATA_SET[2])));
        assert!(!is_valid_set(
            DATA_SOURCE,
            &set(&["quicksight:DescribeDataSource", "quicksight:PassDataSource"])
        ));
        assert!(!is_valid_set(DATA_SET, &set(DATA_SOURCE[0])));
    }

    #[test]
    fn invalid_entries_name_their_index() {
        let spec = json!({"Permissions": [
            {"Principal": "a", "Actions": DATA_SOURCE[1]},
            {"Principal": "b", "Actions": ["quicksight:DescribeDataSource", "quicksight:PassDataSource"]},
        ]});
        let bad = invalid_entries(DATA_SOURCE, &spec);
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].0, 1);
        assert!(
            invalid_entries(&[], &spec).is_empty(),
            "kinds without sets are not checked"
        );
    }

    #[test]
    fn a_principal_moved_from_viewer_to_owner_swaps_whole_sets() {
        let viewer = set(DATA_SET[0]);
        let owner = set(DATA_SET[2]);
        let live = Perms::from([
            ("p".into(), viewer.clone()),
            ("gone".into(), viewer.clone()),
        ]);
        let desired = Perms::from([("p".into(), owner.clone()), ("new".into(), viewer.clone())]);
        let (grant, revoke) = changes(&live, &desired);
        assert_eq!(
            grant,
            Perms::from([("p".into(), owner), ("new".into(), viewer.clone())])
        );
        assert_eq!(
            revoke,
            Perms::from([("p".into(), viewer.clone()), ("gone".into(), viewer)])
        );
        for actions in grant.values().chain(revoke.values()) {
            assert!(
                is_valid_set(DATA_SET, actions),
                "every list sent is a whole set"
            );
        }
        assert_eq!(changes(&live, &live), (Perms::new(), Perms::new()));
    }
}
