//! `results.csv.meta`, written beside results.csv when a run starts: what
//! was tested (the target and the plan) and each task's method, in the
//! run's order. The CSV alone stays the contract: `report` reads this file
//! when it finds one beside a CSV, to label and order what the CSV cannot
//! tell, and works as before without it.
//!
//! It is a small CSV of `kind,value,name` rows, so names with commas,
//! quotes or newlines need no escaper of their own:
//!
//! ```text
//! kind,value,name
//! target,http://127.0.0.1:8080/hello,
//! plan,"50 users, all at once, for 10s",
//! task,GET,hello
//! ```

use std::io;
use std::path::{Path, PathBuf};

/// The largest meta file read: room for a plan and many long task names,
/// far below what would strain memory.
const MAX_META: u64 = 64 << 20;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct RunMeta {
    pub target: String,
    /// The load in words, as the run announced it.
    pub plan: String,
    /// (method, name) per task, in the run's order.
    pub tasks: Vec<(String, String)>,
}

impl RunMeta {
    /// Where the meta file of `csv` goes: beside it, named after it, and
    /// not ending in `.csv`, so that `report *.csv` never takes it for one.
    pub(crate) fn path_for(csv: &Path) -> PathBuf {
        let mut name = csv.as_os_str().to_owned();
        name.push(".meta");
        PathBuf::from(name)
    }

    pub(crate) fn write(&self, path: &Path) -> io::Result<()> {
        let mut out = csv::Writer::from_path(path)?;
        out.write_record(["kind", "value", "name"])?;
        out.write_record(["target", &self.target, ""])?;
        out.write_record(["plan", &self.plan, ""])?;
        for (method, name) in &self.tasks {
            out.write_record(["task", method, name])?;
        }
        out.flush()
    }

    /// The meta file beside `csv`, if there is one. A file that is there
    /// but unreadable is an error: it would silently mislabel the report.
    pub(crate) fn find(csv: &Path) -> Result<Option<RunMeta>, String> {
        let path = Self::path_for(csv);
        let bytes = match crate::whole_file::read(&path, MAX_META) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        Self::parse(&bytes)
            .map(Some)
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    fn parse(bytes: &[u8]) -> Result<RunMeta, String> {
        let mut meta = RunMeta::default();
        let mut rows = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
        for (i, row) in rows.records().enumerate() {
            let row = row.map_err(|e| format!("line {}: {e}", i + 2))?;
            let field = |k: usize| row.get(k).unwrap_or("").to_string();
            match row.get(0) {
                Some("target") => meta.target = field(1),
                Some("plan") => meta.plan = field(1),
                Some("task") => meta.tasks.push((field(1), field(2))),
                // Kinds a later version adds are skipped.
                _ => {}
            }
        }
        Ok(meta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_reads_back_any_names() {
        let dir = std::env::temp_dir().join(format!("stampede-meta-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let csv = dir.join("results.csv");
        assert_eq!(RunMeta::path_for(&csv), dir.join("results.csv.meta"));
        assert_eq!(RunMeta::find(&csv), Ok(None), "no meta file: no meta");
        let meta = RunMeta {
            target: "http://127.0.0.1:1/x?a=1,2".into(),
            plan: "50 users, all at once, for 10s".into(),
            tasks: vec![
                ("GET".into(), "odd, \"name\"\nwith a newline".into()),
                ("POST".into(), "upload".into()),
            ],
        };
        meta.write(&RunMeta::path_for(&csv)).unwrap();
        assert_eq!(RunMeta::find(&csv), Ok(Some(meta)));
        std::fs::write(
            RunMeta::path_for(&csv),
            "kind,value,name\nfuture,x,y\ntask,GET\n",
        )
        .unwrap();
        let read = RunMeta::find(&csv).unwrap().unwrap();
        assert_eq!(read.tasks, vec![("GET".to_string(), String::new())]);
        std::fs::write(RunMeta::path_for(&csv), b"kind,value,name\ntask,\xff,x\n").unwrap();
        assert!(RunMeta::find(&csv).unwrap_err().contains("line 2"));
    }
}
