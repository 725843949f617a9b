//! `report`'s loaders fed a fuzzer's bytes as a results file: a CSV, or
//! an HdrHistogram interval log.

use crate::report::Report;
use std::time::Duration;

/// `data`: a flags byte (bit 0: series by task), then the file's bytes.
/// The loader reads files, so the bytes go to a file of this process's own
/// for the time of the call.
pub fn report_csv(data: &[u8]) {
    let [flags, csv @ ..] = data else {
        return;
    };
    let path = std::env::temp_dir().join(format!("stampede-fuzz-{}.csv", std::process::id()));
    std::fs::write(&path, csv).expect("write the fuzz input to a temporary file");
    let loaded = Report::load(&[&path], Duration::from_secs(1), flags & 1 == 1);
    let _ = std::fs::remove_file(&path);
    if let Ok(report) = loaded {
        assert!(report.rows > 0, "a report of no rows was accepted");
        assert!(
            report.scatter.len() as u64 <= report.rows,
            "more points than rows"
        );
    }
}

/// `data`: a flags byte (bit 0: series by task), then the bytes of an
/// HdrHistogram interval log (`run --hdr-log`), read as a `.hlog` file.
pub fn report_hlog(data: &[u8]) {
    let [flags, log @ ..] = data else {
        return;
    };
    let path = std::env::temp_dir().join(format!("stampede-fuzz-{}.hlog", std::process::id()));
    std::fs::write(&path, log).expect("write the fuzz input to a temporary file");
    let loaded = Report::load(&[&path], Duration::from_secs(1), flags & 1 == 1);
    let _ = std::fs::remove_file(&path);
    if let Ok(report) = loaded {
        assert!(
            report.stats.total.requests > 0,
            "a report of no requests was accepted"
        );
        assert!(report.scatter.is_empty(), "points from a log of histograms");
    }
}
