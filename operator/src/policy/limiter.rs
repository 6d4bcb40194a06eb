//! What one call's memories and tables may hold together. A component can have several
//! core instances, each with its own linear memory: a cap per memory would let a module of
//! eight memories take eight times its limit, so growth is counted against one sum.

use wasmtime::ResourceLimiter;

/// Table elements one call may hold across all its tables (8 to 16 bytes each).
pub const MAX_TABLE_ELEMENTS: usize = 100_000;

/// One call's memory and table growth under its cap. Refusing growth traps the guest at once
/// (rather than letting its allocator abort with a bare `unreachable`), and the refusal is
/// remembered so the error can say what was asked for.
#[derive(Debug)]
pub struct Limiter {
    memory_bytes: u64,
    /// Linear memory granted so far, over every memory of the call.
    memory_total: u64,
    /// The most linear memory held at once during the call, for the memory metric.
    peak: u64,
    tables_total: usize,
    refused: Option<u64>,
}

impl Limiter {
    pub fn new(memory_bytes: u64) -> Self {
        Self { memory_bytes, memory_total: 0, peak: 0, tables_total: 0, refused: None }
    }

    /// The total a refused growth would have reached, if one was refused.
    pub fn refused(&self) -> Option<u64> {
        self.refused
    }

    pub fn peak(&self) -> u64 {
        self.peak
    }

    /// Whether one memory may grow from `current` to `desired` bytes, all memories counted.
    pub fn grow_memory(&mut self, current: u64, desired: u64) -> bool {
        let total = self.memory_total.saturating_sub(current).saturating_add(desired);
        if total > self.memory_bytes {
            self.refused = Some(total);
            return false;
        }
        self.memory_total = total;
        self.peak = self.peak.max(total);
        true
    }

    /// Whether one table may grow from `current` to `desired` elements, all tables counted.
    pub fn grow_table(&mut self, current: usize, desired: usize) -> bool {
        let total = self.tables_total.saturating_sub(current).saturating_add(desired);
        if total > MAX_TABLE_ELEMENTS {
            return false;
        }
        self.tables_total = total;
        true
    }
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if !self.grow_memory(current as u64, desired as u64) {
            return Err(wasmtime::Error::msg(format!(
                "memory limit of {} bytes reached",
                self.memory_bytes
            )));
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(self.grow_table(current, desired))
    }

    fn instances(&self) -> usize {
        // A component of the ABI has a handful of core instances; far more is an attack
        // on the instance pool, refused before it is allocated.
        MAX_CORE_INSTANCES
    }

    fn memories(&self) -> usize {
        MAX_MEMORIES
    }

    fn tables(&self) -> usize {
        MAX_TABLES
    }
}

/// Core instances, memories and tables one call may create: what the pool reserves for it.
pub const MAX_CORE_INSTANCES: usize = 32;
pub const MAX_MEMORIES: usize = 8;
pub const MAX_TABLES: usize = 16;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memories_of_one_call_share_one_cap() {
        let mut l = Limiter::new(16 << 20);
        assert!(l.grow_memory(0, 8 << 20), "first memory, half the cap");
        assert!(l.grow_memory(0, 6 << 20), "second memory, within the rest");
        assert!(!l.grow_memory(0, 4 << 20), "a third memory would pass the cap");
        assert_eq!(l.refused(), Some(18 << 20));
        assert_eq!(l.peak(), 14 << 20);
    }

    #[test]
    fn growing_one_memory_counts_only_the_growth() {
        let mut l = Limiter::new(16 << 20);
        assert!(l.grow_memory(0, 4 << 20));
        assert!(l.grow_memory(4 << 20, 16 << 20), "the same memory grows to the cap");
        assert!(!l.grow_memory(16 << 20, (16 << 20) + 65536), "one page more is refused");
        assert_eq!(l.peak(), 16 << 20);
    }

    #[test]
    fn tables_of_one_call_share_one_cap() {
        let mut l = Limiter::new(0);
        assert!(l.grow_table(0, MAX_TABLE_ELEMENTS - 10));
        assert!(!l.grow_table(0, 11));
        assert!(l.grow_table(0, 10));
    }
}
