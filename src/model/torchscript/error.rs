//! One error type for everything a TorchScript model can get wrong. Every
//! variant names the file, and the method or attribute where there is one,
//! so a performer reading it in the log knows what to fix.

use std::fmt;
use std::path::{Path, PathBuf};

/// What went wrong with a TorchScript model; each variant names the file.
#[derive(Clone, Debug, PartialEq)]
pub enum TorchScriptError {
    /// Not a zip, no `data.pkl`, unreadable pickle, or not a scripted module.
    NotTorchScript {
        /// The model file.
        path: PathBuf,
        /// Why it is not one.
        reason: String,
    },
    /// libtorch refused to load the archive.
    Load {
        /// The model file.
        path: PathBuf,
        /// libtorch's message.
        message: String,
    },
    /// The model has no method of that name.
    NoSuchMethod {
        /// The model file.
        path: PathBuf,
        /// The method asked for.
        method: String,
        /// The methods it has.
        available: Vec<String>,
    },
    /// The model has no attribute of that name.
    NoSuchAttribute {
        /// The model file.
        path: PathBuf,
        /// The attribute asked for.
        attribute: String,
        /// The attributes it has.
        available: Vec<String>,
    },
    /// Input of the wrong size or channel count for a method.
    Shape {
        /// The model file.
        path: PathBuf,
        /// The method called.
        method: String,
        /// What was expected and what came.
        message: String,
    },
    /// The model's code raised an error.
    Call {
        /// The model file.
        path: PathBuf,
        /// The method called.
        method: String,
        /// The error the model's code raised, as libtorch reports it.
        message: String,
    },
    /// Values that do not fit an attribute's declared types.
    AttributeType {
        /// The model file.
        path: PathBuf,
        /// The attribute set.
        attribute: String,
        /// What was expected and what came.
        message: String,
    },
    /// The setter ran and returned −1: the model refused the value.
    Refused {
        /// The model file.
        path: PathBuf,
        /// The attribute whose setter refused.
        attribute: String,
    },
    /// Consent for a dataset named in the model's card (`NAME.ts.toml`) was withdrawn.
    Withdrawn {
        /// The model file.
        path: PathBuf,
        /// Who withdrew which use, when, and the contact.
        message: String,
    },
    /// A stream could not be started or changed.
    Stream {
        /// The model file.
        path: PathBuf,
        /// What failed.
        message: String,
    },
}

fn name(path: &Path) -> String {
    path.display().to_string()
}

/// libtorch errors carry a C++ backtrace after the message; keep the lines
/// that say what went wrong.
pub(crate) fn short(message: &str) -> String {
    let lines: Vec<&str> = message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .filter(|l| !l.starts_with("Exception raised from") && !l.starts_with("frame #"))
        .collect();
    let keep: Vec<&str> = lines
        .iter()
        .filter(|l| {
            l.contains("Error")
                || l.contains("error")
                || l.contains("Expected")
                || l.contains("expected")
                || l.starts_with("builtins.")
        })
        .copied()
        .collect();
    let chosen = if keep.is_empty() { lines } else { keep };
    chosen.into_iter().take(4).collect::<Vec<_>>().join(" | ")
}

impl fmt::Display for TorchScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TorchScriptError::NotTorchScript { path, reason } => {
                write!(f, "{}: {reason}", name(path))
            }
            TorchScriptError::Load { path, message } => {
                write!(f, "{}: libtorch cannot load it: {message}", name(path))
            }
            TorchScriptError::NoSuchMethod {
                path,
                method,
                available,
            } => {
                write!(
                    f,
                    "{}: no method '{method}' (it has: {})",
                    name(path),
                    available.join(", ")
                )
            }
            TorchScriptError::NoSuchAttribute {
                path,
                attribute,
                available,
            } => {
                write!(
                    f,
                    "{}: no attribute '{attribute}' (it has: {})",
                    name(path),
                    available.join(", ")
                )
            }
            TorchScriptError::Shape {
                path,
                method,
                message,
            } => write!(f, "{}: method '{method}': {message}", name(path)),
            TorchScriptError::Call {
                path,
                method,
                message,
            } => {
                write!(f, "{}: method '{method}' failed: {message}", name(path))
            }
            TorchScriptError::AttributeType {
                path,
                attribute,
                message,
            } => {
                write!(f, "{}: attribute '{attribute}': {message}", name(path))
            }
            TorchScriptError::Refused { path, attribute } => {
                write!(
                    f,
                    "{}: attribute '{attribute}': the model refused the value (setter returned -1)",
                    name(path)
                )
            }
            TorchScriptError::Withdrawn { path, message } => {
                write!(f, "{}: refused to load: {message}", name(path))
            }
            TorchScriptError::Stream { path, message } => {
                write!(f, "{}: stream: {message}", name(path))
            }
        }
    }
}

impl std::error::Error for TorchScriptError {}
