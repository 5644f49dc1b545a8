//! Just enough PNG reading to check a screenshot's size.

/// The width and height in a PNG's header, or `None` if `bytes` is not a PNG.
pub fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    // The IHDR chunk always comes first: length, "IHDR", then width and height.
    if bytes.len() < 24 || !bytes.starts_with(SIGNATURE) || &bytes[12..16] != b"IHDR" {
        return None;
    }
    let word =
        |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    Some((word(16), word(20)))
}

#[cfg(test)]
mod tests {
    use super::png_size;

    #[test]
    fn reads_the_header_size() {
        let mut header = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        header.extend_from_slice(&1280u32.to_be_bytes());
        header.extend_from_slice(&800u32.to_be_bytes());
        assert_eq!(png_size(&header), Some((1280, 800)));
        assert_eq!(png_size(b"GIF89a not a png at all"), None);
    }
}
