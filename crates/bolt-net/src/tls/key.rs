//! Private keys from PEM text, including password-protected ones.
//!
//! Owns key decryption: OpenSSL's legacy encrypted PEM (`Proc-Type:
//! 4,ENCRYPTED` with `DEK-Info: AES-{128,192,256}-CBC,<iv>`, key derived
//! from the password with OpenSSL's MD5 `EVP_BytesToKey`) and PKCS#8
//! `ENCRYPTED PRIVATE KEY` (PBES2, via the `pkcs8` crate). Unencrypted keys
//! are read by rustls' own PEM parser. Does not read files.

use aes::cipher::{block_padding::Pkcs7, BlockDecryptMut, KeyIvInit};
use md5::{Digest, Md5};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer};

/// Reads the first private key in `pem`, decrypting it with `password` if it
/// is encrypted. `Err` says what is wrong, in words.
pub(super) fn private_key(
    pem_text: &[u8],
    password: Option<&str>,
) -> Result<PrivateKeyDer<'static>, String> {
    let blocks = pem::parse_many(pem_text).map_err(|e| format!("malformed PEM: {e}"))?;
    let encrypted = blocks.iter().find(|b| {
        b.tag() == "ENCRYPTED PRIVATE KEY"
            || (b.tag().ends_with("PRIVATE KEY")
                && b.headers()
                    .get("Proc-Type")
                    .is_some_and(|v| v.contains("ENCRYPTED")))
    });
    let Some(block) = encrypted else {
        // Not encrypted: a password, if given, is not needed.
        return PrivateKeyDer::from_pem_slice(pem_text).map_err(|e| match e {
            rustls::pki_types::pem::Error::NoItemsFound => {
                "no private key found (PKCS#8, PKCS#1 or SEC1 PEM, \
                 optionally password-protected)"
                    .to_owned()
            }
            e => e.to_string(),
        });
    };
    let Some(password) = password else {
        return Err("the private key is encrypted, but no password was given".to_owned());
    };
    if block.tag() == "ENCRYPTED PRIVATE KEY" {
        let info = pkcs8::EncryptedPrivateKeyInfo::try_from(block.contents())
            .map_err(|e| format!("malformed encrypted PKCS#8 key: {e}"))?;
        let doc = info.decrypt(password.as_bytes()).map_err(|e| {
            format!("cannot decrypt the PKCS#8 key (wrong password or unsupported scheme): {e}")
        })?;
        return Ok(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            doc.as_bytes().to_vec(),
        )));
    }
    let der = decrypt_legacy(block, password)?;
    Ok(match block.tag() {
        "RSA PRIVATE KEY" => PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(der)),
        "EC PRIVATE KEY" => PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(der)),
        "PRIVATE KEY" => PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(der)),
        other => return Err(format!("unsupported key type \"{other}\"")),
    })
}

/// Decrypts an OpenSSL legacy encrypted PEM block.
fn decrypt_legacy(block: &pem::Pem, password: &str) -> Result<Vec<u8>, String> {
    let info = block
        .headers()
        .get("DEK-Info")
        .ok_or("encrypted PEM key without a DEK-Info header")?;
    let (cipher, iv_hex) = info
        .split_once(',')
        .ok_or_else(|| format!("malformed DEK-Info header `{info}`"))?;
    let iv = hex(iv_hex.trim()).ok_or_else(|| format!("malformed IV in DEK-Info `{info}`"))?;
    let key_len = match cipher.trim() {
        "AES-128-CBC" => 16,
        "AES-192-CBC" => 24,
        "AES-256-CBC" => 32,
        other => {
            return Err(format!(
                "unsupported key encryption `{other}` (AES-128/192/256-CBC are supported; \
                 or convert the key to encrypted PKCS#8)"
            ))
        }
    };
    if iv.len() != 16 {
        return Err(format!("the IV in DEK-Info `{info}` is not 16 bytes"));
    }
    let key = evp_bytes_to_key(password.as_bytes(), &iv[..8], key_len);
    let data = block.contents();
    let wrong = |_| "cannot decrypt the key: wrong password or corrupt key".to_owned();
    match key_len {
        16 => cbc::Decryptor::<aes::Aes128>::new_from_slices(&key, &iv)
            .map_err(|e| e.to_string())?
            .decrypt_padded_vec_mut::<Pkcs7>(data)
            .map_err(wrong),
        24 => cbc::Decryptor::<aes::Aes192>::new_from_slices(&key, &iv)
            .map_err(|e| e.to_string())?
            .decrypt_padded_vec_mut::<Pkcs7>(data)
            .map_err(wrong),
        _ => cbc::Decryptor::<aes::Aes256>::new_from_slices(&key, &iv)
            .map_err(|e| e.to_string())?
            .decrypt_padded_vec_mut::<Pkcs7>(data)
            .map_err(wrong),
    }
}

/// OpenSSL's `EVP_BytesToKey` with MD5 and one iteration: `D_i =
/// MD5(D_{i-1} || password || salt)`, concatenated until `len` bytes.
fn evp_bytes_to_key(password: &[u8], salt: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 16);
    let mut prev: Vec<u8> = Vec::new();
    while out.len() < len {
        let mut h = Md5::new();
        h.update(&prev);
        h.update(password);
        h.update(salt);
        prev = h.finalize().to_vec();
        out.extend_from_slice(&prev);
    }
    out.truncate(len);
    out
}

fn hex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evp_bytes_to_key_matches_openssl() {
        // `openssl enc -aes-256-cbc -k password -S 0102030405060708 -P -md md5`
        // prints key=E7B0...CE02 and iv=8D45...226B (the next 16 bytes).
        let out = evp_bytes_to_key(b"password", &[1, 2, 3, 4, 5, 6, 7, 8], 48);
        assert_eq!(
            out[..32],
            hex("E7B0971E52CA5CC8D0539FB3412F6316F7BA2E6EE293D9F3457B99436B51CE02").unwrap()[..]
        );
        assert_eq!(
            out[32..],
            hex("8D450E2ED75A84A923D4EAC9FE49226B").unwrap()[..]
        );
    }

    #[test]
    fn hex_parses() {
        assert_eq!(hex("00ff10"), Some(vec![0, 255, 16]));
        assert_eq!(hex("0"), None);
        assert_eq!(hex("zz"), None);
    }

    #[test]
    fn encrypted_key_needs_password() {
        let pem = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\
                   DEK-Info: AES-256-CBC,00000000000000000000000000000000\n\n\
                   AAAAAAAAAAAAAAAAAAAAAA==\n-----END RSA PRIVATE KEY-----\n";
        let e = private_key(pem.as_bytes(), None).unwrap_err();
        assert!(e.contains("no password"), "{e}");
        let e = private_key(pem.as_bytes(), Some("pw")).unwrap_err();
        assert!(e.contains("wrong password"), "{e}");
        let e = private_key(b"nothing here", Some("pw")).unwrap_err();
        assert!(e.contains("no private key"), "{e}");
    }
}
