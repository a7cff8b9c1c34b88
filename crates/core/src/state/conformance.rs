//! The behaviour every state backend must have (Terraform's
//! `statemgr.TestFull`): the local backend's unit tests and
//! `tests/state_s3.rs` (S3, against the emulator) run it.
#![allow(clippy::panic)]

use super::{Backend, LockInfo, Overwrite, StateError, StateFile};

/// Runs the suite on an empty backend; panics on the first difference.
pub async fn conformance(b: &dyn Backend) {
    assert!(b.read().await.expect("read empty").is_none());
    let mut s = StateFile::new("dev");
    s.serial = 7;
    b.write(&s).await.expect("write");
    assert_eq!(b.read().await.expect("read").expect("present"), s);

    let first = LockInfo::new("sync");
    b.lock(&first).await.expect("first lock");
    let second = LockInfo::new("sync");
    match b.lock(&second).await {
        Err(StateError::Locked { holder }) => assert_eq!(holder.id, first.id),
        other => panic!("second lock must fail naming the holder, got {other:?}"),
    }
    assert!(matches!(
        b.unlock(&second.id).await,
        Err(StateError::NotLocked { .. })
    ));
    b.unlock(&first.id).await.expect("unlock");
    assert!(b.lock_holder().await.expect("holder").is_none());
    b.lock(&second).await.expect("lock after unlock");
    b.unlock(&second.id).await.expect("unlock again");

    // A lock create whose answer was lost finds its own lock on retry.
    let mine = LockInfo::new("sync");
    let text = serde_json::to_string_pretty(&mine).expect("json");
    assert!(b.create_lock(&text).await.expect("create"));
    b.lock(&mine).await.expect("the lock found is ours");
    b.unlock(&mine.id).await.expect("unlock ours");

    // Writes must succeed the stored state unless forced.
    let mut next = s.clone();
    assert!(matches!(
        b.write(&next).await,
        Err(StateError::NotNewer {
            stored: 7,
            given: 7,
            ..
        })
    ));
    next.serial = 8;
    b.write(&next).await.expect("successor");
    let other = StateFile::new("dev");
    assert!(matches!(
        b.write(&StateFile {
            serial: 9,
            ..other.clone()
        })
        .await,
        Err(StateError::Lineage { .. })
    ));
    b.store(&other, Overwrite::Any).await.expect("forced");
    assert_eq!(b.read().await.expect("read").expect("present"), other);
}
