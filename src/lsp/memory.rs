//! Giving freed memory back to the system once a big analysis is over.
//!
//! The workspace scan and its first analysis allocate tens of MiB of short-lived data (file
//! texts being classified, scans of files with no findings, rule intermediates). glibc's
//! allocator keeps freed memory in its arenas — every tokio worker thread has its own — and
//! returns only the top of each heap, so the server sat at its peak size while idle (57 MiB
//! idle on the Python library tree). `malloc_trim(0)` releases the free pages of every arena
//! (issue 13: ~38 MiB idle measured in an earlier attempt). mimalloc and jemalloc were tried
//! instead and idled higher (~70 MiB).
//!
//! Called after the workspace scan's analysis, not after every edit: a trim walks the arenas
//! (a few milliseconds on a large heap), which an edit's latency should not pay.

/// Returns free heap memory to the system (glibc only; elsewhere nothing to do).
pub(super) fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` takes a plain integer (the padding to keep at the top of the heap)
    // and only touches the allocator's own bookkeeping under its arena locks; it is safe to
    // call from any thread at any time, as glibc documents.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Trimming after freeing a large allocation leaves the allocator usable.
    #[test]
    fn trimming_keeps_the_allocator_working() {
        let big: Vec<Vec<u8>> = (0..64).map(|i| vec![i as u8; 64 * 1024]).collect();
        drop(big);
        release_free_memory();
        let again = vec![7u8; 1 << 20];
        assert_eq!(
            again.iter().map(|&b| usize::from(b)).sum::<usize>(),
            7 << 20
        );
    }
}
