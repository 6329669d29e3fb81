//! A pipe for tests of reads that hang: a read of its first end blocks until the second is
//! written to or closed, as a read on a hung share blocks.

use std::fs::File;
use std::os::fd::FromRawFd;

/// Both ends of a pipe as files.
pub fn pipe() -> (File, File) {
    let mut fds = [0; 2];
    // SAFETY: pipe(2) with a valid two-int array; each descriptor is then owned by one File.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    unsafe { (File::from_raw_fd(fds[0]), File::from_raw_fd(fds[1])) }
}
