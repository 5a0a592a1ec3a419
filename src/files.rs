//! The small files a client is pointed at (layer 0: imports nothing of the crate): token files,
//! the credentials file, CA files. Read with a bound: a path may name anything — a device, a
//! log file by mistake — and reading it whole could exhaust the memory of the host process.

use std::io::{self, Read};
use std::path::Path;

/// The most of such a file that is read: far more than any token, key file or CA bundle.
pub(crate) const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// The file's bytes, or an error (`InvalidData`) when it holds more than `max` bytes.
pub(crate) fn read_bounded(path: &Path, max: u64) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(io::Error::new(io::ErrorKind::InvalidData, format!("larger than {max} bytes")));
    }
    Ok(bytes)
}

/// As [`read_bounded`], as UTF-8 text.
pub(crate) fn read_text(path: &Path, max: u64) -> io::Result<String> {
    String::from_utf8(read_bounded(path, max)?)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not UTF-8 text"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_over_the_bound_is_refused_without_reading_it_whole() {
        let e = read_bounded(Path::new("/dev/zero"), 1024).unwrap_err();
        assert_eq!((e.kind(), e.to_string()), (io::ErrorKind::InvalidData, "larger than 1024 bytes".into()));
        let path = std::env::temp_dir().join(format!("apig-files-test-{}", std::process::id()));
        std::fs::write(&path, "token\n").unwrap();
        assert_eq!(read_text(&path, 6).unwrap(), "token\n");
        assert!(read_text(&path, 5).is_err());
        std::fs::remove_file(&path).unwrap();
    }
}
