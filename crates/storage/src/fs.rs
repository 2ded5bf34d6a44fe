//! One durable atomic file write for every file fiskal replaces: secure-element state, CA files,
//! the SUF administration token, the local-audit medium.
//!
//! [`write_atomic`] writes a temporary file with a random name in the target's folder, syncs
//! it, renames it over the target and syncs the folder, so after it returns the new content
//! survives a power cut and a reader sees either the old file or the new one, never a part.
//! Every step's error is reported, naming the step and the path.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Mode of a private file (keys, tokens, secure-element state): read and write by the owner only.
pub const MODE_PRIVATE: u32 = 0o600;
/// Mode of a file anyone on the machine may read (certificates, environment, audit packages).
pub const MODE_PUBLIC: u32 = 0o644;

/// The folder of `path` (`.` for a bare file name).
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// An I/O error that names the failed step and the path.
fn step_err(step: &str, path: &Path, e: &std::io::Error) -> std::io::Error {
    std::io::Error::new(e.kind(), format!("{step} {}: {e}", path.display()))
}

/// A temporary name next to `path`: `.{name}.tmp-{random}`.
fn temporary_name(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    folder_of(path).join(format!(".{name}.tmp-{}", &suffix[..16]))
}

/// Replaces `path` with `bytes` durably and atomically, the new file having permission bits
/// `mode` on Unix ([`MODE_PRIVATE`] or [`MODE_PUBLIC`]).
///
/// Steps: create a temporary file with a random name in the same folder (never following an
/// existing file or link), write, fsync the file, rename it over `path`, fsync the folder. On
/// any error the temporary file is removed and the error (naming the step and path) returned;
/// `path` then still holds its old content, unless only the final folder sync failed.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let tmp = temporary_name(path);
    let result = write_then_rename(&tmp, path, bytes, mode);
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result?;
    sync_folder(folder_of(path))
}

fn write_then_rename(tmp: &Path, path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut f = opts.open(tmp).map_err(|e| step_err("creating", tmp, &e))?;
    #[cfg(unix)]
    {
        // The umask can only take bits away; set them exactly (0600 stays 0600, 0644 is 0644).
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(mode))
            .map_err(|e| step_err("setting the mode of", tmp, &e))?;
    }
    f.write_all(bytes)
        .map_err(|e| step_err("writing", tmp, &e))?;
    f.sync_all().map_err(|e| step_err("syncing", tmp, &e))?;
    drop(f);
    std::fs::rename(tmp, path).map_err(|e| step_err("renaming the new file to", path, &e))
}

/// Syncs a folder, so a rename or a new file in it is durable.
pub fn sync_folder(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| step_err("syncing the folder", dir, &e))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Writes a new file that must not exist yet, durably (fsync of file and folder), with
/// permission bits `mode`. Fails with [`std::io::ErrorKind::AlreadyExists`] when it exists.
pub fn write_new(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut f = opts
        .open(path)
        .map_err(|e| step_err("creating", path, &e))?;
    let written = f
        .write_all(bytes)
        .map_err(|e| step_err("writing", path, &e))
        .and_then(|()| f.sync_all().map_err(|e| step_err("syncing", path, &e)));
    if let Err(e) = written {
        drop(f);
        let _ = std::fs::remove_file(path);
        return Err(e);
    }
    sync_folder(folder_of(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_content_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state.json");
        write_atomic(&p, b"one", MODE_PUBLIC).unwrap();
        write_atomic(&p, b"two", MODE_PUBLIC).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("state.json")]);
    }

    #[cfg(unix)]
    #[test]
    fn modes_are_exact() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let private = dir.path().join("key");
        let public = dir.path().join("cert");
        write_atomic(&private, b"k", MODE_PRIVATE).unwrap();
        write_atomic(&public, b"c", MODE_PUBLIC).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&private), 0o600);
        assert_eq!(mode(&public), 0o644);
        // Replacing a public file with a private one makes it private.
        write_atomic(&public, b"secret", MODE_PRIVATE).unwrap();
        assert_eq!(mode(&public), 0o600);
    }

    #[test]
    fn errors_name_the_step_and_keep_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        // The folder does not exist: creating the temporary file fails.
        let missing = dir.path().join("no-such-folder").join("f");
        let e = write_atomic(&missing, b"x", MODE_PUBLIC).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
        assert!(e.to_string().starts_with("creating "), "{e}");
        // The target is a non-empty folder: the rename fails, the folder stays, no temp file.
        let target = dir.path().join("busy");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("inside"), b"keep").unwrap();
        let e = write_atomic(&target, b"x", MODE_PUBLIC).unwrap_err();
        assert!(e.to_string().contains("renaming"), "{e}");
        assert_eq!(std::fs::read(target.join("inside")).unwrap(), b"keep");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn write_new_refuses_an_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("token");
        write_new(&p, b"first", MODE_PRIVATE).unwrap();
        let e = write_new(&p, b"second", MODE_PRIVATE).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&p).unwrap(), b"first");
    }
}
