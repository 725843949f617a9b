//! Reading a file the user names (a request body, a scenario) whole, with a
//! limit, so that `/dev/zero` or a huge file is an error rather than all of
//! memory.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileTypeExt;
use std::path::Path;

/// The largest request body, and the most that a scenario's `< ./file`
/// bodies may add up to.
pub(crate) const MAX_BODY: u64 = 1 << 30;

/// Read `path` whole, if it is at most `limit` bytes. Only a regular file or
/// a pipe (`<(cmd)`, `/dev/stdin`) is read: a device such as `/dev/zero`
/// never ends. A file past `limit` is an error of kind `FileTooLarge`,
/// found from its size when it has one and otherwise after reading
/// `limit + 1` bytes, never more.
pub(crate) fn read(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let file = File::open(path)?;
    let meta = file.metadata()?;
    if !(meta.is_file() || meta.file_type().is_fifo()) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file or a pipe",
        ));
    }
    let too_large = || io::Error::new(io::ErrorKind::FileTooLarge, "too large");
    if meta.len() > limit {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::path::PathBuf;

    /// A scratch file path, removed on drop.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let path =
                std::env::temp_dir().join(format!("stampede-whole-{}-{name}", std::process::id()));
            let _ = std::fs::remove_file(&path);
            Scratch(path)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    #[test]
    fn reads_a_file_up_to_the_limit() {
        let f = Scratch::new("small");
        std::fs::write(&f.0, b"hello").unwrap();
        assert_eq!(read(&f.0, 5).unwrap(), b"hello");
        assert_eq!(
            read(&f.0, 4).unwrap_err().kind(),
            io::ErrorKind::FileTooLarge
        );
    }

    #[test]
    fn a_large_file_is_refused_by_its_size_without_reading_it() {
        let f = Scratch::new("sparse");
        File::create(&f.0).unwrap().set_len(MAX_BODY + 1).unwrap();
        let e = read(&f.0, MAX_BODY).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::FileTooLarge);
    }

    #[test]
    fn devices_and_directories_are_refused() {
        for path in ["/dev/zero", "/"] {
            let e = read(Path::new(path), MAX_BODY).unwrap_err();
            assert_eq!(e.to_string(), "not a regular file or a pipe", "{path}");
        }
    }

    #[test]
    fn a_pipe_is_read_up_to_the_limit_and_no_further() {
        let f = Scratch::new("fifo");
        let made = std::process::Command::new("mkfifo").arg(&f.0).status();
        assert!(made.unwrap().success(), "mkfifo");
        let writer = {
            let path = f.0.clone();
            // Writes until the reader goes away: far more than the limit.
            std::thread::spawn(move || {
                let mut pipe = std::fs::OpenOptions::new().write(true).open(path).unwrap();
                let chunk = [b'x'; 4096];
                while pipe.write_all(&chunk).is_ok() {}
            })
        };
        let e = read(&f.0, 10_000).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::FileTooLarge);
        writer.join().unwrap();
    }
}
