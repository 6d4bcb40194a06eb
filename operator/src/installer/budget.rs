//! The storage budget every plugin's downloaded and unpacked bytes draw from (the plugin
//! volume's `storageLimit`), counted as bytes are written, never from what archive headers
//! or servers claim (a `Content-Length` over what is left only refuses earlier).

use std::{
    io::{self, Write},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

/// The bytes left on the plugin volume, shared by plugins installed in parallel.
#[derive(Debug, Clone)]
pub struct Budget {
    limit: Option<u64>,
    used: Arc<AtomicU64>,
}

impl Budget {
    pub fn new(limit: Option<u64>, already_used: u64) -> Self {
        Self { limit, used: Arc::new(AtomicU64::new(already_used)) }
    }

    /// Takes `n` bytes; `Err` when that passes the limit (the bytes stay taken until
    /// [`Budget::give_back`]).
    pub fn take(&self, n: u64) -> Result<(), u64> {
        let used = self.used.fetch_add(n, Ordering::SeqCst) + n;
        match self.limit {
            Some(limit) if used > limit => Err(limit),
            _ => Ok(()),
        }
    }

    /// The limit, if there is one.
    pub fn limit(&self) -> Option<u64> {
        self.limit
    }

    /// The bytes still free, when there is a limit.
    pub fn left(&self) -> Option<u64> {
        self.limit.map(|limit| limit.saturating_sub(self.used.load(Ordering::SeqCst)))
    }

    /// The error for passing the limit, one wording for downloads and unpacking.
    pub fn exceeded(limit: u64) -> String {
        format!("the plugins pass storageLimit ({limit} bytes): raise it or install fewer plugins")
    }

    /// Returns what a failed plugin took, so it does not count against the others.
    pub fn give_back(&self, n: u64) {
        self.used.fetch_sub(n, Ordering::SeqCst);
    }
}

/// A writer that charges every byte to a budget and to the archive's own count.
pub struct Metered<'a, W> {
    pub inner: W,
    pub budget: &'a Budget,
    pub written: &'a mut u64,
}

impl<W: Write> Write for Metered<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        *self.written += n as u64;
        self.budget.take(n as u64).map_err(|limit| io::Error::other(Budget::exceeded(limit)))?;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
