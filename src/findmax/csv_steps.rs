//! One results.csv for the whole search. Each step is an engine run that
//! writes its own file, its `elapsed_us` counting from the step's start;
//! once the step is done its rows are appended here with `elapsed_us`
//! moved onto the search's clock, so that the file is one run to `report`
//! and `check`. Steps are told apart by the task column (`stepN@RATE/`),
//! and no column is added.

use crate::record::csv_out::HEADER;
use std::fs::File;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

pub(crate) struct StepsCsv {
    path: PathBuf,
    out: csv::Writer<BufWriter<File>>,
}

impl StepsCsv {
    /// Create (empty) the file at `path` and write its header.
    pub(crate) fn create(path: &Path) -> io::Result<StepsCsv> {
        let mut out = csv::WriterBuilder::new()
            .flexible(true)
            .from_writer(BufWriter::new(File::create(path)?));
        out.write_record(HEADER)?;
        out.flush()?;
        Ok(StepsCsv {
            path: path.to_path_buf(),
            out,
        })
    }

    /// Where a step writes its own rows until they are appended: beside
    /// the file, so that the move stays on one disk.
    pub(crate) fn step_path(&self) -> PathBuf {
        let mut name = self.path.as_os_str().to_owned();
        name.push(".step");
        PathBuf::from(name)
    }

    /// Append the rows of the step file, `offset_us` added to each
    /// `elapsed_us`, then remove it.
    pub(crate) fn append_step(&mut self, offset_us: u64) -> io::Result<()> {
        let step = self.step_path();
        let mut rows = csv::ReaderBuilder::new().flexible(true).from_path(&step)?;
        let mut record = csv::ByteRecord::new();
        let mut moved = csv::ByteRecord::new();
        while rows.read_byte_record(&mut record)? {
            let elapsed: u64 = std::str::from_utf8(&record[0])
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| io::Error::other("a step's row has no elapsed_us"))?;
            moved.clear();
            moved.push_field((elapsed + offset_us).to_string().as_bytes());
            for field in record.iter().skip(1) {
                moved.push_field(field);
            }
            self.out.write_byte_record(&moved)?;
        }
        self.out.flush()?;
        std::fs::remove_file(&step)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_appended_on_one_clock() {
        let dir = std::env::temp_dir().join(format!("stampede-steps-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("results.csv");
        let mut all = StepsCsv::create(&path).unwrap();
        let step = all.step_path();
        std::fs::write(
            &step,
            "elapsed_us,latency_us,status,task,wait_us,bytes,error,connect_us,tls_us\n\
             10,5,200,\"step1@100/a,\"\"b\"\"\",0,9,,0,0\n",
        )
        .unwrap();
        all.append_step(1_000_000).unwrap();
        assert!(!step.exists());
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            "elapsed_us,latency_us,status,task,wait_us,bytes,error,connect_us,tls_us\n\
             1000010,5,200,\"step1@100/a,\"\"b\"\"\",0,9,,0,0\n"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
