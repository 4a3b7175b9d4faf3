//! Secret material in memory: the CA private key and process hardening.
//!
//! [`CaKey`] is the only type that holds a CA private key in plaintext. It zeroizes on
//! drop, is locked into RAM where the OS allows, prints `[redacted]` in `Debug` and has
//! no `Clone`, `Display` or `Serialize`. Only the keystore and the CA import build one.
//!
//! Passphrases are [`Passphrase`] (age's `SecretString`): they come from a terminal
//! prompt or a file, never from argv or the environment.
//!
//! What this module does not do: it cannot zeroize copies that libraries make. rcgen's
//! `KeyPair` and ring's key schedules hold their own copy; callers build them for one
//! operation and drop them at once.

use std::fmt;

use zeroize::Zeroizing;

/// A passphrase typed by an officer or read from a passphrase file.
pub type Passphrase = age::secrecy::SecretString;

/// A CA private key in PKCS#8 DER, in zeroizing (and, where possible, locked) memory.
pub struct CaKey {
    pkcs8: Zeroizing<Vec<u8>>,
    locked: bool,
}

impl CaKey {
    /// Wraps PKCS#8 DER. The caller hands over ownership; no copy is made.
    ///
    /// The DER is not validated here: the CA import and the keystore check that the key
    /// parses and matches its certificate before they hand a `CaKey` out.
    pub(crate) fn from_pkcs8(pkcs8: Zeroizing<Vec<u8>>) -> Self {
        let locked = memory::lock(&pkcs8);
        Self { pkcs8, locked }
    }

    /// The PKCS#8 DER of the private key. The one greppable place the secret is read.
    pub fn expose_der(&self) -> &[u8] {
        &self.pkcs8
    }

    /// Whether the key's buffer is locked into RAM (`mlock`), so it is not swapped out.
    pub fn is_memory_locked(&self) -> bool {
        self.locked
    }
}

impl Drop for CaKey {
    fn drop(&mut self) {
        if self.locked {
            memory::unlock(&self.pkcs8);
        }
        // Zeroizing<Vec<u8>> wipes the buffer after this.
    }
}

impl fmt::Debug for CaKey {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("CaKey([redacted])")
    }
}

/// What [`harden_process`] achieved, so that airlock never claims more than it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Hardening {
    /// `RLIMIT_CORE` is 0: a crash writes no core file.
    pub core_dumps_disabled: bool,
    /// `PR_SET_DUMPABLE` is 0: same-user processes cannot ptrace or read our memory.
    pub not_dumpable: bool,
}

/// Restores the default SIGPIPE action, so that `airlock ... | head` ends quietly like
/// other command-line tools instead of failing on a closed pipe. Called by the binary.
pub fn default_sigpipe() {
    memory::default_sigpipe();
}

/// Disables core dumps and marks the process non-dumpable, where the OS allows.
///
/// Called once by the binary at start, before any secret is read.
pub fn harden_process() -> Hardening {
    memory::harden()
}

// The one audited place for unsafe code: libc calls that have no safe wrapper in std.
// Each call passes only plain integers or a pointer and length of a live buffer.
#[allow(unsafe_code)]
mod memory {
    use super::Hardening;

    pub(super) fn lock(buffer: &[u8]) -> bool {
        if buffer.is_empty() {
            return false;
        }
        // SAFETY: the pointer and length describe a live, initialized allocation that the
        // caller keeps alive (and unmoved: a Vec's heap buffer does not move) until unlock.
        unsafe { libc::mlock(buffer.as_ptr().cast(), buffer.len()) == 0 }
    }

    pub(super) fn unlock(buffer: &[u8]) {
        // SAFETY: as in `lock`; munlock on a locked range has no other effect.
        unsafe {
            libc::munlock(buffer.as_ptr().cast(), buffer.len());
        }
    }

    pub(super) fn default_sigpipe() {
        // SAFETY: signal() with SIG_DFL installs no handler code; it takes plain integers.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }

    pub(super) fn harden() -> Hardening {
        let limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: setrlimit reads the struct we pass by reference.
        let core_dumps_disabled =
            unsafe { libc::setrlimit(libc::RLIMIT_CORE, &raw const limit) } == 0;
        #[cfg(target_os = "linux")]
        // SAFETY: PR_SET_DUMPABLE takes plain integer arguments.
        let not_dumpable = unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0) } == 0;
        #[cfg(not(target_os = "linux"))]
        let not_dumpable = false;
        Hardening {
            core_dumps_disabled,
            not_dumpable,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let key = CaKey::from_pkcs8(Zeroizing::new(b"very secret bytes".to_vec()));
        let shown = format!("{key:?}");
        assert_eq!(shown, "CaKey([redacted])");
        assert!(!shown.contains("secret"));
        assert_eq!(key.expose_der(), b"very secret bytes");
    }
}
