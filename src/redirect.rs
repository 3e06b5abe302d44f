//! Redirects, protocol-neutral: where a `Location` points, and what the request that follows
//! it there asks for (method, body, headers). Each protocol writes that request its own way
//! (`http1::redirect` as HTTP/1.1 bytes, `http2` as a request head).
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

/// The request one redirect leads to, as the rules decided it: where it goes and what it
/// sends. The base of the next `Location` in a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    /// The run's target with the new path and query.
    pub target: Target,
    /// Method, headers and body after the redirect's rules; `extra_bodies` is empty.
    pub spec: RequestSpec,
}

impl Hop {
    /// Whether the request is HEAD (its response has no body).
    pub fn is_head(&self) -> bool {
        self.spec.method == "HEAD"
    }
}

/// What a redirect response leads to; `F` is the protocol's written form of a [`Hop`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next<F> {
    /// The request to send next, on the same origin.
    Follow(Box<F>),
    /// The `Location` names another origin: not followed.
    OtherOrigin,
    /// No usable `Location`: the response is final.
    Final,
}

impl<F> Next<F> {
    /// The same outcome with the followed request written by `write`.
    pub fn map<G>(self, write: impl FnOnce(F) -> G) -> Next<G> {
        match self {
            Next::Follow(f) => Next::Follow(Box::new(write(*f))),
            Next::OtherOrigin => Next::OtherOrigin,
            Next::Final => Next::Final,
        }
    }
}

/// The redirect rules of one run: its target and request, and the origin its `Host`
/// names when that overrides the URL's.
#[derive(Debug, Clone)]
pub struct Rules {
    target: Target,
    spec: RequestSpec,
    /// The origin the `Host` header names when it overrides the URL's (`--host`): servers
    /// build absolute `Location`s from `Host`, and those point back at the same server.
    host_origin: Option<Target>,
}

impl Rules {
    /// The rules for requests of `spec` to `target`.
    pub fn new(target: Target, spec: RequestSpec) -> Self {
        let host_origin = Some(&spec.authority)
            .filter(|value| !value.eq_ignore_ascii_case(&target.authority))
            .and_then(|value| {
                Target::parse(&format!("{}://{value}/", target.scheme.as_str())).ok()
            });
        Rules {
            target,
            spec,
            host_origin,
        }
    }

    /// The request that follows a `status` response with `location` to the request
    /// `current` (`None`: the run's own request).
    pub fn next(&self, current: Option<&Hop>, status: u16, location: &[u8]) -> Next<Hop> {
        let (base, method, body) = match current {
            Some(c) => (
                c.target.path_and_query.as_str(),
                c.spec.method.as_str(),
                &c.spec.body,
            ),
            None => (
                self.target.path_and_query.as_str(),
                self.spec.method.as_str(),
                &self.spec.body,
            ),
        };
        let path_and_query = match self.locate(base, location) {
            Resolved::SameOrigin(p) => p,
            Resolved::OtherOrigin => return Next::OtherOrigin,
            Resolved::Invalid => return Next::Final,
        };
        let keep = matches!(status, 307 | 308);
        let method = match method {
            "GET" | "HEAD" => method,
            _ if keep => method,
            _ => "GET",
        };
        let mut spec = RequestSpec {
            method: method.to_string(),
            authority: self.spec.authority.clone(),
            headers: self.spec.headers.clone(),
            body: if keep { body.clone() } else { Bytes::new() },
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
        Next::Follow(Box::new(Hop { target, spec }))
    }

    /// Where `location` points from `base`, on this origin or on the one `Host` names.
    fn locate(&self, base: &str, location: &[u8]) -> Resolved {
        match resolve(&self.target, base, location) {
            Resolved::OtherOrigin => match self.host_origin.as_ref() {
                Some(aliased) => match resolve(aliased, base, location) {
                    same @ Resolved::SameOrigin(_) => same,
                    _ => Resolved::OtherOrigin,
                },
                None => Resolved::OtherOrigin,
            },
            other => other,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

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

    /// A run's `http://h/start` request with `method`, a JSON content type and `body`: what
    /// the redirect tests of every protocol start from.
    pub(crate) fn start(method: &str, body: &'static [u8]) -> (Target, RequestSpec) {
        let target = Target::parse("http://h/start").unwrap();
        let spec = RequestSpec {
            method: method.into(),
            authority: "h".into(),
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: Bytes::from_static(body),
            extra_bodies: Vec::new(),
        };
        (target, spec)
    }

    fn rules(method: &str, body: &'static [u8]) -> Rules {
        let (target, spec) = start(method, body);
        Rules::new(target, spec)
    }

    fn follow(r: &Rules, current: Option<&Hop>, status: u16, l: &str) -> Hop {
        match r.next(current, status, l.as_bytes()) {
            Next::Follow(hop) => *hop,
            other => panic!("not followed: {other:?}"),
        }
    }

    #[test]
    fn see_other_and_post_redirects_become_a_get_without_body_or_body_headers() {
        let r = rules("POST", b"{}");
        for status in [301, 302, 303] {
            let hop = follow(&r, None, status, "/next");
            assert_eq!((hop.spec.method.as_str(), hop.spec.body.len()), ("GET", 0));
            assert!(hop.spec.headers.is_empty(), "{status}");
            assert_eq!(hop.target.path_and_query, "/next");
        }
        assert!(follow(&rules("HEAD", b""), None, 303, "/n").is_head());
    }

    #[test]
    fn temporary_and_permanent_redirects_keep_method_body_and_headers() {
        let r = rules("POST", b"{}");
        for status in [307, 308] {
            let hop = follow(&r, None, status, "n");
            assert_eq!(hop.target.path_and_query, "/n");
            assert_eq!(
                (hop.spec.method.as_str(), &hop.spec.body[..]),
                ("POST", &b"{}"[..])
            );
            assert_eq!(hop.spec.headers.len(), 1);
        }
    }

    #[test]
    fn a_chain_resolves_each_hop_against_the_previous_one() {
        let r = rules("POST", b"{}");
        let first = follow(&r, None, 307, "/one/two");
        let second = follow(&r, Some(&first), 303, "three");
        assert_eq!(second.target.path_and_query, "/one/three");
        assert_eq!(second.spec.method, "GET");
        let third = follow(&r, Some(&second), 307, "four");
        assert_eq!(
            (third.spec.method.as_str(), third.spec.body.len()),
            ("GET", 0)
        );
        assert_eq!(r.next(None, 302, b"http://elsewhere/"), Next::OtherOrigin);
        assert_eq!(r.next(None, 302, b"bad location"), Next::Final);
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
        let r = Rules::new(target, spec);
        let hop = follow(&r, None, 301, "http://API.example/dir/");
        assert_eq!(hop.target.path_and_query, "/dir/");
        assert_eq!(hop.spec.authority, "api.example");
        let direct = follow(&r, None, 301, "http://10.0.0.5:8080/x");
        assert_eq!(direct.target.path_and_query, "/x");
        assert_eq!(
            r.next(None, 301, b"https://api.example/"),
            Next::OtherOrigin
        );
        assert_eq!(
            r.next(None, 301, b"http://other.example/"),
            Next::OtherOrigin
        );
    }

    #[test]
    fn only_the_five_redirect_statuses_redirect() {
        let yes: Vec<u16> = (300..400).filter(|&s| is_redirect(s)).collect();
        assert_eq!(yes, [301, 302, 303, 307, 308]);
    }
}
