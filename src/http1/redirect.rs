//! Redirects: where a `Location` points, and the request that follows it there.
//!
//! hey and oha follow redirects by default, so a drop-in must too. Only redirects to the
//! target's own origin (scheme, host, port) are followed: connections are opened to one
//! address before the run, and a load test that wanders to other hosts would measure them
//! instead. Everything here runs only when a 3xx with a `Location` arrives, so it may
//! allocate; the request of a plain run never passes through it.
//!
//! Method rules are Go's (what hey does) and the browsers': 301, 302 and 303 turn anything
//! but GET and HEAD into a GET without body (303 always drops the body); 307 and 308 repeat
//! the method and the body.

use bytes::Bytes;

use super::request::{encode_with, Wire};
use crate::config::RequestSpec;
use crate::url::Target;

/// Response statuses that redirect when they carry a `Location`.
pub fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// Headers that describe a body; dropped with it when a redirect turns a request into a GET
/// (the Fetch standard's "request-body-header names").
const BODY_HEADERS: [&str; 4] = [
    "content-type",
    "content-encoding",
    "content-language",
    "content-location",
];

/// Where a `Location` points, seen from the URL that answered with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// The same origin: the new request target (path and query), dot segments removed.
    SameOrigin(String),
    /// Another scheme, host or port (or a URL vastar cannot reach): not followed.
    OtherOrigin,
    /// Not a usable reference (control characters, spaces, not UTF-8): not followed.
    Invalid,
}

/// Resolves `location` against the request target `base` (path and query) of `origin`,
/// as RFC 3986 §5.2 does; the fragment is dropped.
pub fn resolve(origin: &Target, base: &str, location: &[u8]) -> Resolved {
    let Ok(location) = std::str::from_utf8(location) else {
        return Resolved::Invalid;
    };
    let location = location.split('#').next().unwrap_or_default();
    if location.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Resolved::Invalid;
    }
    if let Some(rest) = location.strip_prefix("//") {
        return absolute(origin, &format!("http://{rest}"));
    }
    if has_scheme(location) {
        return absolute(origin, location);
    }
    let base_path = base.split('?').next().unwrap_or("/");
    let reference = if location.is_empty() {
        base.to_string()
    } else if location.starts_with('/') {
        location.to_string()
    } else if location.starts_with('?') {
        format!("{base_path}{location}")
    } else {
        let dir = base_path.rfind('/').map_or("/", |i| &base_path[..=i]);
        format!("{dir}{location}")
    };
    Resolved::SameOrigin(without_dot_segments(&reference))
}

/// An absolute URL: followed only when it names the same scheme, host and port.
fn absolute(origin: &Target, url: &str) -> Resolved {
    match Target::parse(url) {
        Ok(t)
            if t.scheme == origin.scheme
                && t.port == origin.port
                && t.host.eq_ignore_ascii_case(&origin.host) =>
        {
            Resolved::SameOrigin(without_dot_segments(&t.path_and_query))
        }
        _ => Resolved::OtherOrigin,
    }
}

/// Whether a reference starts with a URI scheme (`ALPHA *(ALPHA / DIGIT / + / - / .) ":"`).
fn has_scheme(reference: &str) -> bool {
    let Some((scheme, _)) = reference.split_once(':') else {
        return false;
    };
    let mut bytes = scheme.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
}

/// RFC 3986 §5.2.4 on the path of a request target starting with `/`; the query is kept.
fn without_dot_segments(target: &str) -> String {
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    };
    let mut out: Vec<&str> = Vec::new();
    let mut segments = path.split('/').skip(1).peekable();
    while let Some(segment) = segments.next() {
        let last = segments.peek().is_none();
        match segment {
            "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
        if last && matches!(segment, "." | "..") {
            out.push("");
        }
    }
    let mut resolved = format!("/{}", out.join("/"));
    if let Some(query) = query {
        resolved.push('?');
        resolved.push_str(query);
    }
    resolved
}

/// One hop's request, built when a redirect asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Followup {
    /// Request target (path and query) it asks for; the base of the next `Location`.
    pub path_and_query: String,
    /// Method after the redirect's rules.
    pub method: String,
    /// Body after the redirect's rules (empty when dropped).
    pub body: Bytes,
    /// The bytes to write.
    pub request: Bytes,
}

impl Followup {
    /// Whether the request is HEAD (its response has no body).
    pub fn is_head(&self) -> bool {
        self.method == "HEAD"
    }
}

/// What a redirect response leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// The request to send next, on the same origin.
    Follow(Box<Followup>),
    /// The `Location` names another origin: not followed.
    OtherOrigin,
    /// No usable `Location`: the response is final.
    Final,
}

/// How to build the requests that follow redirects of one run: its target, its request
/// and how request lines are written (origin-form, or absolute-form through a proxy).
#[derive(Debug, Clone)]
pub struct RedirectPolicy {
    target: Target,
    spec: RequestSpec,
    wire: Wire,
    /// The origin the `Host` header names when it overrides the URL's (`--host`): servers
    /// build absolute `Location`s from `Host`, and those point back at the same server.
    host_origin: Option<Target>,
}

impl RedirectPolicy {
    /// The policy for requests of `spec` to `target`, written as `wire` says.
    pub fn new(target: Target, spec: RequestSpec, wire: impl Into<Wire>) -> Self {
        let host_origin = Some(&spec.authority)
            .filter(|value| !value.eq_ignore_ascii_case(&target.authority))
            .and_then(|value| {
                Target::parse(&format!("{}://{value}/", target.scheme.as_str())).ok()
            });
        RedirectPolicy {
            target,
            spec,
            wire: wire.into(),
            host_origin,
        }
    }

    /// The request that follows a `status` response with `location` to the request
    /// `current` (`None`: the run's own request).
    pub fn next(&self, current: Option<&Followup>, status: u16, location: &[u8]) -> Next {
        let (base, method, body) = match current {
            Some(c) => (c.path_and_query.as_str(), c.method.as_str(), &c.body),
            None => (
                self.target.path_and_query.as_str(),
                self.spec.method.as_str(),
                &self.spec.body,
            ),
        };
        let aliased = || {
            let host_origin = self.host_origin.as_ref()?;
            match resolve(host_origin, base, location) {
                Resolved::SameOrigin(p) => Some(p),
                _ => None,
            }
        };
        let path_and_query = match resolve(&self.target, base, location) {
            Resolved::SameOrigin(p) => p,
            Resolved::OtherOrigin => match aliased() {
                Some(p) => p,
                None => return Next::OtherOrigin,
            },
            Resolved::Invalid => return Next::Final,
        };
        let keep = matches!(status, 307 | 308);
        let method = match method {
            "GET" | "HEAD" => method,
            _ if keep => method,
            _ => "GET",
        };
        let body = if keep { body.clone() } else { Bytes::new() };
        let mut spec = RequestSpec {
            method: method.to_string(),
            authority: self.spec.authority.clone(),
            headers: self.spec.headers.clone(),
            body,
            extra_bodies: Vec::new(),
        };
        if !keep {
            spec.headers
                .retain(|(n, _)| !BODY_HEADERS.iter().any(|b| n.eq_ignore_ascii_case(b)));
        }
        let target = Target {
            path_and_query,
            ..self.target.clone()
        };
        Next::Follow(Box::new(Followup {
            request: encode_with(&target, &spec, self.wire),
            path_and_query: target.path_and_query,
            method: spec.method,
            body: spec.body,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http1::request::Form;

    fn origin() -> Target {
        Target::parse("http://Example.com:8080/a/b/c?q=1").unwrap()
    }

    fn same(p: &str) -> Resolved {
        Resolved::SameOrigin(p.into())
    }

    #[test]
    fn relative_locations_resolve_against_the_current_url() {
        let o = origin();
        let base = "/a/b/c?q=1";
        let cases = [
            ("/x", "/x"),
            ("/x?y=2#frag", "/x?y=2"),
            ("x", "/a/b/x"),
            ("./x", "/a/b/x"),
            ("../x", "/a/x"),
            ("../../../../x", "/x"),
            ("x/./y/../z", "/a/b/x/z"),
            ("..", "/a/"),
            (".", "/a/b/"),
            ("?z=3", "/a/b/c?z=3"),
            ("", "/a/b/c?q=1"),
            ("/p/../q/", "/q/"),
        ];
        for (location, expected) in cases {
            assert_eq!(
                resolve(&o, base, location.as_bytes()),
                same(expected),
                "{location}"
            );
        }
    }

    #[test]
    fn absolute_locations_are_followed_only_on_the_same_origin() {
        let o = origin();
        let at = |l: &str| resolve(&o, "/", l.as_bytes());
        assert_eq!(at("http://example.com:8080/x?y"), same("/x?y"));
        assert_eq!(at("HTTP://EXAMPLE.COM:8080"), same("/"));
        assert_eq!(at("//example.com:8080/z/../w"), same("/w"));
        assert_eq!(at("http://example.com/x"), Resolved::OtherOrigin);
        assert_eq!(at("http://other:8080/x"), Resolved::OtherOrigin);
        assert_eq!(at("//other:8080/x"), Resolved::OtherOrigin);
        assert_eq!(at("https://example.com:8080/x"), Resolved::OtherOrigin);
        assert_eq!(at("mailto:a@b"), Resolved::OtherOrigin);
        assert_eq!(at("/a b"), Resolved::Invalid);
        assert_eq!(resolve(&o, "/", b"/\xff"), Resolved::Invalid);
    }

    fn policy(method: &str, body: &'static [u8]) -> RedirectPolicy {
        let target = Target::parse("http://h/start").unwrap();
        let spec = RequestSpec {
            method: method.into(),
            authority: "h".into(),
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: Bytes::from_static(body),
            extra_bodies: Vec::new(),
        };
        RedirectPolicy::new(target, spec, Form::Origin)
    }

    fn follow(p: &RedirectPolicy, current: Option<&Followup>, status: u16, l: &str) -> Followup {
        match p.next(current, status, l.as_bytes()) {
            Next::Follow(f) => *f,
            other => panic!("not followed: {other:?}"),
        }
    }

    #[test]
    fn see_other_and_post_redirects_become_a_get_without_body() {
        let p = policy("POST", b"{}");
        for status in [301, 302, 303] {
            let f = follow(&p, None, status, "/next");
            assert_eq!((f.method.as_str(), f.body.len()), ("GET", 0), "{status}");
            assert_eq!(&f.request[..], b"GET /next HTTP/1.1\r\nHost: h\r\n\r\n");
        }
        let f = follow(&policy("HEAD", b""), None, 303, "/n");
        assert!(f.is_head());
    }

    #[test]
    fn temporary_and_permanent_redirects_keep_method_and_body() {
        let p = policy("POST", b"{}");
        for status in [307, 308] {
            let f = follow(&p, None, status, "n");
            assert_eq!(f.path_and_query, "/n");
            assert_eq!(
                &f.request[..],
                &b"POST /n HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n\
                   Content-Length: 2\r\n\r\n{}"[..]
            );
        }
    }

    #[test]
    fn a_chain_resolves_each_hop_against_the_previous_one() {
        let p = policy("POST", b"{}");
        let first = follow(&p, None, 307, "/one/two");
        let second = follow(&p, Some(&first), 303, "three");
        assert_eq!(second.path_and_query, "/one/three");
        assert_eq!(second.method, "GET");
        let third = follow(&p, Some(&second), 307, "four");
        assert_eq!((third.method.as_str(), third.body.len()), ("GET", 0));
        assert_eq!(p.next(None, 302, b"http://elsewhere/"), Next::OtherOrigin);
        assert_eq!(p.next(None, 302, b"bad location"), Next::Final);
    }

    #[test]
    fn a_location_built_from_an_overridden_host_header_is_the_same_origin() {
        let target = Target::parse("http://10.0.0.5:8080/dir").unwrap();
        let spec = RequestSpec {
            method: "GET".into(),
            authority: "api.example".into(),
            headers: Vec::new(),
            body: Bytes::new(),
            extra_bodies: Vec::new(),
        };
        let p = RedirectPolicy::new(target, spec, Form::Origin);
        let f = follow(&p, None, 301, "http://API.example/dir/");
        assert_eq!(f.path_and_query, "/dir/");
        assert_eq!(
            &f.request[..],
            b"GET /dir/ HTTP/1.1\r\nHost: api.example\r\n\r\n"
        );
        assert_eq!(
            follow(&p, None, 301, "http://10.0.0.5:8080/x").path_and_query,
            "/x"
        );
        assert_eq!(
            p.next(None, 301, b"https://api.example/"),
            Next::OtherOrigin
        );
        assert_eq!(
            p.next(None, 301, b"http://other.example/"),
            Next::OtherOrigin
        );
    }

    #[test]
    fn only_the_five_redirect_statuses_redirect() {
        let yes: Vec<u16> = (300..400).filter(|&s| is_redirect(s)).collect();
        assert_eq!(yes, [301, 302, 303, 307, 308]);
    }
}
