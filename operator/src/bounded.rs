//! Reads with a ceiling. Whatever Sluice reads from a file it does not own or from the
//! network (plugin lists and markers, Connect answers, policy modules, Hub and Maven answers)
//! goes through here, so no peer can make it hold more than the bound in memory, whatever
//! `Content-Length` or a file's size said.

use std::{io::Read, path::Path};

/// Why a bounded read failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// More than the bound was there (or announced).
    TooLarge { max: u64 },
    /// The read itself failed.
    Io(String),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::TooLarge { max } => write!(f, "larger than the {max} bytes Sluice reads"),
            ReadError::Io(e) => f.write_str(e),
        }
    }
}

/// The whole of the file at `path`, if it holds at most `max` bytes. Blocking.
pub fn read_file(path: &Path, max: u64) -> Result<Vec<u8>, ReadError> {
    let file = std::fs::File::open(path).map_err(|e| ReadError::Io(e.to_string()))?;
    read_all(file, max)
}

/// All of `reader`, if it yields at most `max` bytes. Blocking.
pub fn read_all(reader: impl Read, max: u64) -> Result<Vec<u8>, ReadError> {
    let mut bytes = Vec::new();
    reader.take(max + 1).read_to_end(&mut bytes).map_err(|e| ReadError::Io(e.to_string()))?;
    if bytes.len() as u64 > max {
        return Err(ReadError::TooLarge { max });
    }
    Ok(bytes)
}

/// The body of `response`, if it is at most `max` bytes: refused on its `Content-Length`
/// before a byte is read, and otherwise as soon as the bytes received pass the bound.
pub async fn body(mut response: reqwest::Response, max: u64) -> Result<Vec<u8>, ReadError> {
    if response.content_length().is_some_and(|n| n > max) {
        return Err(ReadError::TooLarge { max });
    }
    let mut bytes = Vec::new();
    while let Some(chunk) =
        response.chunk().await.map_err(|e| ReadError::Io(e.without_url().to_string()))?
    {
        if (bytes.len() + chunk.len()) as u64 > max {
            return Err(ReadError::TooLarge { max });
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_stops_one_byte_past_the_bound() {
        assert_eq!(read_all(&b"12345"[..], 5).unwrap(), b"12345");
        assert_eq!(read_all(&b"123456"[..], 5), Err(ReadError::TooLarge { max: 5 }));
        // An endless source is refused after max + 1 bytes, not read to its end.
        assert_eq!(
            read_all(std::io::repeat(0), 1 << 10),
            Err(ReadError::TooLarge { max: 1 << 10 })
        );
    }
}
