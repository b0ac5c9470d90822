//! A minimal blocking HTTP/1.1 client over `std::net::TcpStream`, with read, write and
//! connect timeouts: a stuck server fails a test instead of hanging it. It sends exactly
//! the bytes asked for (odd methods and paths included) and reads `Content-Length`,
//! chunked and close-delimited bodies.

use std::fmt::Write as _;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// Read, write and connect timeout of every client socket.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// The head of a response whose body is still on the connection (see
/// [`Connection::read_head`]).
#[derive(Debug)]
pub struct Head {
    /// The status code.
    pub status: u16,
    /// The header fields, names in lowercase, in order.
    pub headers: Vec<(String, String)>,
    /// Whether the server closes the connection after this response.
    pub close: bool,
    /// Whether the response has no body whatever its headers say (`HEAD`, 204, 304).
    bodiless: bool,
    length: Option<usize>,
    chunked: bool,
}

/// A whole response.
#[derive(Debug)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The header fields, names in lowercase, in order.
    pub headers: Vec<(String, String)>,
    /// The body (de-chunked, not decompressed).
    pub body: Vec<u8>,
    /// Whether the server closes the connection after this response.
    pub close: bool,
}

impl Response {
    /// The value of the first header field named `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn invalid(what: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.into())
}

/// One HTTP/1.1 connection, kept alive from request to request.
#[derive(Debug)]
pub struct Connection {
    stream: BufReader<TcpStream>,
    /// Whether the request written last is a `HEAD`: its response has no body.
    head_request: bool,
}

impl Connection {
    /// Connects to `addr` (within [`IO_TIMEOUT`]).
    pub fn open(addr: SocketAddr) -> io::Result<Self> {
        let stream = TcpStream::connect_timeout(&addr, IO_TIMEOUT)?;
        stream.set_read_timeout(Some(IO_TIMEOUT))?;
        stream.set_write_timeout(Some(IO_TIMEOUT))?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream: BufReader::new(stream),
            head_request: false,
        })
    }

    /// Sends `method target` with `headers` and no body, and reads the whole response.
    pub fn send(
        &mut self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
    ) -> io::Result<Response> {
        self.send_body(method, target, headers, &[])
    }

    /// Sends `method target` with `headers` and `body` (with its `Content-Length`, if not
    /// empty), and reads the whole response.
    pub fn send_body(
        &mut self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> io::Result<Response> {
        self.write_request(method, target, headers, body)?;
        let head = self.read_head()?;
        self.read_body(head)
    }

    /// Sends a request (with `body`, if not empty) and returns without reading anything:
    /// read the response with [`Connection::read_head`] and [`Connection::read_body`].
    pub fn write_request(
        &mut self,
        method: &str,
        target: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> io::Result<()> {
        let mut head = format!("{method} {target} HTTP/1.1\r\nhost: 127.0.0.1\r\n");
        for (name, value) in headers {
            let _ = write!(head, "{name}: {value}\r\n");
        }
        if !body.is_empty() {
            let _ = write!(head, "content-length: {}\r\n", body.len());
        }
        head.push_str("\r\n");
        self.head_request = method == "HEAD";
        let stream = self.stream.get_mut();
        stream.write_all(head.as_bytes())?;
        stream.write_all(body)
    }

    fn line(&mut self) -> io::Result<String> {
        let mut line = String::new();
        if self.stream.read_line(&mut line)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let trimmed = line
            .strip_suffix("\r\n")
            .ok_or_else(|| invalid(format!("line without CRLF: {line:?}")))?;
        Ok(trimmed.to_owned())
    }

    /// Reads the head of the response to the request written last; its body stays on
    /// the connection for [`Connection::read_body`].
    pub fn read_head(&mut self) -> io::Result<Head> {
        let status_line = self.line()?;
        let status: u16 = status_line
            .strip_prefix("HTTP/1.1 ")
            .and_then(|rest| rest.get(..3))
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| invalid(format!("status line {status_line:?}")))?;
        let mut head = Head {
            status,
            headers: Vec::new(),
            close: false,
            bodiless: self.head_request || status == 204 || status == 304,
            length: None,
            chunked: false,
        };
        loop {
            let line = self.line()?;
            if line.is_empty() {
                return Ok(head);
            }
            let (name, value) = line
                .split_once(':')
                .ok_or_else(|| invalid(format!("header {line:?}")))?;
            let (name, value) = (name.to_ascii_lowercase(), value.trim());
            match name.as_str() {
                "content-length" => {
                    head.length = Some(value.parse().map_err(|e| invalid(format!("{e}")))?);
                }
                "transfer-encoding" => head.chunked = value.eq_ignore_ascii_case("chunked"),
                "connection" => head.close = value.eq_ignore_ascii_case("close"),
                _ => {}
            }
            head.headers.push((name, value.to_owned()));
        }
    }

    /// Reads the body of the response whose `head` was read last.
    pub fn read_body(&mut self, head: Head) -> io::Result<Response> {
        let mut body = Vec::new();
        let mut close = head.close;
        if head.bodiless {
            // No body.
        } else if head.chunked {
            loop {
                let size_line = self.line()?;
                let size =
                    usize::from_str_radix(size_line.split(';').next().unwrap_or("").trim(), 16)
                        .map_err(|e| invalid(format!("chunk size {size_line:?}: {e}")))?;
                if size == 0 {
                    while !self.line()?.is_empty() {}
                    break;
                }
                let start = body.len();
                body.resize(start + size, 0);
                self.stream.read_exact(&mut body[start..])?;
                if !self.line()?.is_empty() {
                    return Err(invalid("chunk without CRLF"));
                }
            }
        } else if let Some(length) = head.length {
            body.resize(length, 0);
            self.stream.read_exact(&mut body)?;
        } else {
            self.stream.read_to_end(&mut body)?;
            close = true;
        }
        Ok(Response {
            status: head.status,
            headers: head.headers,
            body,
            close,
        })
    }
}

/// One request on a connection of its own.
pub fn request(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
) -> io::Result<Response> {
    Connection::open(addr)?.send(method, target, headers)
}
