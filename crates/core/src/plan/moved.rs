//! Which state record each declared resource is planned from, when its
//! address changed: the declared moves (`moved_from`, `moved` lists; see
//! `config::moves`), then, for a resource state knows under another
//! address only, its AWS identity. A renamed resource is therefore never a
//! delete and a create, with or without a move declared.
//!
//! As in Terraform (internal/refactoring/move_execute.go), a move whose old
//! address state does not know is a no-op (a new estate, or a move already
//! applied), and chains are followed to their end. Where Terraform lets an
//! object already at the new address win and plans to destroy the one at
//! the old address (with the warning "Unresolved resource instance address
//! changes"), twh refuses the plan: in CI nobody reads the warning, and when
//! both records name the same AWS resource the destroy deletes it.

use std::collections::{BTreeMap, BTreeSet};

use crate::addr::Address;
use crate::config::Config;
use crate::diag::{Diagnostic, Diagnostics};
use crate::state::StateFile;

use super::Desired;

/// New address → the address state holds its record under.
#[derive(Debug, Default)]
pub struct Moves {
    pub into: BTreeMap<Address, Address>,
}

impl Moves {
    /// State addresses whose record moves to a declared resource.
    pub fn consumed(&self) -> BTreeSet<&Address> {
        self.into.values().collect()
    }
}

/// The moves to make in `state` for `desired`. Conflicts are errors.
pub fn moves(
    cfg: &Config,
    state: &StateFile,
    desired: &BTreeMap<Address, Desired>,
    errors: &mut Diagnostics,
) -> Moves {
    let mut into: BTreeMap<Address, Address> = BTreeMap::new();
    for old in state.resources.keys() {
        let Some(to) = cfg.moved_to(old) else {
            continue;
        };
        let at = cfg.moves.get(old).map(|m| m.at.clone());
        if state.resources.contains_key(to) {
            errors.push(
                Diagnostic::error(format!(
                    "`{old}` is moved to `{to}`, but state already has a resource at `{to}`"
                ))
                .at(at)
                .detail(format!(
                    "`{old}` is {} `{}` and `{to}` is {} `{}`",
                    state.resources[old].kind,
                    state.resources[old].id,
                    state.resources[to].kind,
                    state.resources[to].id
                ))
                .hint(format!(
                    "if they are the same AWS resource, `twh state rm {old}`; if not, `twh state mv` one of them to another address (or remove the move, and the plan deletes `{old}`)"
                )),
            );
            continue;
        }
        if let Some(first) = into.get(to) {
            errors.push(
                Diagnostic::error(format!(
                    "both `{first}` and `{old}` are in state, and both are moved to `{to}`"
                ))
                .at(at)
                .hint(format!(
                    "`twh state rm` the one that is not `{to}`'s AWS resource, or `twh state mv` it elsewhere"
                )),
            );
            continue;
        }
        into.insert(to.clone(), old.clone());
    }
    // A resource state knows only under an address no file declares (its
    // `name` changed, with no move declared): the same AWS identity is the
    // same resource.
    let mut taken: BTreeSet<Address> = into.values().cloned().collect();
    for d in desired.values().filter(|d| d.kind.managed) {
        if state.resources.contains_key(&d.addr) || into.contains_key(&d.addr) {
            continue;
        }
        let found = state.resources.iter().find(|(a, r)| {
            !desired.contains_key(*a)
                && !taken.contains(*a)
                && r.kind == d.kind.name
                && r.id == d.attributes.id
        });
        if let Some((old, _)) = found {
            taken.insert(old.clone());
            into.insert(d.addr.clone(), old.clone());
        }
    }
    Moves { into }
}
