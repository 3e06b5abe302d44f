//! The request every connection sends, encoded once before the run.
//!
//! Encoding once means the hot path writes one shared `Bytes` per request, with no formatting
//! or allocation. Header assembly lives here too because its one rule matters on the wire: a
//! header name appears at most once, and the value given last wins (vastar 0.1 sent two
//! `Content-Type` headers when `-H` and `-T` disagreed, and servers answered 400).

use bytes::Bytes;

use crate::config::RequestSpec;
use crate::url::Target;

/// An ordered header list where each name (case-insensitive) appears once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderList(Vec<(String, String)>);

impl HeaderList {
    /// Sets `name` to `value`, replacing any earlier value of the same name (in place, so the
    /// header keeps the position where it first appeared, with the casing given last).
    pub fn set(&mut self, name: &str, value: &str) {
        match self
            .0
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some(slot) => *slot = (name.to_string(), value.to_string()),
            None => self.0.push((name.to_string(), value.to_string())),
        }
    }

    /// Takes the header of this name out of the list, returning its value.
    pub fn remove(&mut self, name: &str) -> Option<String> {
        let at = self
            .0
            .iter()
            .position(|(n, _)| n.eq_ignore_ascii_case(name))?;
        Some(self.0.remove(at).1)
    }

    /// Whether a header of this name is present.
    pub fn contains(&self, name: &str) -> bool {
        self.0.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
    }

    /// The final list, for [`RequestSpec::headers`].
    pub fn into_vec(self) -> Vec<(String, String)> {
        self.0
    }
}

/// The `Authorization` value for HTTP basic auth (RFC 7617): `Basic base64(user:pass)`.
pub fn basic_auth(user: &str, pass: &str) -> String {
    format!("Basic {}", base64(format!("{user}:{pass}").as_bytes()))
}

/// Standard base64 with padding (RFC 4648 §4); basic auth is its only use, so it lives here
/// rather than in a dependency.
fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// How the request line names its target (RFC 9112 §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// `GET /path?q HTTP/1.1`: to the origin server itself.
    Origin,
    /// `GET http://host:port/path?q HTTP/1.1`: to a proxy, which must learn the target.
    Absolute,
}

/// What HTTP/1.1 writes beyond the protocol-neutral [`RequestSpec`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wire {
    /// How the request line names its target.
    pub form: Form,
    /// Send `Connection: close` (keep-alive off), unless the headers name a `Connection`.
    pub close: bool,
}

impl From<Form> for Wire {
    fn from(form: Form) -> Wire {
        Wire { form, close: false }
    }
}

/// Encodes the request line, `Host`, headers and body into the bytes written for every
/// request. `Content-Length` is derived from the body; callers must not put it in
/// `spec.headers`.
pub fn encode(target: &Target, spec: &RequestSpec) -> Bytes {
    encode_with(target, spec, Form::Origin)
}

/// [`encode`] written as `wire` says: absolute-form for requests through a proxy,
/// `Connection: close` without keep-alive. The authority never carries the URL's user:pass
/// (that goes in headers).
pub fn encode_with(target: &Target, spec: &RequestSpec, wire: impl Into<Wire>) -> Bytes {
    let wire = wire.into();
    let mut out = Vec::with_capacity(256 + spec.body.len());
    let line = match wire.form {
        Form::Origin => format!("{} {} HTTP/1.1\r\n", spec.method, target.path_and_query),
        Form::Absolute => format!(
            "{} http://{}{} HTTP/1.1\r\n",
            spec.method, target.authority, target.path_and_query
        ),
    };
    out.extend_from_slice(line.as_bytes());
    let has_connection = spec
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("connection"));
    let close = (wire.close && !has_connection).then_some(("Connection", "close"));
    let host = ("Host", spec.authority.as_str());
    let headers = spec.headers.iter().map(|(n, v)| (n.as_str(), v.as_str()));
    for (name, value) in std::iter::once(host).chain(headers).chain(close) {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    if !spec.body.is_empty() || method_expects_body(&spec.method) {
        out.extend_from_slice(format!("Content-Length: {}\r\n", spec.body.len()).as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&spec.body);
    Bytes::from(out)
}

/// Methods whose requests servers expect to carry a length even when empty (RFC 9110 §8.6:
/// a user agent should send `Content-Length: 0` for POST/PUT/PATCH without a body).
fn method_expects_body(method: &str) -> bool {
    matches!(method, "POST" | "PUT" | "PATCH")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(method: &str, headers: HeaderList, body: &'static [u8]) -> RequestSpec {
        RequestSpec {
            method: method.into(),
            authority: "h".into(),
            headers: headers.into_vec(),
            body: Bytes::from_static(body),
            extra_bodies: Vec::new(),
        }
    }

    #[test]
    fn later_header_replaces_earlier_case_insensitively_in_place() {
        let mut h = HeaderList::default();
        h.set("Host", "a");
        h.set("Content-Type", "text/html");
        h.set("X-Other", "1");
        h.set("content-type", "application/json");
        assert_eq!(
            h.into_vec(),
            vec![
                ("Host".into(), "a".into()),
                ("content-type".into(), "application/json".into()),
                ("X-Other".into(), "1".into())
            ]
        );
    }

    #[test]
    fn base64_matches_the_rfc_4648_vectors() {
        let vectors = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in vectors {
            assert_eq!(base64(plain.as_bytes()), encoded, "{plain:?}");
        }
        assert_eq!(base64(&[0xff, 0xfe, 0x00]), "//4A");
        assert_eq!(
            basic_auth("Aladdin", "open sesame"),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
    }

    #[test]
    fn encodes_line_host_headers_length_and_body() {
        let target = Target::parse("http://h:8080/p?q=1").unwrap();
        let mut h = HeaderList::default();
        h.set("Accept", "*/*");
        let mut post = spec("POST", h, b"{\"k\":1}");
        post.authority = target.authority.clone();
        let bytes = encode(&target, &post);
        assert_eq!(
            &bytes[..],
            &b"POST /p?q=1 HTTP/1.1\r\nHost: h:8080\r\nAccept: */*\r\nContent-Length: 7\r\n\r\n{\"k\":1}"[..]
        );
    }

    #[test]
    fn absolute_form_names_scheme_authority_path_and_query_but_no_credentials() {
        let target = Target::parse("http://u:s3cret@H:8080/p?q=1").unwrap();
        let mut get = spec("GET", HeaderList::default(), b"");
        get.authority = target.authority.clone();
        let bytes = encode_with(&target, &get, Form::Absolute);
        assert_eq!(
            &bytes[..],
            b"GET http://h:8080/p?q=1 HTTP/1.1\r\nHost: h:8080\r\n\r\n"
        );
        let v6 = Target::parse("http://[::1]/").unwrap();
        let bytes = encode_with(
            &v6,
            &spec("GET", HeaderList::default(), b""),
            Form::Absolute,
        );
        assert_eq!(&bytes[..], b"GET http://[::1]/ HTTP/1.1\r\nHost: h\r\n\r\n");
    }

    #[test]
    fn get_without_body_has_no_content_length_but_empty_post_has_zero() {
        let target = Target::parse("http://h/").unwrap();
        let get = encode(&target, &spec("GET", HeaderList::default(), b""));
        assert_eq!(&get[..], b"GET / HTTP/1.1\r\nHost: h\r\n\r\n");
        let post = encode(&target, &spec("POST", HeaderList::default(), b""));
        assert_eq!(
            &post[..],
            b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n"
        );
    }

    #[test]
    fn keep_alive_off_adds_connection_close_unless_a_connection_header_is_given() {
        let target = Target::parse("http://h/").unwrap();
        let close = Wire {
            form: Form::Origin,
            close: true,
        };
        let bytes = encode_with(&target, &spec("GET", HeaderList::default(), b""), close);
        assert_eq!(
            &bytes[..],
            b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
        );
        let mut h = HeaderList::default();
        h.set("connection", "Upgrade");
        let bytes = encode_with(&target, &spec("GET", h, b""), close);
        assert_eq!(
            &bytes[..],
            b"GET / HTTP/1.1\r\nHost: h\r\nconnection: Upgrade\r\n\r\n"
        );
    }
}
