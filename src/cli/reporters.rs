//! indicatif progress for sync, on a terminal only; plain lines otherwise.
#![allow(clippy::print_stderr)]

use std::io::IsTerminal as _;
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};

use super::args::Global;
use crate::addr::Address;
use crate::apply::Reporter;
use crate::plan::Action;

/// The reporter for a sync of `total` changes.
pub fn for_apply(g: &Global, total: usize) -> Arc<dyn Reporter> {
    if g.quiet {
        return Arc::new(crate::apply::Silent);
    }
    if std::io::stderr().is_terminal() && !g.no_progress && g.verbose == 0 {
        let bar = ProgressBar::new(total as u64);
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        return Arc::new(Bar(bar));
    }
    Arc::new(Lines)
}

struct Bar(ProgressBar);

impl Reporter for Bar {
    fn start(&self, addr: &Address, action: Action) {
        self.0.set_message(format!("{} {addr}", action.word()));
    }
    fn finish(&self, addr: &Address, action: Action, result: &Result<(), String>) {
        self.0.inc(1);
        match result {
            Ok(()) => self.0.println(format!(
                "{} {addr}: {} done",
                action.symbol(),
                action.word()
            )),
            Err(e) => self
                .0
                .println(format!("! {addr}: {} failed: {e}", action.word())),
        }
        if self.0.position() >= self.0.length().unwrap_or(0) {
            self.0.finish_and_clear();
        }
    }
}

struct Lines;

impl Reporter for Lines {
    fn start(&self, addr: &Address, action: Action) {
        eprintln!("{} {addr}: {}...", action.symbol(), action.word());
    }
    fn finish(&self, addr: &Address, action: Action, result: &Result<(), String>) {
        match result {
            Ok(()) => eprintln!("{} {addr}: {} done", action.symbol(), action.word()),
            Err(e) => eprintln!("! {addr}: {} failed: {e}", action.word()),
        }
    }
}

/// Progress of an operator command's wait (crawls, ingestions, checks): a
/// bar on a terminal, one line per change otherwise, nothing with `-q`.
pub fn for_ops(g: &Global) -> Box<dyn crate::ops::Progress> {
    if g.quiet {
        return Box::new(crate::ops::Silent);
    }
    if std::io::stderr().is_terminal() && !g.no_progress && g.verbose == 0 {
        return Box::new(OpsBar(ProgressBar::hidden()));
    }
    Box::new(OpsLines)
}

struct OpsBar(ProgressBar);

impl crate::ops::Progress for OpsBar {
    fn begin(&self, title: &str, total: usize) {
        self.0.set_length(total as u64);
        self.0.set_position(0);
        self.0.set_prefix(title.to_string());
        self.0.set_style(
            ProgressStyle::with_template(
                "{spinner} {prefix} [{bar:30}] {pos}/{len} {elapsed} {wide_msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        self.0
            .set_draw_target(indicatif::ProgressDrawTarget::stderr());
        self.0
            .enable_steady_tick(std::time::Duration::from_millis(120));
    }
    fn status(&self, id: &str, status: &str) {
        self.0.set_message(format!("{id}: {status}"));
    }
    fn finished(&self, _id: &str, ok: bool, line: &str) {
        self.0.inc(1);
        if !line.is_empty() {
            self.0
                .println(format!("{} {line}", if ok { "✓" } else { "✗" }));
        }
    }
    fn end(&self) {
        self.0.finish_and_clear();
    }
}

struct OpsLines;

impl crate::ops::Progress for OpsLines {
    fn begin(&self, title: &str, _total: usize) {
        eprintln!("{title}...");
    }
    fn status(&self, id: &str, status: &str) {
        eprintln!("  {id}: {status}");
    }
    fn finished(&self, _id: &str, ok: bool, line: &str) {
        if !line.is_empty() {
            eprintln!("{} {line}", if ok { "✓" } else { "✗" });
        }
    }
    fn end(&self) {}
}
