//! Console output that survives a closed pipe.
//!
//! Rust ignores SIGPIPE, so writing to a pipe whose reader is gone fails
//! with EPIPE, and `println!` turns that into a panic. `run ... | head`
//! must still write every file it was asked for and exit as if the console
//! were there, so console output goes through these macros, which drop
//! what cannot be written. Lint rules in lib.rs keep `println!` out.

use std::fmt;
use std::io::Write;

/// Write to stdout; a closed or failing stdout is ignored.
pub(crate) fn write_out(args: fmt::Arguments) {
    let _ = std::io::stdout().lock().write_fmt(args);
}

/// Write to stderr; a closed or failing stderr is ignored.
pub(crate) fn write_err(args: fmt::Arguments) {
    let _ = std::io::stderr().lock().write_fmt(args);
}

/// `print!` that never panics.
macro_rules! out {
    ($($arg:tt)*) => { $crate::console::write_out(format_args!($($arg)*)) };
}

/// `println!` that never panics.
macro_rules! outln {
    ($($arg:tt)*) => { $crate::console::write_out(format_args!("{}\n", format_args!($($arg)*))) };
}

/// `eprintln!` that never panics.
macro_rules! errln {
    ($($arg:tt)*) => { $crate::console::write_err(format_args!("{}\n", format_args!($($arg)*))) };
}

pub(crate) use {errln, out, outln};
