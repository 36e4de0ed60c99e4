//! The honest ledger `capsa lanes` prints: every lane of the seed, whether
//! it runs in the sandbox today, its hard limit, and for the others what
//! blocks them and what would unblock them.

use std::fmt::Write as _;

use crate::manifest::{Manifest, Status};

/// The ledger as text. `installed` says whether a lane's toolchain is in
/// the cache (`None` when the lane has none to install).
pub fn render(lanes: &[Manifest], installed: &dyn Fn(&Manifest) -> Option<bool>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{:<12} {:<24} {:<11} SOURCES", "LANE", "KIND", "STATUS");
    let mut ordered: Vec<&Manifest> = lanes.iter().collect();
    // Usable lanes first, then not-yet, then blocked; by id within each.
    ordered.sort_by_key(|m| {
        let rank = match m.status {
            Status::InSandbox => 0,
            Status::NotYet => 1,
            Status::Blocked => 2,
        };
        (rank, m.id.clone())
    });
    for lane in ordered {
        let extensions: Vec<String> = lane.extensions.iter().map(|e| format!(".{e}")).collect();
        let _ = writeln!(
            out,
            "{:<12} {:<24} {:<11} {}",
            lane.id,
            lane.kind.as_str(),
            lane.status.as_str(),
            extensions.join(" ")
        );
        let mut detail = |label: &str, text: &str| {
            let _ = writeln!(out, "{:<12} {label}: {text}", "");
        };
        if !lane.cli_bin.is_empty() {
            detail("runs", &lane.cli_bin);
        }
        if !lane.source.is_empty() {
            let state = match installed(lane) {
                Some(true) => " (installed)",
                Some(false) => " (fetched on first use, or: capsa lanes install <lane>)",
                None => "",
            };
            detail("from", &format!("{}{state}", lane.source));
        }
        if let Some(limit) = &lane.limit {
            detail("limit", limit);
        }
        if lane.status != Status::InSandbox {
            if let Some(blocker) = &lane.blocker {
                detail("blocker", blocker);
            }
            if let Some(unblock) = &lane.unblock {
                detail("unblock", unblock);
            }
        }
    }
    out.push_str("\nNo lane falls back to a host compiler: every stage that runs is a wasm guest.\n");
    out
}
