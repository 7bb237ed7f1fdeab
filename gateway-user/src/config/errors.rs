//! Configuration errors, written for the person at the terminal: each one says
//! where (`file:line:col`) and what is wrong.
use std::{
    fmt,
    path::{Path, PathBuf},
};

/// A position in the configuration file (1-based line and column).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Location {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub col: usize,
}

/// One problem in the configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// Where it is, when known.
    pub location: Option<Location>,
    /// What is wrong.
    pub message: String,
}

/// Every problem found in one configuration file.
#[derive(Clone, Debug)]
pub struct ConfigErrors {
    /// The file (as given by the user).
    pub file: PathBuf,
    /// The problems, in file order.
    pub errors: Vec<ConfigError>,
    /// The file could not be read at all (`gateway check` exits 2).
    pub unreadable: bool,
}

impl ConfigErrors {
    /// The file could not be read.
    pub fn unreadable(file: &Path, err: &std::io::Error) -> Self {
        ConfigErrors {
            file: file.to_path_buf(),
            errors: vec![ConfigError {
                location: None,
                message: format!("cannot read the file: {err}"),
            }],
            unreadable: true,
        }
    }

    /// One error.
    pub fn single(file: &Path, location: Option<Location>, message: String) -> Self {
        ConfigErrors {
            file: file.to_path_buf(),
            errors: vec![ConfigError { location, message }],
            unreadable: false,
        }
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file.display();
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            match e.location {
                Some(Location { line, col }) => write!(f, "{file}:{line}:{col}: {}", e.message)?,
                None => write!(f, "{file}: {}", e.message)?,
            }
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}
