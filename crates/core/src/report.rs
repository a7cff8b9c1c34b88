//! One style for every error either binary prints, rendered once, at the
//! top (uv's style):
//!
//! ```text
//! error: cannot read state `state/dev.json`
//!   Caused by: Permission denied (os error 13)
//!
//! hint: check that you may read `state/dev.json`
//! ```
//!
//! Errors keep their causes as `source()` and never repeat them in their own
//! message (smithy-rs RFC 22), so the chain prints each cause once. A hint
//! comes from the error's [`Hint`] implementation, so the code that knows
//! what went wrong also says what to do.

use std::error::Error;

/// What to do about an error, when there is something worth saying.
pub trait Hint {
    fn hint(&self) -> Option<String>;
}

/// `error: ...`, then `  Caused by: ...` for each source, then `hint: ...`.
pub fn render(err: &(dyn Error + 'static), hint: Option<&str>) -> String {
    let mut out = format!("error: {err}");
    let mut cur = err.source();
    while let Some(cause) = cur {
        out.push_str(&format!("\n  Caused by: {cause}"));
        cur = cause.source();
    }
    if let Some(h) = hint {
        out.push_str(&format!("\n\nhint: {h}"));
    }
    out
}

/// [`render`] with the error's own hint.
pub fn render_with_hint<E: Error + Hint + 'static>(err: &E) -> String {
    render(err, err.hint().as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot read state `s.json`")]
    struct Outer(#[source] std::io::Error);

    impl Hint for Outer {
        fn hint(&self) -> Option<String> {
            Some("check the file's permissions".into())
        }
    }

    #[test]
    fn renders_each_cause_once_then_the_hint() {
        let e = Outer(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            "Permission denied",
        ));
        assert_eq!(
            render_with_hint(&e),
            "error: cannot read state `s.json`\n  Caused by: Permission denied\n\nhint: check the file's permissions"
        );
    }
}
