//! indicatif progress bars, one per stream, for a terminal. The only place
//! indicatif is used; the library reports through [`Reporter`].

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::progress::Reporter;
use crate::summary::StreamSummary;

pub struct Bars {
    multi: MultiProgress,
    bars: Mutex<HashMap<String, ProgressBar>>,
}

impl Bars {
    pub fn new() -> Self {
        Bars {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
            bars: Mutex::new(HashMap::new()),
        }
    }

    fn bar(&self, stream: &str) -> Option<ProgressBar> {
        let mut bars = self.bars.lock().ok()?;
        Some(
            bars.entry(stream.to_owned())
                .or_insert_with(|| {
                    let style = ProgressStyle::with_template(
                        "{spinner:.green} {prefix:<30} {human_pos:>11} records {rate:>9} {msg}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_spinner())
                    .with_key(
                        "rate",
                        |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                            let _ = write!(w, "{:.0}/s", s.per_sec());
                        },
                    );
                    let b = self.multi.add(ProgressBar::new_spinner());
                    b.set_style(style);
                    b.set_prefix(stream.to_owned());
                    b.enable_steady_tick(Duration::from_millis(120));
                    b
                })
                .clone(),
        )
    }

    /// Removes the bars before the summary is printed.
    pub fn clear(&self) {
        let _ = self.multi.clear();
    }
}

impl Default for Bars {
    fn default() -> Self {
        Self::new()
    }
}

impl Reporter for Bars {
    fn stream_started(&self, stream: &str) {
        if let Some(b) = self.bar(stream) {
            b.set_message("starting");
        }
    }

    fn page(&self, stream: &str, _records: u64, total_records: u64, total_pages: u64) {
        if let Some(b) = self.bar(stream) {
            b.set_position(total_records);
            b.set_message(format!("{total_pages} pages"));
        }
    }

    fn note(&self, stream: &str, message: &str) {
        let _ = self.multi.println(format!("{stream}: {message}"));
    }

    fn stream_finished(&self, stream: &str, s: &StreamSummary) {
        if let Some(b) = self.bar(stream) {
            let msg = match &s.error {
                None => format!(
                    "done: {} pages, {} quarantined, {} retries, {} files written",
                    s.pages, s.quarantined, s.retries, s.files_written
                ),
                Some(_) => "FAILED (see below)".to_owned(),
            };
            b.finish_with_message(msg);
        }
    }
}
