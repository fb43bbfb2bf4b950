//! Script errors that name the file, line and column.

use std::fmt;
use std::path::PathBuf;

/// A script that did not compile or failed while running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptError {
    /// The script or module file; empty for an error before any file was read.
    pub file: PathBuf,
    /// 1-based; 0 when unknown.
    pub line: usize,
    /// 1-based; 0 when unknown.
    pub column: usize,
    /// rhai's message, or loam's (a refused path, a limit reached).
    pub message: String,
}

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // An error before any file was read (a path refused by the path
        // rule) names its call and path in the message itself.
        if self.file.as_os_str().is_empty() {
            return write!(f, "{}", self.message);
        }
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
            if self.column > 0 {
                write!(f, ":{}", self.column)?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for ScriptError {}

impl ScriptError {
    /// An error at `pos` in `file` (line and column 0 when rhai does not know them).
    pub fn from_position(
        file: &std::path::Path,
        pos: rhai::Position,
        message: String,
    ) -> ScriptError {
        ScriptError {
            file: file.to_path_buf(),
            line: pos.line().unwrap_or(0),
            column: pos.position().unwrap_or(0),
            message,
        }
    }

    /// From a rhai runtime error, keeping its position.
    pub fn from_eval(file: &std::path::Path, err: &rhai::EvalAltResult) -> ScriptError {
        let pos = err.position();
        let mut message = err.to_string();
        // rhai appends " (line L, position C)"; the prefix already says it.
        if let Some(i) = message.rfind(" (line ") {
            message.truncate(i);
        }
        ScriptError::from_position(file, pos, message)
    }
}

/// A script file (or an import) refused before it is compiled: unreadable,
/// not a file, or past a limit. The caller names the file.
#[derive(Debug)]
pub enum ScriptFileError {
    /// The file could not be looked at or read.
    Unreadable(std::io::Error),
    /// A pipe, a device or a folder.
    NotAFile,
    /// More bytes than [`super::host::MAX_SCRIPT_BYTES`].
    TooBig(u64),
    /// More lines than [`super::host::MAX_SCRIPT_LINES`].
    TooManyLines,
    /// This line (1-based) has more characters than [`super::host::MAX_LINE_CHARS`].
    LineTooLong(usize),
}

impl fmt::Display for ScriptFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use super::host::{MAX_LINE_CHARS, MAX_SCRIPT_BYTES, MAX_SCRIPT_LINES};
        match self {
            ScriptFileError::Unreadable(e) => write!(f, "{e}"),
            ScriptFileError::NotAFile => {
                f.write_str("not a regular file (a pipe, a device or a folder?)")
            }
            ScriptFileError::TooBig(bytes) => write!(
                f,
                "{bytes} bytes, more than a script may have ({MAX_SCRIPT_BYTES})"
            ),
            ScriptFileError::TooManyLines => write!(
                f,
                "more than {MAX_SCRIPT_LINES} lines, the most a script may have (MAX_SCRIPT_LINES: past it, errors could not say their line)"
            ),
            ScriptFileError::LineTooLong(number) => write!(
                f,
                "line {number} has more than {MAX_LINE_CHARS} characters, the most a line may have (MAX_LINE_CHARS: past it, errors could not say their column)"
            ),
        }
    }
}

impl std::error::Error for ScriptFileError {}
