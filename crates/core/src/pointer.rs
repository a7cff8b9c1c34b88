//! JSON pointers and the dotted paths users write for them
//! (`Targets.S3Targets[0].Path`). A bottom-floor module: config (validation,
//! `ignore_changes`) and plan (unmanaged fields, replace reasons) both use it,
//! and it uses nothing of twh.

/// `a.b.c` or `/a/b/c` → `/a/b/c`; `a[0].b` → `/a/0/b`.
pub fn to_pointer(path: &str) -> String {
    if path.starts_with('/') {
        return path.to_string();
    }
    let mut out = String::new();
    for seg in path.split('.') {
        let (name, rest) = seg.split_once('[').unwrap_or((seg, ""));
        if !name.is_empty() {
            out.push('/');
            out.push_str(&name.replace('~', "~0").replace('/', "~1"));
        }
        for idx in rest.split('[') {
            let idx = idx.trim_end_matches(']');
            if !idx.is_empty() {
                out.push('/');
                out.push_str(idx);
            }
        }
    }
    out
}

/// `/Targets/S3Targets/0/Path` → `Targets.S3Targets[0].Path`.
pub fn display_path(pointer: &str) -> String {
    let mut out = String::new();
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        if !seg.is_empty() && seg.chars().all(|c| c.is_ascii_digit()) {
            out.push_str(&format!("[{seg}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&seg);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_pointers_round_trip() {
        for (path, pointer) in [
            ("Targets.S3Targets[0].Path", "/Targets/S3Targets/0/Path"),
            ("Tags.a/b", "/Tags/a~1b"),
            ("Name", "/Name"),
        ] {
            assert_eq!(to_pointer(path), pointer);
            assert_eq!(display_path(pointer), path);
        }
        assert_eq!(to_pointer("/a/b"), "/a/b");
    }
}
