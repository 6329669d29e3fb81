//! Reading one request line with a hard size limit, so a client that never sends a newline
//! costs at most the limit in memory, never more.

use std::io;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt};

#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// A line (newline stripped) is in the buffer. The last line before end of input counts
    /// even without its newline.
    Complete,
    /// The line is longer than the limit; the stream is left mid-line.
    TooLong,
    /// The peer closed the connection between lines.
    Eof,
}

/// Reads one line into `buf` (cleared first), reading at most `max + 1` bytes.
pub async fn read_line<R>(reader: &mut R, buf: &mut Vec<u8>, max: usize) -> io::Result<Line>
where
    R: AsyncBufRead + Unpin,
{
    buf.clear();
    let limit = max as u64 + 1;
    let n = (&mut *reader).take(limit).read_until(b'\n', buf).await?;
    if n == 0 {
        return Ok(Line::Eof);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
    } else if n as u64 == limit {
        return Ok(Line::TooLong);
    }
    Ok(if buf.len() > max {
        Line::TooLong
    } else {
        Line::Complete
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn splits_lines_and_enforces_the_limit() {
        let mut input: &[u8] = b"{\"op\":\"ping\"}\n\nabcdefghij\nlast";
        let mut buf = Vec::new();
        assert_eq!(read_line(&mut input, &mut buf, 16).await.unwrap(), Line::Complete);
        assert_eq!(buf, b"{\"op\":\"ping\"}");
        assert_eq!(read_line(&mut input, &mut buf, 16).await.unwrap(), Line::Complete);
        assert_eq!(buf, b"");
        assert_eq!(read_line(&mut input, &mut buf, 9).await.unwrap(), Line::TooLong);
        assert!(buf.len() <= 10);

        let mut input: &[u8] = b"abcdefghi\nlast";
        assert_eq!(read_line(&mut input, &mut buf, 9).await.unwrap(), Line::Complete);
        assert_eq!(buf, b"abcdefghi");
        assert_eq!(read_line(&mut input, &mut buf, 9).await.unwrap(), Line::Complete);
        assert_eq!(buf, b"last");
        assert_eq!(read_line(&mut input, &mut buf, 9).await.unwrap(), Line::Eof);
    }

    #[tokio::test]
    async fn never_buffers_past_the_limit() {
        let endless = vec![b'x'; 1 << 20];
        let mut input: &[u8] = &endless;
        let mut buf = Vec::new();
        assert_eq!(
            read_line(&mut input, &mut buf, 1024).await.unwrap(),
            Line::TooLong
        );
        assert_eq!(buf.len(), 1025);
    }
}
