//! Views of a [`Plan`]: the human one (a coloured unified diff of canonical
//! JSON per resource, then a summary line), JSON (`--output json`, versioned)
//! and Markdown (for pull-request comments). All read the same value.

use std::fmt::Write as _;

use serde_json::Value;
use similar::{ChangeTag, TextDiff};

use super::{Action, Change, Plan};

/// Colours on or off; symbols carry the meaning either way.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

/// The human plan.
pub fn human(plan: &Plan, style: Style) -> String {
    let mut out = String::new();
    let changed: Vec<&Change> = plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp || c.drifted)
        .collect();
    if changed.is_empty() {
        let _ = writeln!(
            out,
            "No changes. `{}` matches the files ({} resources checked).",
            plan.env,
            plan.changes.len()
        );
        unmanaged_note(&mut out, plan);
        ownership_note(&mut out, plan);
        return out;
    }
    let _ = writeln!(
        out,
        "twh will make these changes in `{}` (account {}, {}):\n",
        plan.env, plan.identity.account, plan.identity.region
    );
    for c in changed {
        render_change(&mut out, c, style);
    }
    let _ = writeln!(out, "{}", summary_line(plan));
    unmanaged_note(&mut out, plan);
    ownership_note(&mut out, plan);
    out
}

/// What was read to refuse what CloudFormation owns, and what it cost:
/// `all_stacks` can make this the plan's largest expense.
fn ownership_note(out: &mut String, plan: &Plan) {
    if let Some(o) = &plan.cloudformation {
        let _ = writeln!(
            out,
            "CloudFormation: {} stack(s) checked for what they own ({}), {} call(s) of at most {}.",
            o.stacks.len(),
            if o.all_stacks {
                "every stack of the account".to_string()
            } else {
                o.stacks.join(", ")
            },
            o.calls,
            o.max_calls
        );
    }
}

/// Unchanged resources are not listed, but what twh leaves alone on them
/// should not be a surprise: one line says how much and where to look.
fn unmanaged_note(out: &mut String, plan: &Plan) {
    let n = plan
        .changes
        .iter()
        .filter(|c| c.action == Action::NoOp && !c.drifted && !c.unmanaged.is_empty())
        .count();
    if n > 0 {
        let _ = writeln!(
            out,
            "{n} unchanged resource(s) have fields left as they are in AWS (unmanaged); `--output json` lists them."
        );
    }
}

fn render_change(out: &mut String, c: &Change, style: Style) {
    let color = match c.action {
        Action::Create | Action::Adopt => "32",
        Action::Update => "33",
        Action::Replace | Action::Delete | Action::Forget => "31",
        Action::NoOp | Action::Move => "36",
    };
    let mut labels = Vec::new();
    if let Some(old) = &c.moved_from {
        labels.push(format!("moved from {old}"));
    }
    if c.action != Action::Move {
        labels.push(c.action.word().to_string());
    }
    if c.drifted {
        labels.push("drifted: changed outside twh".into());
    }
    if let Some(r) = &c.reason {
        labels.push(r.clone());
    }
    let head = format!("{} {}", c.action.symbol(), c.address);
    let _ = writeln!(
        out,
        "{} ({})",
        style.paint(&format!("1;{color}"), &head),
        labels.join("; ")
    );
    if !c.dependents.is_empty() && matches!(c.action, Action::Replace | Action::Delete) {
        let deps: Vec<String> = c.dependents.iter().map(ToString::to_string).collect();
        let _ = writeln!(out, "    affects: {}", deps.join(", "));
    }
    if !c.unmanaged.is_empty() {
        let _ = writeln!(
            out,
            "    unmanaged (kept as they are in AWS): {}",
            c.unmanaged.join(", ")
        );
    }
    let before = c.before.as_ref().map(pretty).unwrap_or_default();
    let after = c.after.as_ref().map(pretty).unwrap_or_default();
    let diff = TextDiff::from_lines(&before, &after);
    for (i, group) in diff.grouped_ops(3).iter().enumerate() {
        if i > 0 {
            let _ = writeln!(out, "    {}", style.paint("36", "..."));
        }
        for op in group {
            for change in diff.iter_changes(op) {
                let line = change.value().trim_end_matches('\n');
                let text = match change.tag() {
                    ChangeTag::Delete => style.paint("31", &format!("-   {line}")),
                    ChangeTag::Insert => style.paint("32", &format!("+   {line}")),
                    ChangeTag::Equal => format!("    {line}"),
                };
                let _ = writeln!(out, "  {text}");
            }
        }
    }
    out.push('\n');
}

/// `Plan: 1 to create, 2 to update, 0 to replace, 0 to delete; 1 drifted.`
pub fn summary_line(plan: &Plan) -> String {
    let s = &plan.summary;
    let mut line = format!(
        "Plan: {} to create, {} to update, {} to replace, {} to delete",
        s.create, s.update, s.replace, s.delete
    );
    if s.adopt > 0 {
        let _ = write!(line, ", {} to adopt", s.adopt);
    }
    if s.forget > 0 {
        let _ = write!(line, ", {} to forget", s.forget);
    }
    if s.moved > 0 {
        let _ = write!(line, ", {} to move", s.moved);
    }
    let _ = write!(line, "; {} drifted.", s.drifted);
    line
}

/// `--output json`.
pub fn json(plan: &Plan) -> String {
    serde_json::to_string_pretty(plan).unwrap_or_default()
}

/// What a GitHub pull-request comment holds at most (its API refuses a
/// longer body: "Body is too long (maximum is 65536 characters)").
pub const COMMENT_LIMIT: usize = 65_536;

/// A Markdown rendering for pull-request comments, whole.
pub fn markdown(plan: &Plan) -> String {
    let (head, sections) = markdown_parts(plan);
    let mut out = head;
    for s in sections {
        out.push_str(&s.body);
    }
    out
}

/// The Markdown plan in at most `limit` bytes (so at most `limit`
/// characters; 0: no limit). When the whole plan is longer, it is cut
/// between resource sections, never inside a diff: the first sections that
/// fit are kept whole, then a note says that the plan was cut, lists the
/// resources left out (as many as fit), and says where the whole plan is
/// (`full_plan`, Markdown, e.g. the saved plan's path).
pub fn markdown_within(plan: &Plan, limit: usize, full_plan: &str) -> String {
    let (head, sections) = markdown_parts(plan);
    let whole = head.len() + sections.iter().map(|s| s.body.len()).sum::<usize>();
    if limit == 0 || whole <= limit {
        let mut out = head;
        for s in sections {
            out.push_str(&s.body);
        }
        return out;
    }
    let n = sections.len();
    let note = |shown: usize| {
        format!(
            "\n---\n\n**This plan was cut to fit a pull-request comment ({limit} characters).** \
             {shown} of {n} changed resources are shown above with their diffs; the other {} \
             are listed here without them. {full_plan}\n\n",
            n - shown
        )
    };
    let lines: Vec<&str> = sections.iter().map(|s| s.line.as_str()).collect();
    let more = |k: usize| format!("- and {k} more\n");
    // The note at its longest (numbers at their widest), the list given at
    // most a quarter of what is left: the diffs are what a reviewer reads.
    let fixed = note(n).len() + more(n).len();
    let room = limit.saturating_sub(head.len() + fixed);
    let list_room = (lines.iter().map(|l| l.len()).sum::<usize>()).min(room / 4);
    let mut out = head;
    let mut shown = 0;
    for s in &sections {
        if out.len() + s.body.len() > limit.saturating_sub(fixed + list_room) {
            break;
        }
        out.push_str(&s.body);
        shown += 1;
    }
    out.push_str(&note(shown));
    let rest = &lines[shown..];
    for (i, line) in rest.iter().enumerate() {
        // Room is always kept for "and K more" in place of what follows.
        let left = rest.len() - i;
        if out.len() + line.len() + more(left).len() > limit {
            out.push_str(&more(left));
            break;
        }
        out.push_str(line);
    }
    out
}

/// One resource's part of the Markdown plan, and its one-line form for the
/// list of what a cut plan leaves out.
struct Section {
    body: String,
    line: String,
}

fn markdown_parts(plan: &Plan) -> (String, Vec<Section>) {
    let head = format!(
        "### twh plan for `{}`\n\n{}\n",
        plan.env,
        summary_line(plan)
    );
    let mut sections = Vec::new();
    for c in plan
        .changes
        .iter()
        .filter(|c| c.action != Action::NoOp || c.drifted)
    {
        let moved = c
            .moved_from
            .as_ref()
            .map(|old| format!(" (moved from <code>{old}</code>)"))
            .unwrap_or_default();
        let drifted = if c.drifted { " (drifted)" } else { "" };
        let mut out = format!(
            "\n<details><summary><code>{} {}</code> {}{moved}{drifted}</summary>\n\n",
            c.action.symbol(),
            c.address,
            c.action.word(),
        );
        if !c.unmanaged.is_empty() {
            let _ = write!(
                out,
                "Unmanaged (kept as they are in AWS): `{}`\n\n",
                c.unmanaged.join("`, `")
            );
        }
        out.push_str("```diff\n");
        let before = c.before.as_ref().map(pretty).unwrap_or_default();
        let after = c.after.as_ref().map(pretty).unwrap_or_default();
        let _ = write!(
            out,
            "{}",
            TextDiff::from_lines(&before, &after)
                .unified_diff()
                .context_radius(3)
        );
        out.push_str("```\n</details>\n");
        let moved = c
            .moved_from
            .as_ref()
            .map(|old| format!(" (moved from `{old}`)"))
            .unwrap_or_default();
        let line = format!(
            "- `{} {}` {}{moved}{drifted}\n",
            c.action.symbol(),
            c.address,
            c.action.word()
        );
        sections.push(Section { body: out, line });
    }
    (head, sections)
}
