//! The few system calls safe Rust cannot express: libcrypt's `crypt_rn` and
//! `crypt_gensalt_rn`, `fork`, and adopting the descriptor systemd passes.
//! This is the only module of the crate allowed `unsafe`; each block says
//! why it is sound.

#![allow(unsafe_code)]

use std::ffi::{CStr, CString, c_char, c_int, c_ulong, c_void};
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicBool, Ordering};

use nix::unistd::ForkResult;

/// `sizeof(struct crypt_data)` in libxcrypt: output (384) + setting (384)
/// + input (512) + reserved (767) + initialized (1) + internal (30720).
const CRYPT_DATA_SIZE: usize = 32768;

/// `CRYPT_GENSALT_OUTPUT_SIZE` in libxcrypt.
const GENSALT_OUTPUT_SIZE: usize = 192;

#[link(name = "crypt")]
unsafe extern "C" {
    /// `char *crypt_rn(const char *phrase, const char *setting,
    ///                 void *data, int size)`: NULL on any failure.
    fn crypt_rn(
        phrase: *const c_char,
        setting: *const c_char,
        data: *mut c_void,
        size: c_int,
    ) -> *mut c_char;

    /// `char *crypt_gensalt_rn(const char *prefix, unsigned long count,
    ///     const char *rbytes, int nrbytes, char *output, int output_size)`:
    /// NULL on failure; with `rbytes` NULL it draws from the OS.
    fn crypt_gensalt_rn(
        prefix: *const c_char,
        count: c_ulong,
        rbytes: *const c_char,
        nrbytes: c_int,
        output: *mut c_char,
        output_size: c_int,
    ) -> *mut c_char;
}

/// Hashes `phrase` with `setting` (a full hash or a salt string, any format
/// the system's libcrypt knows). `None` when libcrypt refuses: unknown
/// format, malformed setting, or a NUL in the phrase.
pub fn crypt(phrase: &[u8], setting: &str) -> Option<String> {
    let phrase = CString::new(phrase).ok()?;
    let setting = CString::new(setting).ok()?;
    let mut data = vec![0u8; CRYPT_DATA_SIZE];
    let size = c_int::try_from(data.len()).ok()?;
    // SAFETY: both strings are NUL-terminated and live across the call;
    // `data` is a zeroed, writable buffer of exactly `size` bytes, the size
    // libxcrypt requires for `struct crypt_data` (a zeroed one is valid
    // input). libxcrypt writes nothing outside `data`.
    let out = unsafe {
        crypt_rn(
            phrase.as_ptr(),
            setting.as_ptr(),
            data.as_mut_ptr().cast(),
            size,
        )
    };
    if out.is_null() {
        return None;
    }
    // SAFETY: a non-NULL result points at the NUL-terminated `output` field
    // inside `data`, which is still alive and not moved; we copy it out
    // before `data` is dropped.
    let hash = unsafe { CStr::from_ptr(out) };
    hash.to_str().ok().map(str::to_string)
}

/// A fresh setting for `prefix` (`"$y$"` for yescrypt) at the library's
/// default cost, salted from the OS random source.
pub fn gensalt(prefix: &str) -> Option<String> {
    let prefix = CString::new(prefix).ok()?;
    let mut out = vec![0u8; GENSALT_OUTPUT_SIZE];
    let size = c_int::try_from(out.len()).ok()?;
    // SAFETY: `prefix` is NUL-terminated; a NULL `rbytes` with `nrbytes` 0
    // asks libxcrypt for OS randomness; `out` is writable for `size` bytes
    // and libxcrypt writes at most that many, NUL included.
    let res = unsafe {
        crypt_gensalt_rn(
            prefix.as_ptr(),
            0,
            std::ptr::null(),
            0,
            out.as_mut_ptr().cast(),
            size,
        )
    };
    if res.is_null() {
        return None;
    }
    let end = out.iter().position(|&b| b == 0)?;
    String::from_utf8(out[..end].to_vec()).ok()
}

/// Why [`fork`] refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ForkError {
    /// More than one thread runs: the child could inherit a held lock.
    #[error("refusing to fork a multi-threaded process")]
    Threads,
    /// The system call failed.
    #[error("fork: {0}")]
    Sys(#[from] nix::Error),
}

/// `fork(2)`, only while this process has a single thread.
pub fn fork() -> Result<ForkResult, ForkError> {
    if thread_count() != Some(1) {
        return Err(ForkError::Threads);
    }
    // SAFETY: fork is unsafe only because the child of a multi-threaded
    // process may find locks held by threads that no longer exist. We just
    // checked that this process has exactly one thread, and asimap-login
    // starts none, so the child inherits a consistent heap and no held
    // locks.
    Ok(unsafe { nix::unistd::fork() }?)
}

/// The number of threads of this process, from /proc/self/status.
fn thread_count() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Threads:"))?;
    line["Threads:".len()..].trim().parse().ok()
}

static ADOPTED: AtomicBool = AtomicBool::new(false);

/// Takes ownership of the one descriptor systemd passed (`LISTEN_FDS=1`,
/// normally fd 3). Returns `None` on a second call, or when `fd` is not an
/// open descriptor.
pub fn adopt_listen_fd(fd: RawFd) -> Option<OwnedFd> {
    if fd < 3 || ADOPTED.swap(true, Ordering::SeqCst) {
        return None;
    }
    // SAFETY: fcntl(F_GETFD) only reads the descriptor table; on a closed
    // number it fails with EBADF and touches nothing.
    if unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1 {
        return None;
    }
    // SAFETY: `fd` is open (F_GETFD succeeded), it is above the standard
    // streams, and the flag above guarantees it is adopted at most once.
    // Nothing else in the process owns it: it came from systemd through
    // LISTEN_FDS, which sd_notify has checked against LISTEN_PID.
    Some(unsafe { OwnedFd::from_raw_fd(fd) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yescrypt_round_trip() {
        let setting = gensalt("$y$").expect("gensalt");
        assert!(setting.starts_with("$y$"), "{setting}");
        let hash = crypt(b"s3cret", &setting).expect("crypt");
        assert_eq!(crypt(b"s3cret", &hash).as_deref(), Some(hash.as_str()));
        assert_ne!(crypt(b"s3cre", &hash).as_deref(), Some(hash.as_str()));
    }

    #[test]
    fn sha512_crypt_known_answer() {
        // From the glibc/Drepper SHA-crypt specification test vectors.
        let h = "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIF\
                 NjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1";
        assert_eq!(crypt(b"Hello world!", h).as_deref(), Some(h));
    }

    #[test]
    fn refuses_nul_and_garbage() {
        assert_eq!(crypt(b"a\0b", "$y$j9T$abc"), None);
        assert!(crypt(b"x", "!locked").is_none_or(|h| h != "!locked"));
    }
}
