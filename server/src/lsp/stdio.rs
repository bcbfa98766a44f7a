//! Stdin and stdout for the server loop, read and written on the runtime's own thread.
//!
//! `tokio::io::stdin()` and `stdout()` hand every read and every write to a pool of blocking
//! threads: each message then costs a few thread wake-ups and a lock, which on a busy machine is
//! most of the time from a `didChange` to its diagnostics. Editors connect to a language server
//! through pipes, and a pipe can be polled: when stdin (stdout) is a pipe, it is read (written)
//! in non-blocking mode through the runtime's reactor instead. Anything else (a file, a terminal,
//! a socket), and a stdout that is the same pipe as stderr (non-blocking mode would make a log
//! line fail), keeps tokio's blocking versions.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::MetadataExt;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::unix::pipe;

/// The server's input. Must be called inside the runtime.
pub fn stdin() -> Box<dyn AsyncRead + Unpin + Send> {
    match dup(&io::stdin()).and_then(pipe::Receiver::from_owned_fd) {
        Ok(pipe) => Box::new(pipe),
        Err(_) => Box::new(tokio::io::stdin()),
    }
}

/// The server's output. Must be called inside the runtime.
pub fn stdout() -> Box<dyn AsyncWrite + Unpin + Send> {
    let shared_with_stderr = same_file(&io::stdout(), &io::stderr()).unwrap_or(true);
    let pipe = (!shared_with_stderr)
        .then(|| dup(&io::stdout()).and_then(pipe::Sender::from_owned_fd))
        .and_then(Result::ok);
    match pipe {
        Some(pipe) => Box::new(pipe),
        None => Box::new(tokio::io::stdout()),
    }
}

fn dup(fd: &impl AsFd) -> io::Result<OwnedFd> {
    fd.as_fd().try_clone_to_owned()
}

fn same_file(a: &impl AsFd, b: &impl AsFd) -> io::Result<bool> {
    let a = File::from(dup(a)?).metadata()?;
    let b = File::from(dup(b)?).metadata()?;
    Ok(a.dev() == b.dev() && a.ino() == b.ino())
}
