//! Plugin archives for tests, built in memory.

use std::io::{Cursor, Write};

/// A deflated zip of `files`, `(entry name, bytes)` in order.
pub fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data) in files {
        w.start_file(*name, options).expect("a zip entry starts");
        w.write_all(data).expect("a zip entry is written");
    }
    w.finish().expect("the zip is finished").into_inner()
}

/// `len` bytes that do not compress, so a size limit and not the compression-ratio bound
/// is what refuses an archive of them.
pub fn incompressible(len: u32) -> Vec<u8> {
    (0..len).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect()
}
