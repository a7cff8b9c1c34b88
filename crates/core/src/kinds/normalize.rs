//! Normalization before comparing: the same function runs on the desired spec
//! and on the live value read back from AWS, so that fields AWS fills on the
//! server, set ordering and equivalent spellings never show as a change.

use serde_json::{Map, Value};

use super::KindDef;

/// The comparable form of a spec of `kind`.
pub fn normalize(kind: &KindDef, spec: &Value) -> Value {
    let mut v = spec.clone();
    prune_empty(&mut v);
    for (pointer, default) in kind.defaults {
        if let Ok(default) = serde_json::from_str::<Value>(default) {
            apply_default(&mut v, pointer, default);
        }
    }
    if let Some(extra) = kind.normalize_extra {
        extra(&mut v);
    }
    for pattern in kind.sets {
        sort_sets(&mut v, pattern);
    }
    prune_empty(&mut v);
    canonical(&v)
}

/// Objects with sorted keys, recursively: the form plans and state print.
/// A number is its value: JSON has one number type, and AWS answers `2.0`
/// for a double member sent as `2` (GetJob's `MaxCapacity`), so a whole
/// float is written as the integer it equals.
pub fn canonical(v: &Value) -> Value {
    match v {
        Value::Number(n) if n.is_f64() => n
            .as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0)
            .map(|f| Value::from(f as i64))
            .unwrap_or_else(|| v.clone()),
        Value::Object(m) => {
            let mut keys: Vec<_> = m.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for k in keys {
                out.insert(k.clone(), canonical(&m[k]));
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

/// AWS does not distinguish an absent list or map from an empty one, nor an
/// absent member from `null`; drop both so they compare equal.
pub fn prune_empty(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for child in m.values_mut() {
                prune_empty(child);
            }
            m.retain(|_, c| !is_empty(c));
        }
        Value::Array(a) => a.iter_mut().for_each(prune_empty),
        _ => {}
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.is_empty(),
        _ => false,
    }
}

/// Fills `default` at `pointer` when absent; for objects, fills each missing
/// member (a user who sets only `UpdateBehavior` still gets the server's
/// `DeleteBehavior`).
fn apply_default(v: &mut Value, pointer: &str, default: Value) {
    let Some((parent, key)) = pointer.rsplit_once('/') else {
        return;
    };
    let Some(Value::Object(parent)) = v.pointer_mut(parent) else {
        return;
    };
    match (parent.get_mut(key), default) {
        (None, d) => {
            parent.insert(key.to_string(), d);
        }
        (Some(Value::Object(existing)), Value::Object(d)) => {
            for (k, dv) in d {
                existing.entry(k).or_insert(dv);
            }
        }
        _ => {}
    }
}

/// Sorts every array matched by `pattern` (`*` = any index or key) by the
/// elements' canonical JSON text.
fn sort_sets(v: &mut Value, pattern: &str) {
    let segments: Vec<&str> = pattern.split('/').skip(1).collect();
    sort_at(v, &segments);
}

fn sort_at(v: &mut Value, segments: &[&str]) {
    match segments.split_first() {
        None => {
            if let Value::Array(a) = v {
                a.sort_by_cached_key(|e| canonical(e).to_string());
                a.dedup();
            }
        }
        Some((&"*", rest)) => match v {
            Value::Array(a) => a.iter_mut().for_each(|e| sort_at(e, rest)),
            Value::Object(m) => m.values_mut().for_each(|e| sort_at(e, rest)),
            _ => {}
        },
        Some((seg, rest)) => {
            if let Some(child) = v.get_mut(*seg) {
                sort_at(child, rest);
            }
        }
    }
}

/// A role given as an ARN compares equal to the form GetCrawler returns:
/// the role's name with its path and no leading slash, so
/// `arn:aws:iam::ID:role/service-role/X` is `service-role/X` (Terraform's
/// `TestAccAWSGlueCrawler_Role_ARN_Path`, PR #6293: "The IAM role friendly
/// name (including path without leading slash), or ARN"; docs/AWS_EVIDENCE.md
/// §2). A role with a path named without it is another role to Glue and
/// stays a difference. `Configuration` is JSON in a string and is compared
/// as JSON; an empty `TablePrefix`/`Schedule`/`Description`/
/// `CrawlerSecurityConfiguration` is the same as none (`""` is how
/// UpdateCrawler clears them).
pub fn glue_crawler(v: &mut Value) {
    if let Some(Value::String(role)) = v.get_mut("Role")
        && let Some(name) = role
            .strip_prefix("arn:")
            .and_then(|r| r.split_once(":role/"))
            .map(|(_, name)| name.to_string())
    {
        *role = name;
    }
    json_string(v, "Configuration");
    if let Value::Object(m) = v {
        for key in [
            "TablePrefix",
            "Schedule",
            "Description",
            "CrawlerSecurityConfiguration",
        ] {
            if m.get(key).and_then(Value::as_str) == Some("") {
                m.remove(key);
            }
        }
    }
}

/// Table storage descriptors come back with `Compressed: false` and
/// `NumberOfBuckets: -1`/`0` filled in; treat them as the defaults they are.
pub fn glue_table(v: &mut Value) {
    if let Some(Value::Object(sd)) = v.pointer_mut("/TableInput/StorageDescriptor") {
        if sd.get("Compressed") == Some(&Value::Bool(false)) {
            sd.remove("Compressed");
        }
        if matches!(
            sd.get("NumberOfBuckets").and_then(Value::as_i64),
            Some(-1 | 0)
        ) {
            sd.remove("NumberOfBuckets");
        }
        if sd.get("StoredAsSubDirectories") == Some(&Value::Bool(false)) {
            sd.remove("StoredAsSubDirectories");
        }
    }
}

/// `DefaultArguments` and `NonOverridableArguments` are maps; job `Command`
/// gets Glue's default Python version.
pub fn glue_job(v: &mut Value) {
    if let Some(Value::Object(cmd)) = v.get_mut("Command")
        && cmd.get("Name").and_then(Value::as_str) == Some("glueetl")
    {
        cmd.entry("PythonVersion")
            .or_insert(Value::String("3".into()));
    }
}

/// A refresh schedule's `Arn` is output-only, and QuickSight sets
/// `StartAfterDateTime` to the creation time when the file leaves it out, so
/// it is not compared (Terraform's provider makes the same call: optional
/// and computed). A changed start date alone is therefore not a diff.
pub fn quicksight_data_set(v: &mut Value) {
    if let Some(Value::Array(schedules)) = v.get_mut("RefreshSchedules") {
        for s in schedules.iter_mut().filter_map(Value::as_object_mut) {
            s.remove("Arn");
            s.remove("StartAfterDateTime");
        }
    }
}

/// Views compare on whitespace-normalized SQL without a trailing `;`.
pub fn athena_view(v: &mut Value) {
    if let Some(Value::String(sql)) = v.get_mut("Sql") {
        *sql = normalize_sql(sql);
    }
}

/// Collapses runs of whitespace outside quotes, trims, drops a trailing `;`.
pub fn normalize_sql(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quote: Option<char> = None;
    let mut pending_space = false;
    for c in sql.trim().trim_end_matches(';').trim_end().chars() {
        match quote {
            Some(q) => {
                out.push(c);
                if c == q {
                    quote = None;
                }
            }
            None if c.is_whitespace() => pending_space = true,
            None => {
                if pending_space && !out.is_empty() {
                    out.push(' ');
                }
                pending_space = false;
                if c == '\'' || c == '"' {
                    quote = Some(c);
                }
                out.push(c);
            }
        }
    }
    out
}

/// Policy documents compare semantically: URL-decoded, parsed, statements and
/// actions in any order, a single string equal to a one-element list.
pub fn iam_role(v: &mut Value) {
    if let Some(doc) = v.get_mut("AssumeRolePolicyDocument") {
        *doc = policy_document(doc);
    }
    if let Some(Value::Object(policies)) = v.get_mut("Policies") {
        for doc in policies.values_mut() {
            *doc = policy_document(doc);
        }
    }
}

/// The semantic form of an IAM policy document given as JSON or as (possibly
/// URL-encoded) JSON text.
pub fn policy_document(doc: &Value) -> Value {
    let mut parsed = match doc {
        Value::String(s) => {
            let decoded = if s.trim_start().starts_with('%') {
                url::form_urlencoded::parse(format!("x={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_else(|| s.clone())
            } else {
                s.clone()
            };
            match serde_json::from_str::<Value>(&decoded) {
                Ok(v) => v,
                Err(_) => return doc.clone(),
            }
        }
        other => other.clone(),
    };
    if let Some(stmts) = parsed.get_mut("Statement") {
        if stmts.is_object() {
            *stmts = Value::Array(vec![stmts.take()]);
        }
        if let Value::Array(list) = stmts {
            for s in list.iter_mut() {
                normalize_statement(s);
            }
            list.sort_by_cached_key(|e| canonical(e).to_string());
        }
    }
    canonical(&parsed)
}

fn normalize_statement(s: &mut Value) {
    let Value::Object(m) = s else { return };
    for key in ["Action", "NotAction", "Resource", "NotResource"] {
        if let Some(v) = m.get_mut(key) {
            string_set(v);
        }
    }
    if let Some(Value::Object(p)) = m.get_mut("Principal") {
        if let Some(aws) = p.get_mut("AWS") {
            account_principals(aws);
        }
        p.values_mut().for_each(string_set);
    }
    if let Some(Value::Object(c)) = m.get_mut("Condition") {
        for ops in c.values_mut() {
            if let Value::Object(ops) = ops {
                ops.values_mut().for_each(string_set);
            }
        }
    }
}

/// An account principal may be written as its id (`"123456789012"`) or as
/// its root ARN (`arn:aws:iam::123456789012:root`), and IAM stores the first
/// as the second (IAM User Guide, "AWS JSON policy elements: Principal",
/// AWS account principals: "The account ARN and the shortened account ID
/// behave the same way"; the AWS CLI's create-role examples print trust
/// principals as root ARNs; Terraform's awspolicyequivalence: "Handle AWS
/// converting account ID principal to root IAM user ARN"). Both compare as
/// the account id, whatever the partition. This is what the two spellings
/// mean, not one rewrite to absorb: a role twh imports or adopts has no
/// record of what AWS answered, and must not diff either.
fn account_principals(v: &mut Value) {
    match v {
        Value::String(s) => {
            if let Some(id) = root_arn_account(s) {
                *s = id.to_string();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(account_principals),
        _ => {}
    }
}

/// `arn:PARTITION:iam::ACCOUNT:root` → `ACCOUNT`.
fn root_arn_account(s: &str) -> Option<&str> {
    let parts: Vec<&str> = s.strip_prefix("arn:")?.split(':').collect();
    match parts.as_slice() {
        [_, "iam", "", id, "root"] if is_account_id(id) => Some(id),
        _ => None,
    }
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The unique ids (`AROA…` for roles, `AIDA…` for users) in the trust
/// policy of `live` that `expected` does not name. IAM keeps a role or user
/// principal of a trust policy by its unique id and shows its ARN while it
/// exists; once that role or user is deleted it shows the bare id, and a
/// new role of the same name has another id, so the trust is not restored
/// (IAM User Guide, "AWS JSON policy elements: Principal", IAM role
/// principals; AWS re:Post knowledge center, "Why is there an unknown
/// principal format in my IAM resource-based policy?": "The unique
/// principal ID in a resource-based policy indicates that the IAM user or
/// role was deleted ... you must either remove the principal ID or replace
/// it with a valid Principal ARN"). Both sides normalized.
pub fn orphaned_principals(live: &Value, expected: &Value) -> Vec<String> {
    let ids = |v: &Value| -> Vec<String> {
        let mut out = Vec::new();
        let statements = v
            .pointer("/AssumeRolePolicyDocument/Statement")
            .and_then(Value::as_array);
        for s in statements.into_iter().flatten() {
            let aws = s.pointer("/Principal/AWS");
            let list = match aws {
                Some(Value::Array(a)) => a.iter().collect(),
                Some(other) => vec![other],
                None => Vec::new(),
            };
            out.extend(
                list.into_iter()
                    .filter_map(Value::as_str)
                    .filter(|p| is_unique_id(p))
                    .map(String::from),
            );
        }
        out
    };
    let known = ids(expected);
    let mut found: Vec<String> = ids(live)
        .into_iter()
        .filter(|id| !known.contains(id))
        .collect();
    found.sort();
    found.dedup();
    found
}

/// `AROA…` (role) or `AIDA…` (user): an IAM unique id, 4 letters and at
/// least 16 upper-case letters or digits.
fn is_unique_id(s: &str) -> bool {
    (s.starts_with("AROA") || s.starts_with("AIDA"))
        && s.len() >= 20
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

fn string_set(v: &mut Value) {
    let mut items = match v.take() {
        Value::Array(a) => a,
        other => vec![other],
    };
    items.sort_by_cached_key(ToString::to_string);
    items.dedup();
    *v = Value::Array(items);
}

fn json_string(v: &mut Value, key: &str) {
    if let Some(Value::String(s)) = v.get_mut(key)
        && let Ok(parsed) = serde_json::from_str::<Value>(s)
    {
        *s = canonical(&parsed).to_string();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::kind;
    use serde_json::json;

    #[test]
    fn a_number_is_its_value() {
        let k = kind("glue_job").expect("kind");
        let sent = json!({"Name": "j", "MaxCapacity": 2, "Timeout": 60});
        let answered = json!({"Name": "j", "MaxCapacity": 2.0, "Timeout": 60});
        assert_eq!(normalize(k, &sent), normalize(k, &answered));
        let other = json!({"Name": "j", "MaxCapacity": 2.5, "Timeout": 60});
        assert_ne!(normalize(k, &sent), normalize(k, &other));
    }

    #[test]
    fn crawler_defaults_role_and_configuration() {
        let k = kind("glue_crawler").expect("kind");
        let desired = json!({
            "Name": "c", "Role": "arn:aws:iam::123456789012:role/service/crawler",
            "Configuration": "{\"Version\": 1.0, \"CrawlerOutput\": {\"Partitions\": {\"AddOrUpdateBehavior\": \"InheritFromTable\"}}}",
            "SchemaChangePolicy": {"UpdateBehavior": "LOG"},
            "Targets": {"S3Targets": [{"Path": "s3://b/y"}, {"Path": "s3://b/x"}]}
        });
        let live = json!({
            "Name": "c", "Role": "service/crawler",
            "Configuration": "{\"CrawlerOutput\":{\"Partitions\":{\"AddOrUpdateBehavior\":\"InheritFromTable\"}},\"Version\":1.0}",
            "SchemaChangePolicy": {"UpdateBehavior": "LOG", "DeleteBehavior": "DEPRECATE_IN_DATABASE"},
            "RecrawlPolicy": {"RecrawlBehavior": "CRAWL_EVERYTHING"},
            "TablePrefix": "",
            "Targets": {"S3Targets": [{"Path": "s3://b/x"}, {"Path": "s3://b/y", "Exclusions": []}]}
        });
        assert_eq!(normalize(k, &desired), normalize(k, &live));
        // The path is part of the role: without it, GetCrawler's answer
        // names another role.
        let pathless = json!({"Name": "c", "Role": "crawler"});
        let with_arn =
            json!({"Name": "c", "Role": "arn:aws:iam::123456789012:role/service/crawler"});
        assert_ne!(
            normalize(k, &pathless)["Role"],
            normalize(k, &with_arn)["Role"]
        );
        let bare = json!({"Name": "c", "Role": "arn:aws:iam::123456789012:role/crawler"});
        assert_eq!(normalize(k, &bare)["Role"], json!("crawler"));
    }

    /// Issue 11: the list named `SecurityConfiguration`, a key crawlers do
    /// not have, so a crawler whose security configuration was cleared
    /// (read back as `""`) differed from a file without one.
    #[test]
    fn a_cleared_crawler_security_configuration_equals_none() {
        let k = kind("glue_crawler").expect("kind");
        let file = json!({"Name": "c"});
        let live = json!({"Name": "c", "CrawlerSecurityConfiguration": ""});
        assert_eq!(normalize(k, &file), normalize(k, &live));
        let set = json!({"Name": "c", "CrawlerSecurityConfiguration": "sec"});
        assert_ne!(normalize(k, &file), normalize(k, &set));
    }

    #[test]
    fn a_real_change_still_shows() {
        let k = kind("glue_crawler").expect("kind");
        let a = json!({"Name": "c", "SchemaChangePolicy": {"UpdateBehavior": "LOG"}});
        let b = json!({"Name": "c"});
        assert_ne!(normalize(k, &a), normalize(k, &b));
    }

    #[test]
    fn policies_compare_semantically() {
        let a = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"], "Resource": "*"},
            {"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%5B%22glue.amazonaws.com%22%5D%7D%2C%22Action%22%3A%5B%22sts%3AAssumeRole%22%5D%7D%2C%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%5B%22s3%3AGetObject%22%2C%22s3%3APutObject%22%5D%2C%22Resource%22%3A%5B%22*%22%5D%7D%5D%7D";
        assert_eq!(policy_document(&a), policy_document(&json!(encoded)));
        let c = json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]});
        assert_ne!(policy_document(&a), policy_document(&c));
    }

    #[test]
    fn an_account_id_principal_equals_its_root_arn() {
        let k = kind("iam_role").expect("kind");
        let trust = |aws: Value| {
            json!({"RoleName": "r", "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": aws}, "Action": "sts:AssumeRole"}]}})
        };
        // As written in a file, and as IAM stores it (no record: an import).
        let file = trust(json!(["123456789012", "arn:aws:iam::123456789012:role/ci"]));
        let stored = trust(json!([
            "arn:aws:iam::123456789012:role/ci",
            "arn:aws:iam::123456789012:root"
        ]));
        assert_eq!(normalize(k, &file), normalize(k, &stored));
        assert_eq!(
            normalize(k, &trust(json!("111122223333"))),
            normalize(k, &trust(json!("arn:aws-cn:iam::111122223333:root")))
        );
        // Another account, or a role of the account, is another principal.
        assert_ne!(
            normalize(k, &trust(json!("123456789012"))),
            normalize(k, &trust(json!("arn:aws:iam::210987654321:root")))
        );
        assert_ne!(
            normalize(k, &trust(json!("123456789012"))),
            normalize(k, &trust(json!("arn:aws:iam::123456789012:role/root")))
        );
    }

    #[test]
    fn a_deleted_roles_unique_id_is_found_where_the_file_names_an_arn() {
        let k = kind("iam_role").expect("kind");
        let trust = |aws: Value| {
            normalize(
                k,
                &json!({"RoleName": "r", "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Principal": {"AWS": aws}, "Action": "sts:AssumeRole"}]}}),
            )
        };
        let file = trust(json!("arn:aws:iam::123456789012:role/ci"));
        let live = trust(json!("AROA3XFRBF23PQEXAMPLE"));
        assert_ne!(file, live, "a different principal: drift");
        assert_eq!(orphaned_principals(&live, &file), ["AROA3XFRBF23PQEXAMPLE"]);
        assert!(orphaned_principals(&file, &file).is_empty());
        assert!(orphaned_principals(&trust(json!("AROA3XFRBF23PQEXAMPLE")), &live).is_empty());
    }

    #[test]
    fn sql_normalization_keeps_literals() {
        assert_eq!(
            normalize_sql("SELECT  a,\n   b FROM t WHERE x = 'two  spaces' ;"),
            "SELECT a, b FROM t WHERE x = 'two  spaces'"
        );
    }
}
