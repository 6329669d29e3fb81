//! Where the journal's bytes go: a file on the state disk in the daemon (`engine::log_file`),
//! memory with injected faults in the simulator.

use std::io;

/// An append-only medium for whole lines.
pub trait Store {
    /// Appends `bytes` and returns once they are durable. On an error none of them may be
    /// left behind: what was written of them is cut off again.
    fn append(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// Gives up the space kept back for entries that must not be lost; false if there was
    /// none to give.
    fn release_reserve(&mut self) -> bool;
    /// Keeps space back again (true when it is kept, already or now).
    fn restore_reserve(&mut self) -> bool;
}

/// A store in memory whose disk can be filled, made read-only, and cut at any byte, for the
/// simulator and the journal's own tests.
#[derive(Clone, Debug, Default)]
pub struct MemoryStore {
    pub bytes: Vec<u8>,
    /// Bytes that still fit; `None`: no limit.
    pub free: Option<usize>,
    pub read_only: bool,
    /// Bytes kept back for emergencies, given up on a full disk.
    pub reserve: usize,
    pub reserve_size: usize,
}

impl MemoryStore {
    pub fn with_reserve(size: usize) -> MemoryStore {
        MemoryStore {
            reserve: size,
            reserve_size: size,
            ..MemoryStore::default()
        }
    }
}

impl Store for MemoryStore {
    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        if self.read_only {
            return Err(io::Error::from(io::ErrorKind::ReadOnlyFilesystem));
        }
        if let Some(free) = &mut self.free {
            if *free < bytes.len() {
                return Err(io::Error::from(io::ErrorKind::StorageFull));
            }
            *free -= bytes.len();
        }
        self.bytes.extend_from_slice(bytes);
        Ok(())
    }

    fn release_reserve(&mut self) -> bool {
        if self.reserve == 0 || self.read_only {
            return false;
        }
        if let Some(free) = &mut self.free {
            *free += self.reserve;
        }
        self.reserve = 0;
        true
    }

    fn restore_reserve(&mut self) -> bool {
        if self.reserve == self.reserve_size {
            return true;
        }
        if self.read_only {
            return false;
        }
        let wanted = self.reserve_size - self.reserve;
        match &mut self.free {
            Some(free) if *free < wanted => false,
            Some(free) => {
                *free -= wanted;
                self.reserve = self.reserve_size;
                true
            }
            None => {
                self.reserve = self.reserve_size;
                true
            }
        }
    }
}
