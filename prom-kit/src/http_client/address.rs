//! The `server_address` label: the host and explicit port a request goes to, never the
//! rest of its URL.

use http::uri::Authority;
use http::{HeaderMap, Uri, header::HOST};

/// The `server_address` of a request whose target names no host (a relative URI and no
/// valid `Host` header).
pub const UNKNOWN_SERVER: &str = "<unknown>";

/// Longest host kept: a DNS name is at most 253 characters; anything longer is not a
/// server anyone can reach, so it is not worth a series.
const MAX_HOST_LEN: usize = 253;

/// `host[:port]` of the request's URI (lowercased; the port only when written), or of
/// its `Host` header for a relative URI; [`UNKNOWN_SERVER`] when neither names one. The
/// user information, path and query never appear.
pub(super) fn server_address(uri: &Uri, headers: &HeaderMap) -> String {
    let from_header = || {
        headers
            .get(HOST)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<Authority>().ok())
    };
    let authority = uri.authority().cloned().or_else(from_header);
    let Some(authority) = authority else {
        return UNKNOWN_SERVER.to_owned();
    };
    let host = authority.host();
    if host.is_empty() || host.len() > MAX_HOST_LEN {
        return UNKNOWN_SERVER.to_owned();
    }
    let mut address = host.to_ascii_lowercase();
    if let Some(port) = authority.port_u16() {
        address.push(':');
        address.push_str(itoa::Buffer::new().format(port));
    }
    address
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(uri: &str, host: Option<&str>) -> String {
        let mut headers = HeaderMap::new();
        if let Some(host) = host {
            headers.insert(HOST, host.parse().unwrap());
        }
        server_address(&uri.parse().unwrap(), &headers)
    }

    #[test]
    fn only_host_and_written_port_are_kept() {
        assert_eq!(
            address("http://user:secret@API.Example.com:8443/a/b?token=x", None),
            "api.example.com:8443"
        );
        assert_eq!(address("https://example.com/path", None), "example.com");
        assert_eq!(address("http://[::1]:3000/", None), "[::1]:3000");
        assert_eq!(address("/relative", Some("Backend:81")), "backend:81");
        assert_eq!(address("/relative", Some("bad host")), UNKNOWN_SERVER);
        assert_eq!(address("/relative", None), UNKNOWN_SERVER);
        let long = format!("http://{}.com/", "a".repeat(300));
        assert_eq!(address(&long, None), UNKNOWN_SERVER);
    }
}
