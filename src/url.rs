//! Parsing the target URL into what a raw HTTP/1.1 client needs.
//!
//! We only need scheme, host, port, userinfo and the request target, and we need the path and
//! query byte-for-byte as the user typed them, so a small parser with precise error messages
//! serves better than a general URL library (which would normalise and pull in IDNA tables).

use thiserror::Error;

/// The URL schemes vastar understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

impl Scheme {
    /// The scheme as written in a URL, without `://`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// A parsed target URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub scheme: Scheme,
    /// Host to resolve or connect to, without IPv6 brackets.
    pub host: String,
    pub port: u16,
    /// Value of the `Host` header: host (bracketed for IPv6) plus the port when not the default.
    pub authority: String,
    /// Request target: path and query exactly as given (`/` when the URL has no path).
    pub path_and_query: String,
    /// Percent-decoded `user:pass` from the URL, used for basic auth.
    pub userinfo: Option<(String, String)>,
    /// The URL as given, with any password replaced, for reports and messages.
    pub display: String,
}

/// Why a URL was rejected.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum UrlError {
    #[error("invalid URL {0:?}: expected http[s]://host[:port][/path]")]
    NoScheme(String),
    #[error(
        "unsupported URL scheme {0:?}: use http:// or https:// (ws:// and wss:// with `vastar ws`)"
    )]
    UnsupportedScheme(String),
    #[error("unsupported URL scheme {0:?}: vastar ws takes ws:// or wss:// URLs")]
    NotWebSocket(String),
    #[error("invalid URL {0:?}: missing host")]
    NoHost(String),
    #[error("invalid URL {url:?}: bad port {port:?}")]
    BadPort { url: String, port: String },
    #[error("invalid URL {url:?}: bad IPv6 literal {host:?}")]
    BadIpv6 { url: String, host: String },
    #[error("invalid URL {0:?}: whitespace or control characters are not allowed")]
    BadChar(String),
}

impl Target {
    /// Parses `scheme://[user[:pass]@]host[:port][/path][?query][#fragment]`.
    /// Errors quote the URL with any password replaced, since they end up in CI logs.
    pub fn parse(url: &str) -> Result<Target, UrlError> {
        Target::parse_raw(url).map_err(|e| e.redacted(&redact(url)))
    }
}

impl Target {
    /// Parses a `ws://` or `wss://` URL. A WebSocket session is an HTTP/1.1 upgrade over
    /// TCP or TLS, so the target is the `http://` or `https://` one it upgrades, shown as
    /// typed.
    pub fn parse_ws(url: &str) -> Result<Target, UrlError> {
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| UrlError::NoScheme(redact(url)))?;
        let http = match scheme.to_ascii_lowercase().as_str() {
            "ws" => "http",
            "wss" => "https",
            _ => return Err(UrlError::NotWebSocket(scheme.into())),
        };
        let mut target =
            Target::parse(&format!("{http}://{rest}")).map_err(|e| e.redacted(&redact(url)))?;
        target.display = redact(url);
        Ok(target)
    }
}

impl UrlError {
    /// The same error quoting `shown` instead of the URL as typed.
    fn redacted(self, shown: &str) -> UrlError {
        let s = shown.to_string();
        match self {
            UrlError::NoScheme(_) => UrlError::NoScheme(s),
            UrlError::UnsupportedScheme(scheme) => UrlError::UnsupportedScheme(scheme),
            UrlError::NotWebSocket(scheme) => UrlError::NotWebSocket(scheme),
            UrlError::NoHost(_) => UrlError::NoHost(s),
            UrlError::BadPort { port, .. } => UrlError::BadPort { url: s, port },
            UrlError::BadIpv6 { host, .. } => UrlError::BadIpv6 { url: s, host },
            UrlError::BadChar(_) => UrlError::BadChar(s),
        }
    }
}

/// `url` with the password of any `user:pass@` replaced by `***`.
fn redact(url: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[after_scheme..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{}***{}", &url[..after_scheme], &rest[at..]),
        None => url.to_string(),
    }
}

impl Target {
    fn parse_raw(url: &str) -> Result<Target, UrlError> {
        if url.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return Err(UrlError::BadChar(url.to_string()));
        }
        let (scheme_str, rest) = url
            .split_once("://")
            .ok_or_else(|| UrlError::NoScheme(url.into()))?;
        let scheme = match scheme_str.to_ascii_lowercase().as_str() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            _ => return Err(UrlError::UnsupportedScheme(scheme_str.into())),
        };
        let rest = rest.split('#').next().unwrap_or("");
        let split = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority_part, target_part) = rest.split_at(split);
        let path_and_query = match target_part {
            "" => "/".to_string(),
            t if t.starts_with('?') => format!("/{t}"),
            t => t.to_string(),
        };
        let (userinfo, hostport) = match authority_part.rsplit_once('@') {
            Some((u, h)) => (Some(parse_userinfo(u)), h),
            None => (None, authority_part),
        };
        let (host, port_str, bracketed) = split_host_port(url, hostport)?;
        if host.is_empty() {
            return Err(UrlError::NoHost(url.into()));
        }
        let default_port = match scheme {
            Scheme::Http => 80,
            Scheme::Https => 443,
        };
        let port = match port_str {
            None | Some("") => default_port,
            Some(p) => {
                p.parse::<u16>()
                    .ok()
                    .filter(|&p| p != 0)
                    .ok_or_else(|| UrlError::BadPort {
                        url: url.into(),
                        port: p.into(),
                    })?
            }
        };
        let host_for_header = if bracketed {
            format!("[{host}]")
        } else {
            host.to_ascii_lowercase()
        };
        let authority = if port == default_port {
            host_for_header
        } else {
            format!("{host_for_header}:{port}")
        };
        let display = match &userinfo {
            Some(_) => url.replacen(authority_part, &format!("***@{hostport}"), 1),
            None => url.to_string(),
        };
        Ok(Target {
            scheme,
            host: host.to_string(),
            port,
            authority,
            path_and_query,
            userinfo,
            display,
        })
    }
}

fn split_host_port<'a>(
    url: &str,
    hostport: &'a str,
) -> Result<(&'a str, Option<&'a str>, bool), UrlError> {
    if let Some(inner) = hostport.strip_prefix('[') {
        let (host, after) = inner.split_once(']').ok_or_else(|| UrlError::BadIpv6 {
            url: url.into(),
            host: hostport.into(),
        })?;
        if host.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(UrlError::BadIpv6 {
                url: url.into(),
                host: hostport.into(),
            });
        }
        return match after {
            "" => Ok((host, None, true)),
            a => match a.strip_prefix(':') {
                Some(p) => Ok((host, Some(p), true)),
                None => Err(UrlError::BadIpv6 {
                    url: url.into(),
                    host: hostport.into(),
                }),
            },
        };
    }
    match hostport.rsplit_once(':') {
        Some((h, p)) => Ok((h, Some(p), false)),
        None => Ok((hostport, None, false)),
    }
}

fn parse_userinfo(userinfo: &str) -> (String, String) {
    let (user, pass) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    (percent_decode(user), percent_decode(pass))
}

/// Decodes `%XX` escapes; malformed escapes are kept literally, as browsers do.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn websocket_urls_upgrade_their_http_targets() {
        let t = Target::parse_ws("wss://u:secret@example.com/stream?x=1").unwrap();
        assert_eq!((t.scheme, t.port), (Scheme::Https, 443));
        assert_eq!(t.path_and_query, "/stream?x=1");
        assert_eq!(t.display, "wss://***@example.com/stream?x=1");
        assert_eq!(Target::parse_ws("ws://h:9/").unwrap().scheme, Scheme::Http);
        assert_eq!(
            Target::parse_ws("http://h/"),
            Err(UrlError::NotWebSocket("http".into()))
        );
        assert!(Target::parse("ws://h/")
            .unwrap_err()
            .to_string()
            .contains("vastar ws"));
    }

    #[test]
    fn plain_host_defaults_path_and_port() {
        let t = Target::parse("http://example.com").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.authority.as_str()),
            ("example.com", 80, "example.com")
        );
        assert_eq!(t.path_and_query, "/");
    }

    #[test]
    fn https_defaults_to_port_443() {
        let t = Target::parse("HTTPS://example.com/x").unwrap();
        assert_eq!(t.scheme, Scheme::Https);
        assert_eq!((t.port, t.authority.as_str()), (443, "example.com"));
        let t = Target::parse("https://example.com:80/").unwrap();
        assert_eq!(t.authority, "example.com:80");
    }

    #[test]
    fn path_and_query_kept_exactly_fragment_dropped() {
        let t = Target::parse("http://h:8080/a%20b/c?x=1&y=%2F#frag").unwrap();
        assert_eq!(t.path_and_query, "/a%20b/c?x=1&y=%2F");
        assert_eq!(t.authority, "h:8080");
        let q = Target::parse("http://h?x=1").unwrap();
        assert_eq!(q.path_and_query, "/?x=1");
    }

    #[test]
    fn ipv6_literal_with_and_without_port() {
        let t = Target::parse("http://[::1]:8080/x").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.authority.as_str()),
            ("::1", 8080, "[::1]:8080")
        );
        let t = Target::parse("http://[::1]/").unwrap();
        assert_eq!((t.port, t.authority.as_str()), (80, "[::1]"));
        assert!(matches!(
            Target::parse("http://[::1/"),
            Err(UrlError::BadIpv6 { .. })
        ));
        assert!(matches!(
            Target::parse("http://[zz]:80/"),
            Err(UrlError::BadIpv6 { .. })
        ));
    }

    #[test]
    fn userinfo_is_decoded_and_hidden_from_display() {
        let t = Target::parse("http://us%40er:p%3Ass@h:81/").unwrap();
        assert_eq!(t.userinfo, Some(("us@er".into(), "p:ss".into())));
        assert_eq!(t.authority, "h:81");
        assert!(!t.display.contains("p%3Ass"), "{}", t.display);
    }

    #[test]
    fn rejects_bad_input_with_specific_errors() {
        assert!(matches!(
            Target::parse("example.com"),
            Err(UrlError::NoScheme(_))
        ));
        assert!(matches!(
            Target::parse("ftp://h/"),
            Err(UrlError::UnsupportedScheme(_))
        ));
        assert!(matches!(
            Target::parse("http:///x"),
            Err(UrlError::NoHost(_))
        ));
        assert!(matches!(
            Target::parse("http://h:99999/"),
            Err(UrlError::BadPort { .. })
        ));
        assert!(matches!(
            Target::parse("http://h:0/"),
            Err(UrlError::BadPort { .. })
        ));
        assert!(matches!(
            Target::parse("http://h:x/"),
            Err(UrlError::BadPort { .. })
        ));
        assert!(matches!(
            Target::parse("http://h/a b"),
            Err(UrlError::BadChar(_))
        ));
    }

    #[test]
    fn errors_never_quote_the_password() {
        let err = Target::parse("http://user:s3cret@h:99999/")
            .unwrap_err()
            .to_string();
        assert!(
            !err.contains("s3cret") && err.contains("***@h:99999"),
            "{err}"
        );
        let err = Target::parse("http://u:s3cret@[::1/")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("s3cret"), "{err}");
        assert_eq!(redact("http://a@b@h/x@y"), "http://***@h/x@y");
    }

    #[test]
    fn percent_decode_keeps_malformed_escapes() {
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("%zz"), "%zz");
        assert_eq!(percent_decode("%41%42"), "AB");
    }
}
