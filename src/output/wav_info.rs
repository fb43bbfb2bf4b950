//! The RIFF `LIST`/`INFO` chunk: the text fields a WAV carries about itself
//! (artist, copyright, comment, software), which DAWs, sox, ffprobe and
//! file browsers show. loam writes the credits of a render or recording
//! there, after the audio, when it finishes the file.
//!
//! Layout (RIFF specification, "INFO list chunk"): `LIST`, its size, `INFO`,
//! then one sub-chunk per field: a four-letter id, the size of its text, the
//! text ending in a NUL byte, and one more NUL when the size is odd, so
//! every chunk starts on an even byte. Text is written as UTF-8.

/// The longest text one INFO field holds, in bytes: 64 KiB. The comment
/// holds the whole programme note, which for a set with a hundred credited
/// sources is under 20 KiB; a longer one is cut at a character boundary
/// and ends by pointing at the credits file, which always holds all.
pub const MAX_INFO_TEXT_BYTES: usize = 64 * 1024;

/// One INFO field: its four-letter id (`IART`, `ICMT`, …) and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InfoField {
    /// The field's id, such as `*b"IART"`.
    pub id: [u8; 4],
    /// Its text.
    pub text: String,
}

/// Where a cut field says the rest is.
const CUT: &str = "\n… (cut; the credits file beside the audio holds all)";

/// The whole `LIST` chunk holding `fields` (empty texts are left out), each
/// text cut to [`MAX_INFO_TEXT_BYTES`].
pub fn info_chunk(fields: &[InfoField]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(b"INFO");
    for field in fields.iter().filter(|f| !f.text.is_empty()) {
        let text = cut(&field.text);
        let size = text.len() + 1;
        body.extend_from_slice(&field.id);
        body.extend_from_slice(&(size as u32).to_le_bytes());
        body.extend_from_slice(text.as_bytes());
        body.push(0);
        if size % 2 == 1 {
            body.push(0);
        }
    }
    let mut chunk = Vec::with_capacity(8 + body.len());
    chunk.extend_from_slice(b"LIST");
    chunk.extend_from_slice(&(body.len() as u32).to_le_bytes());
    chunk.extend_from_slice(&body);
    chunk
}

/// `text` cut to [`MAX_INFO_TEXT_BYTES`] at a character boundary.
fn cut(text: &str) -> std::borrow::Cow<'_, str> {
    if text.len() <= MAX_INFO_TEXT_BYTES {
        return text.into();
    }
    let mut end = MAX_INFO_TEXT_BYTES - CUT.len();
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{CUT}", &text[..end]).into()
}

/// The INFO fields of the RIFF/WAVE file `bytes`, in file order; empty when
/// it has none (or is not a RIFF/WAVE file). Reads every top-level chunk, so
/// an INFO list before or after the audio is found.
pub fn read_info(bytes: &[u8]) -> Vec<InfoField> {
    let mut fields = Vec::new();
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return fields;
    }
    let mut at = 12usize;
    while let Some((id, body)) = chunk_at(bytes, at) {
        if id == *b"LIST" && body.get(0..4) == Some(b"INFO") {
            let mut sub = 4usize;
            while let Some((id, text)) = chunk_at(body, sub) {
                let text = text.split(|b| *b == 0).next().unwrap_or(&[]);
                fields.push(InfoField {
                    id,
                    text: String::from_utf8_lossy(text).into_owned(),
                });
                sub += 8 + text_span(body, sub);
            }
        }
        at += 8 + text_span(bytes, at);
    }
    fields
}

/// The chunk starting at `at`: its id and body (`None` past the end or
/// where the size runs past the data).
fn chunk_at(bytes: &[u8], at: usize) -> Option<([u8; 4], &[u8])> {
    let head = bytes.get(at..at.checked_add(8)?)?;
    let id = [head[0], head[1], head[2], head[3]];
    let size = u32::from_le_bytes([head[4], head[5], head[6], head[7]]) as usize;
    let body = bytes.get(at + 8..(at + 8).checked_add(size)?)?;
    Some((id, body))
}

/// The chunk at `at`'s body size padded to an even number of bytes.
fn text_span(bytes: &[u8], at: usize) -> usize {
    let size = bytes
        .get(at + 4..at + 8)
        .map_or(0, |s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as usize);
    size + size % 2
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wave_with(chunk: &[u8]) -> Vec<u8> {
        let mut bytes = b"RIFF\0\0\0\0WAVE".to_vec();
        bytes.extend_from_slice(b"data\x04\0\0\0\0\0\0\0");
        bytes.extend_from_slice(chunk);
        bytes
    }

    #[test]
    fn fields_come_back_as_written_with_odd_and_even_sizes() {
        let fields = vec![
            InfoField {
                id: *b"IART",
                text: "Ana Example".into(), // 11 bytes + NUL: even
            },
            InfoField {
                id: *b"ICMT",
                text: "Frame drums — CC-BY".into(), // odd with its NUL
            },
            InfoField {
                id: *b"ISFT",
                text: String::new(),
            },
        ];
        let chunk = info_chunk(&fields);
        assert_eq!(&chunk[0..4], b"LIST");
        assert_eq!(chunk.len() % 2, 0);
        assert_eq!(
            u32::from_le_bytes(chunk[4..8].try_into().unwrap()) as usize,
            chunk.len() - 8
        );
        assert_eq!(read_info(&wave_with(&chunk)), fields[..2].to_vec());
    }

    #[test]
    fn a_text_past_the_limit_is_cut_at_a_character_and_says_so() {
        let long = "é".repeat(MAX_INFO_TEXT_BYTES);
        let chunk = info_chunk(&[InfoField {
            id: *b"ICMT",
            text: long,
        }]);
        let back = read_info(&wave_with(&chunk));
        assert!(back[0].text.len() <= MAX_INFO_TEXT_BYTES);
        assert!(back[0].text.ends_with("holds all)"));
    }

    #[test]
    fn a_file_without_info_or_not_a_wave_has_no_fields() {
        assert!(read_info(&wave_with(&[])).is_empty());
        assert!(read_info(b"not a wave at all").is_empty());
        // A size running past the end stops the reading, without a panic.
        assert!(read_info(&wave_with(b"LIST\xff\xff\0\0INFO")).is_empty());
    }
}
