//! The CA private key at rest: age encryption under an officer's passphrase (scrypt).
//!
//! This is the only module that calls age. It turns a [`CaKey`] into ciphertext and
//! back; plaintext that age hands out is moved into zeroizing memory at once. It does not
//! know where the ciphertext lives (see [`crate::home`]) or what the key signs.
//!
//! The scrypt work factor is chosen at encryption time and stored in the age header;
//! [`DEFAULT_WORK_FACTOR`] is 2^18 (256 MiB of memory, about a second on a small host),
//! which makes a passphrase search on a stolen home expensive.

use std::iter;

use age::secrecy::ExposeSecret;
use zeroize::Zeroizing;

use crate::secret::{CaKey, Passphrase};

/// log2 of scrypt's N used for new keys unless the officer chooses otherwise.
pub const DEFAULT_WORK_FACTOR: u8 = 18;
/// The smallest work factor airlock accepts (2^14, age's floor for interactive use).
pub const MIN_WORK_FACTOR: u8 = 14;
/// The largest work factor airlock will ask scrypt to do (2^22: 4 GiB of memory).
pub const MAX_WORK_FACTOR: u8 = 22;
/// A passphrase shorter than this is refused when a key is encrypted.
pub const MIN_PASSPHRASE_CHARS: usize = 8;

/// Errors of encrypting or decrypting a CA key.
#[derive(Debug, thiserror::Error)]
pub enum KeystoreError {
    /// The passphrase does not open the key.
    #[error("wrong passphrase for CA '{ca}'")]
    WrongPassphrase {
        /// The CA's common name.
        ca: String,
    },
    /// The encrypted key file is not a valid age file or was altered.
    #[error("encrypted key of CA '{ca}' is damaged: {reason}")]
    Damaged {
        /// The CA's common name.
        ca: String,
        /// What age reported.
        reason: String,
    },
    /// A new passphrase is too short.
    #[error("passphrase is too short: at least {MIN_PASSPHRASE_CHARS} characters are needed")]
    WeakPassphrase,
    /// A new passphrase holds nothing but spaces, tabs or other whitespace.
    #[error("passphrase is only whitespace: choose one with visible characters")]
    BlankPassphrase,
    /// The requested scrypt work factor is out of range.
    #[error("scrypt work factor '{0}' is out of range ({MIN_WORK_FACTOR} to {MAX_WORK_FACTOR})")]
    WorkFactor(u8),
    /// age failed to encrypt.
    #[error("cannot encrypt the CA key: {0}")]
    Encrypt(String),
}

/// Encrypts `key` under `passphrase` with scrypt work factor 2^`work_factor`.
pub fn encrypt_with_passphrase(
    key: &CaKey,
    passphrase: &Passphrase,
    work_factor: u8,
) -> Result<Vec<u8>, KeystoreError> {
    if !(MIN_WORK_FACTOR..=MAX_WORK_FACTOR).contains(&work_factor) {
        return Err(KeystoreError::WorkFactor(work_factor));
    }
    if passphrase.expose_secret().trim().is_empty() {
        return Err(KeystoreError::BlankPassphrase);
    }
    if passphrase.expose_secret().chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(KeystoreError::WeakPassphrase);
    }
    let mut recipient = age::scrypt::Recipient::new(passphrase.clone());
    recipient.set_work_factor(work_factor);
    age::encrypt(&recipient, key.expose_der())
        .map_err(|error| KeystoreError::Encrypt(error.to_string()))
}

/// Decrypts a key encrypted by [`encrypt_with_passphrase`]. `ca_name` only names the CA
/// in errors.
///
/// Does not check that the key matches a certificate: the caller does, before signing.
pub fn decrypt_with_passphrase(
    ciphertext: &[u8],
    passphrase: &Passphrase,
    ca_name: &str,
) -> Result<CaKey, KeystoreError> {
    let mut identity = age::scrypt::Identity::new(passphrase.clone());
    identity.set_max_work_factor(MAX_WORK_FACTOR);
    let decryptor =
        age::Decryptor::new_buffered(ciphertext).map_err(|error| damaged(ca_name, &error))?;
    if !decryptor.is_scrypt() {
        return Err(KeystoreError::Damaged {
            ca: ca_name.to_owned(),
            reason: "not encrypted under a passphrase".to_owned(),
        });
    }
    let mut reader = decryptor
        .decrypt(iter::once(&identity as &dyn age::Identity))
        .map_err(|error| match error {
            age::DecryptError::DecryptionFailed
            | age::DecryptError::NoMatchingKeys
            | age::DecryptError::KeyDecryptionFailed => KeystoreError::WrongPassphrase {
                ca: ca_name.to_owned(),
            },
            other => damaged(ca_name, &other),
        })?;
    let mut plaintext = Zeroizing::new(Vec::with_capacity(ciphertext.len()));
    std::io::Read::read_to_end(&mut reader, &mut plaintext).map_err(|error| {
        KeystoreError::Damaged {
            ca: ca_name.to_owned(),
            reason: error.to_string(),
        }
    })?;
    Ok(CaKey::from_pkcs8(plaintext))
}

fn damaged(ca_name: &str, error: &age::DecryptError) -> KeystoreError {
    KeystoreError::Damaged {
        ca: ca_name.to_owned(),
        reason: error.to_string(),
    }
}

/// Builds a passphrase from bytes read out of a passphrase file: its first line.
///
/// The passphrase is everything before the first line ending (`\n` or `\r\n`), kept as
/// typed, spaces included; later lines are ignored, as the `--passphrase-file` help says.
/// Refused: an empty first line, one of only whitespace, and bytes that are not UTF-8. The
/// reasons name no part of the secret.
pub fn passphrase_from_file_bytes(bytes: &Zeroizing<Vec<u8>>) -> Result<Passphrase, &'static str> {
    let mut line: &[u8] = bytes;
    if let Some(end) = line.iter().position(|&byte| byte == b'\n') {
        line = &line[..end];
        line = line.strip_suffix(b"\r").unwrap_or(line);
    }
    if line.is_empty() {
        return Err(if bytes.is_empty() {
            "the file is empty"
        } else {
            "its first line is empty (the passphrase is the first line)"
        });
    }
    let text = std::str::from_utf8(line).map_err(|_| "the file is not UTF-8 text")?;
    if text.trim().is_empty() {
        return Err("its first line is only whitespace");
    }
    Ok(Passphrase::from(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> CaKey {
        CaKey::from_pkcs8(Zeroizing::new(vec![0x30, 0x03, 0x02, 0x01, 0x00]))
    }

    #[test]
    fn round_trip_and_wrong_passphrase() {
        let good = Passphrase::from("correct horse".to_owned());
        let sealed = encrypt_with_passphrase(&key(), &good, MIN_WORK_FACTOR).expect("encrypt");
        let opened = decrypt_with_passphrase(&sealed, &good, "test").expect("decrypt");
        assert_eq!(opened.expose_der(), key().expose_der());

        let bad = Passphrase::from("wrong horse".to_owned());
        let error = decrypt_with_passphrase(&sealed, &bad, "test").expect_err("must fail");
        assert_eq!(error.to_string(), "wrong passphrase for CA 'test'");
    }

    #[test]
    fn damaged_and_weak() {
        let good = Passphrase::from("correct horse".to_owned());
        let error = decrypt_with_passphrase(b"garbage", &good, "test").expect_err("must fail");
        assert!(matches!(error, KeystoreError::Damaged { .. }), "{error}");
        let short = Passphrase::from("short".to_owned());
        assert!(matches!(
            encrypt_with_passphrase(&key(), &short, MIN_WORK_FACTOR),
            Err(KeystoreError::WeakPassphrase)
        ));
    }

    #[test]
    fn passphrase_file_trailing_newline() {
        let pass =
            passphrase_from_file_bytes(&Zeroizing::new(b"abc def\r\n".to_vec())).expect("ok");
        assert_eq!(pass.expose_secret(), "abc def");
        assert!(passphrase_from_file_bytes(&Zeroizing::new(b"\n".to_vec())).is_err());
    }

    #[test]
    fn passphrase_file_first_line_only() {
        let pass = passphrase_from_file_bytes(&Zeroizing::new(
            b"  first line  \r\nsecond line\n".to_vec(),
        ))
        .expect("ok");
        assert_eq!(pass.expose_secret(), "  first line  ");
        let pass = passphrase_from_file_bytes(&Zeroizing::new(b"no newline".to_vec())).expect("ok");
        assert_eq!(pass.expose_secret(), "no newline");
        let error = passphrase_from_file_bytes(&Zeroizing::new(b"\nsecret below\n".to_vec()))
            .expect_err("empty first line");
        assert!(error.contains("first line is empty"), "{error}");
        assert!(!error.contains("secret"), "{error}");
        let error = passphrase_from_file_bytes(&Zeroizing::new(b" \t  \r\n".to_vec()))
            .expect_err("whitespace only");
        assert_eq!(error, "its first line is only whitespace");
    }

    #[test]
    fn blank_passphrase_is_refused_for_a_new_key() {
        let blank = Passphrase::from("            ".to_owned());
        assert!(matches!(
            encrypt_with_passphrase(&key(), &blank, MIN_WORK_FACTOR),
            Err(KeystoreError::BlankPassphrase)
        ));
    }
}
