//! One server per data directory.
//!
//! Two servers on one database would each hand out `seq`s and deliver live only to their
//! own clients, so the second one refuses to start. The lock is an operating-system file
//! lock: it goes away with the process, also when the process is killed, so a crash never
//! leaves a stale lock behind.

use std::fs::{File, OpenOptions, TryLockError};
use std::io;
use std::path::{Path, PathBuf};

/// Name of the lock file inside the data directory.
pub const LOCK_FILE: &str = "wirechat.lock";

/// The exclusive right to one data directory, held until dropped.
#[derive(Debug)]
pub struct DataLock {
    _file: File,
    path: PathBuf,
}

impl DataLock {
    /// Takes the lock on `data_dir`, creating the directory and its lock file when missing.
    ///
    /// Fails, naming the directory, when another process holds the lock or when the
    /// directory or the file cannot be created.
    pub fn acquire(data_dir: &Path) -> io::Result<Self> {
        std::fs::create_dir_all(data_dir).map_err(|err| {
            io::Error::new(
                err.kind(),
                format!(
                    "cannot create the data directory {}: {err}",
                    data_dir.display()
                ),
            )
        })?;
        let path = data_dir.join(LOCK_FILE);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|err| {
                io::Error::new(
                    err.kind(),
                    format!("cannot open the lock file {}: {err}", path.display()),
                )
            })?;
        match file.try_lock() {
            Ok(()) => Ok(Self { _file: file, path }),
            Err(TryLockError::WouldBlock) => Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                format!(
                    "the data directory {} is in use by another wirechat-server \
                     (it holds {}); stop that server or choose another --data-dir",
                    data_dir.display(),
                    path.display()
                ),
            )),
            Err(TryLockError::Error(err)) => Err(io::Error::new(
                err.kind(),
                format!("cannot lock {}: {err}", path.display()),
            )),
        }
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_one_directory_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let first = DataLock::acquire(dir.path()).unwrap();
        let err = DataLock::acquire(dir.path()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
        assert!(err
            .to_string()
            .contains("in use by another wirechat-server"));
        drop(first);
        DataLock::acquire(dir.path()).unwrap();
    }
}
