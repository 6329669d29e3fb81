//! A file system whose reads stop answering, as a network share that goes away does: a small
//! FUSE server on `/dev/fuse`, mounted by the test (it runs as root), that serves each file's
//! bytes up to a point and then never answers a read beyond it. The kernel sees a real mount, so
//! whatever reads it (the daemon, `setting playlist check`) blocks in read(2) exactly as on a hung
//! NFS or SMB mount. As there, a process that is killed (or exits) is let go of its read (the
//! kernel's interrupt is answered "interrupted"); nothing else is, until the test unmounts it.
//!
//! A mount can also be told ([`Stalls`]) to leave a look at a name unanswered (its LOOKUP: a
//! stat(2), an open(2) or a canonicalize of it hangs, file or directory alike) or the listing of
//! its root (OPENDIR: a read_dir hangs), as a share whose server died between two looks does.
//! Those are let go as hung reads are.
//!
//! Only what reading files needs is served: lookups and attributes of the files in the mount's
//! root, open, read, flush and release. Everything else (the root's listing among it) is answered
//! "not implemented".

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// One file in the mount's root.
#[derive(Clone)]
pub struct StalledFile {
    pub name: String,
    pub bytes: Vec<u8>,
    /// Reads are answered up to this byte; a read from here on is never answered.
    pub answers_up_to: usize,
}

/// What of a mount never answers, besides each file's reads past its point.
#[derive(Clone, Default)]
pub struct Stalls {
    /// Names in the root whose look-up is never answered: whatever looks at one (stat, open)
    /// hangs, whether or not a file of that name is served.
    pub looks: Vec<String>,
    /// The root's listing is never answered: a read_dir of the mount hangs.
    pub listing: bool,
}

/// The mounted file system; unmounted (and every read left hanging let go) when dropped.
pub struct StalledFs {
    mountpoint: PathBuf,
    /// Reads left unanswered so far.
    hanging: Arc<AtomicUsize>,
    /// Look-ups and listings left unanswered so far.
    hanging_looks: Arc<AtomicUsize>,
}

/// Whether this machine lets a test mount a FUSE file system: `/dev/fuse` there, and root.
pub fn available() -> bool {
    // SAFETY: geteuid(2) has no preconditions.
    Path::new("/dev/fuse").exists() && unsafe { libc::geteuid() } == 0
}

impl StalledFs {
    /// Mounts `files` at `mountpoint` (an empty directory) and serves them from a thread.
    pub fn mount(mountpoint: &Path, files: Vec<StalledFile>) -> StalledFs {
        StalledFs::mount_stalling(mountpoint, files, Stalls::default())
    }

    /// [`StalledFs::mount`], leaving unanswered what `stalls` says too.
    pub fn mount_stalling(mountpoint: &Path, files: Vec<StalledFile>, stalls: Stalls) -> StalledFs {
        let device = File::options()
            .read(true)
            .write(true)
            .open("/dev/fuse")
            .expect("open /dev/fuse");
        let options = format!(
            "fd={},rootmode=40000,user_id=0,group_id=0,allow_other",
            device.as_raw_fd()
        );
        let c = |s: &[u8]| std::ffi::CString::new(s).expect("no NUL");
        let (source, target, kind, data) = (
            c(b"stalled-share"),
            c(mountpoint.as_os_str().as_bytes()),
            c(b"fuse"),
            c(options.as_bytes()),
        );
        // SAFETY: mount(2) with valid NUL-terminated strings; the test runs as root.
        let rc = unsafe {
            libc::mount(
                source.as_ptr(),
                target.as_ptr(),
                kind.as_ptr(),
                libc::MS_NOSUID | libc::MS_NODEV | libc::MS_RDONLY,
                data.as_ptr().cast(),
            )
        };
        assert_eq!(rc, 0, "mount fuse: {}", std::io::Error::last_os_error());
        let (hanging, hanging_looks) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let counters = (hanging.clone(), hanging_looks.clone());
        std::thread::Builder::new()
            .name("stalled-fs".into())
            .spawn(move || serve(device, &files, &stalls, (&counters.0, &counters.1)))
            .expect("fuse server thread");
        StalledFs {
            mountpoint: mountpoint.to_path_buf(),
            hanging,
            hanging_looks,
        }
    }

    /// How many reads have been left unanswered so far.
    pub fn hanging_reads(&self) -> usize {
        self.hanging.load(Ordering::SeqCst)
    }

    /// How many look-ups and listings have been left unanswered so far.
    pub fn hanging_looks(&self) -> usize {
        self.hanging_looks.load(Ordering::SeqCst)
    }
}

impl Drop for StalledFs {
    /// A forced unmount aborts the connection: every read left hanging fails at once, and the
    /// server's own read of the device ends, so its thread ends too.
    fn drop(&mut self) {
        let target = std::ffi::CString::new(self.mountpoint.as_os_str().as_bytes()).expect("no NUL");
        // SAFETY: umount2(2) of the mount this value made, with a valid path.
        unsafe {
            if libc::umount2(target.as_ptr(), libc::MNT_FORCE) != 0 {
                libc::umount2(target.as_ptr(), libc::MNT_DETACH);
            }
        }
    }
}

const LOOKUP: u32 = 1;
const FORGET: u32 = 2;
const GETATTR: u32 = 3;
const OPEN: u32 = 14;
const OPENDIR: u32 = 27;
const READ: u32 = 15;
const RELEASE: u32 = 18;
const FLUSH: u32 = 25;
const INIT: u32 = 26;
const INTERRUPT: u32 = 36;
const DESTROY: u32 = 38;
const BATCH_FORGET: u32 = 42;

const ROOT: u64 = 1;
const IN_HEADER: usize = 40;
const MAX_WRITE: u32 = 128 * 1024;
/// Long enough that the kernel asks again rarely, short enough not to matter.
const VALID_SECONDS: u64 = 60;

fn serve(
    mut device: File,
    files: &[StalledFile],
    stalls: &Stalls,
    (hanging, hanging_looks): (&AtomicUsize, &AtomicUsize),
) {
    let mut buf = vec![0u8; MAX_WRITE as usize + 64 * 1024];
    // The requests left unanswered, by their id.
    let mut hung = std::collections::HashSet::new();
    loop {
        let n = match device.read(&mut buf) {
            Ok(n) => n,
            // Interrupted while the kernel had nothing: ask again.
            Err(e) if e.raw_os_error() == Some(libc::EINTR) || e.raw_os_error() == Some(libc::ENOENT) => {
                continue;
            }
            // ENODEV: unmounted or aborted.
            Err(_) => return,
        };
        if n < IN_HEADER {
            continue;
        }
        let request = &buf[..n];
        let opcode = u32_at(request, 4);
        let unique = u64_at(request, 8);
        let node = u64_at(request, 16);
        let body = &request[IN_HEADER..];
        let mut unique = unique;
        let reply: Option<Result<Vec<u8>, i32>> = match opcode {
            INIT => Some(Ok(init_out(body))),
            LOOKUP
                if stalls
                    .looks
                    .iter()
                    .any(|n| n.as_bytes() == body.split(|b| *b == 0).next().unwrap_or_default()) =>
            {
                // The share has gone away: this look is never answered.
                hanging_looks.fetch_add(1, Ordering::SeqCst);
                hung.insert(unique);
                None
            }
            OPENDIR if node == ROOT && stalls.listing => {
                hanging_looks.fetch_add(1, Ordering::SeqCst);
                hung.insert(unique);
                None
            }
            LOOKUP => {
                let name = body.split(|b| *b == 0).next().unwrap_or_default();
                Some(
                    files
                        .iter()
                        .position(|f| f.name.as_bytes() == name)
                        .map(|i| entry_out(i as u64 + 2, files[i].bytes.len() as u64))
                        .ok_or(libc::ENOENT),
                )
            }
            GETATTR if node == ROOT => Some(Ok(attr_out(ROOT, 0))),
            GETATTR => Some(file(files, node).map(|f| attr_out(node, f.bytes.len() as u64))),
            OPEN => Some(file(files, node).map(|_| open_out())),
            READ => {
                let offset = u64_at(body, 8) as usize;
                let size = u32_at(body, 16) as usize;
                match file(files, node) {
                    Err(e) => Some(Err(e)),
                    Ok(f) if offset >= f.answers_up_to && offset < f.bytes.len() => {
                        // The share has gone away: this read is never answered.
                        hanging.fetch_add(1, Ordering::SeqCst);
                        hung.insert(unique);
                        None
                    }
                    Ok(f) => {
                        let end = (offset + size)
                            .min(f.answers_up_to.max(offset))
                            .min(f.bytes.len());
                        Some(Ok(f.bytes[offset.min(end)..end].to_vec()))
                    }
                }
            }
            FLUSH | RELEASE => Some(Ok(Vec::new())),
            // The reader was killed (or its process exits): its read ends, interrupted.
            INTERRUPT => {
                let interrupted = u64_at(body, 0);
                hung.remove(&interrupted).then(|| {
                    unique = interrupted;
                    Err(libc::EINTR)
                })
            }
            FORGET | BATCH_FORGET | DESTROY => None,
            _ => Some(Err(libc::ENOSYS)),
        };
        if let Some(reply) = reply {
            let (error, payload) = match reply {
                Ok(payload) => (0, payload),
                Err(errno) => (-errno, Vec::new()),
            };
            let mut out = Vec::with_capacity(16 + payload.len());
            out.extend_from_slice(&(16 + payload.len() as u32).to_le_bytes());
            out.extend_from_slice(&error.to_le_bytes());
            out.extend_from_slice(&unique.to_le_bytes());
            out.extend_from_slice(&payload);
            // A request interrupted meanwhile refuses its answer (ENOENT): nothing to do.
            let _ = device.write_all(&out);
        }
    }
}

fn file(files: &[StalledFile], node: u64) -> Result<&StalledFile, i32> {
    usize::try_from(node)
        .ok()
        .and_then(|n| n.checked_sub(2))
        .and_then(|i| files.get(i))
        .ok_or(libc::ENOENT)
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"))
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"))
}

/// fuse_init_out: protocol 7.31, reads of up to `MAX_WRITE` bytes, and of the optional features
/// only look-ups in parallel: without it the kernel holds a directory while one of its look-ups
/// is under way, and a name left unanswered would hang the look at every other name too.
fn init_out(init_in: &[u8]) -> Vec<u8> {
    const FUSE_PARALLEL_DIROPS: u32 = 1 << 18;
    let max_readahead = u32_at(init_in, 8);
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(&7u32.to_le_bytes()); // major
    out.extend_from_slice(&31u32.to_le_bytes()); // minor
    out.extend_from_slice(&max_readahead.to_le_bytes());
    out.extend_from_slice(&FUSE_PARALLEL_DIROPS.to_le_bytes()); // flags
    out.extend_from_slice(&16u16.to_le_bytes()); // max_background
    out.extend_from_slice(&12u16.to_le_bytes()); // congestion_threshold
    out.extend_from_slice(&MAX_WRITE.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes()); // time_gran
    out.extend_from_slice(&32u16.to_le_bytes()); // max_pages
    out.resize(64, 0);
    out
}

/// fuse_attr: a read-only regular file, or the root directory.
fn attr(node: u64, size: u64) -> Vec<u8> {
    let mode: u32 = if node == ROOT { 0o040_555 } else { 0o100_444 };
    let mut out = Vec::with_capacity(88);
    out.extend_from_slice(&node.to_le_bytes()); // ino
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(&size.div_ceil(512).to_le_bytes()); // blocks
    out.extend_from_slice(&[0u8; 24]); // atime, mtime, ctime
    out.extend_from_slice(&[0u8; 12]); // their nanoseconds
    out.extend_from_slice(&mode.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes()); // nlink
    out.extend_from_slice(&[0u8; 12]); // uid, gid, rdev
    out.extend_from_slice(&4096u32.to_le_bytes()); // blksize
    out.extend_from_slice(&0u32.to_le_bytes()); // flags
    out
}

/// fuse_entry_out.
fn entry_out(node: u64, size: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    out.extend_from_slice(&node.to_le_bytes());
    out.extend_from_slice(&0u64.to_le_bytes()); // generation
    out.extend_from_slice(&VALID_SECONDS.to_le_bytes()); // entry_valid
    out.extend_from_slice(&VALID_SECONDS.to_le_bytes()); // attr_valid
    out.extend_from_slice(&[0u8; 8]); // their nanoseconds
    out.extend_from_slice(&attr(node, size));
    out
}

/// fuse_attr_out.
fn attr_out(node: u64, size: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(104);
    out.extend_from_slice(&VALID_SECONDS.to_le_bytes());
    out.extend_from_slice(&[0u8; 8]); // nanoseconds, dummy
    out.extend_from_slice(&attr(node, size));
    out
}

/// fuse_open_out: direct I/O, so that every read(2) reaches the server and none is served
/// from the page cache.
fn open_out() -> Vec<u8> {
    const FOPEN_DIRECT_IO: u32 = 1;
    let mut out = Vec::with_capacity(16);
    out.extend_from_slice(&0u64.to_le_bytes()); // fh
    out.extend_from_slice(&FOPEN_DIRECT_IO.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out
}

/// Lets a test with no FUSE say so plainly rather than pass for nothing.
pub fn skip_reason() -> Option<&'static str> {
    (!available()).then_some("no /dev/fuse or not root: the stalled-share tests cannot mount one here")
}

// A tiny self-check: the mount answers what it should and hangs where it should.
#[test]
fn a_read_past_the_point_hangs_and_the_unmount_lets_it_go() {
    if let Some(reason) = skip_reason() {
        panic!("{reason}");
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let bytes: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
    let fs = StalledFs::mount(
        dir.path(),
        vec![StalledFile {
            name: "half.bin".into(),
            bytes: bytes.clone(),
            answers_up_to: 4_096,
        }],
    );
    let path = dir.path().join("half.bin");
    assert_eq!(std::fs::metadata(&path).expect("stat").len(), 10_000);
    let (done, result) = std::sync::mpsc::channel();
    let reader = path.clone();
    std::thread::spawn(move || {
        let mut file = File::open(&reader).expect("open");
        let mut first = vec![0u8; 4_096];
        file.read_exact(&mut first).expect("the first 4096 bytes come");
        done.send(first).expect("send");
        let mut rest = [0u8; 16];
        let hung = file.read(&mut rest);
        done.send(format!("{hung:?}").into_bytes()).expect("send");
    });
    let first = result
        .recv_timeout(std::time::Duration::from_secs(5))
        .expect("first bytes");
    assert_eq!(first, bytes[..4_096]);
    assert!(
        result
            .recv_timeout(std::time::Duration::from_millis(500))
            .is_err(),
        "the read past the point should hang"
    );
    assert_eq!(fs.hanging_reads(), 1);
    drop(fs);
    let after = result
        .recv_timeout(std::time::Duration::from_secs(5))
        .expect("let go by the unmount");
    assert!(
        String::from_utf8_lossy(&after).starts_with("Err"),
        "{}",
        String::from_utf8_lossy(&after)
    );
}

// The stalls a mount can be told of: a stat of a name, and a listing of the root, that hang.
#[test]
fn a_stat_of_a_stalled_name_and_a_listing_hang_and_the_unmount_lets_them_go() {
    if let Some(reason) = skip_reason() {
        panic!("{reason}");
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let stalls = Stalls {
        looks: vec!["gone.wav".into()],
        listing: true,
    };
    let fs = StalledFs::mount_stalling(dir.path(), Vec::new(), stalls);
    let (done, result) = std::sync::mpsc::channel();
    let (stat, list) = (dir.path().join("gone.wav"), dir.path().to_path_buf());
    let stats = done.clone();
    std::thread::spawn(move || stats.send(format!("stat: {:?}", std::fs::metadata(&stat))));
    std::thread::spawn(move || done.send(format!("list: {:?}", std::fs::read_dir(&list).map(drop))));
    assert!(
        result
            .recv_timeout(std::time::Duration::from_millis(500))
            .is_err(),
        "the stat and the listing should hang"
    );
    assert_eq!(fs.hanging_looks(), 2);
    // Another name is answered: only the stalled one hangs.
    assert!(
        std::fs::metadata(dir.path().join("other.wav"))
            .is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound)
    );
    drop(fs);
    for _ in 0..2 {
        let after = result
            .recv_timeout(std::time::Duration::from_secs(5))
            .expect("let go by the unmount");
        assert!(after.contains("Err"), "{after}");
    }
}
