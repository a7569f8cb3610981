//! Key files (the session key, the master secret of the sealed envelopes): hex on disk, readable
//! by their owner only.

use rand::RngCore;
use std::io::Write;
use std::path::Path;

/// What reading a key file found.
pub enum KeyFile {
    /// The key, and a warning when the file is readable or writable by others.
    Found(Vec<u8>, Option<String>),
    Missing,
}

/// Reads a hex key file of at least `min_len` bytes.
pub fn read(path: &Path, min_len: usize) -> Result<KeyFile, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(KeyFile::Missing),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    let key = hex::decode(text.trim()).map_err(|_| format!("{}: not a hex key", path.display()))?;
    if key.len() < min_len {
        return Err(format!(
            "{}: the key must have at least {min_len} bytes ({} hex digits)",
            path.display(),
            min_len * 2
        ));
    }
    Ok(KeyFile::Found(key, loose_permissions(path)))
}

/// Creates the file with a new random key of `len` bytes, readable and writable by its owner
/// only (0600), refusing to overwrite one that appeared meanwhile.
pub fn create(path: &Path, len: usize) -> Result<Vec<u8>, String> {
    let mut key = vec![0u8; len];
    rand::thread_rng().fill_bytes(&mut key);
    write_private(path, hex::encode(&key).as_bytes())?;
    Ok(key)
}

/// Writes a new file readable and writable by its owner only (0600), refusing to overwrite
/// one that exists.
pub fn write_private(path: &Path, content: &[u8]) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    f.write_all(content)
        .and_then(|_| f.sync_all())
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Reads the key, or creates it when the file does not exist; warnings are logged.
pub fn read_or_create(path: &Path, len: usize) -> Result<Vec<u8>, String> {
    match read(path, len)? {
        KeyFile::Found(key, warning) => {
            if let Some(w) = warning {
                tracing::warn!("{w}");
            }
            Ok(key)
        }
        KeyFile::Missing => create(path, len),
    }
}

#[cfg(unix)]
fn loose_permissions(path: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then(|| {
        format!(
            "{}: the key file can be read by others (mode {mode:o}); restrict it: chmod 600 {}",
            path.display(),
            path.display()
        )
    })
}

#[cfg(not(unix))]
fn loose_permissions(_: &Path) -> Option<String> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn created_owner_only_and_loose_files_warned() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("var").join("k.key");
        let key = read_or_create(&path, 32).unwrap();
        assert_eq!(key.len(), 32);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        match read(&path, 32).unwrap() {
            KeyFile::Found(k, None) => assert_eq!(k, key),
            _ => panic!("a 0600 file reads without a warning"),
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        match read(&path, 32).unwrap() {
            KeyFile::Found(_, Some(w)) => assert!(w.contains("chmod 600"), "{w}"),
            _ => panic!("a 0644 file is warned about"),
        }
        assert!(create(&path, 32).is_err(), "never overwrites a key");
        std::fs::write(&path, "abcd").unwrap();
        assert!(read(&path, 32).is_err(), "too short");
    }
}
