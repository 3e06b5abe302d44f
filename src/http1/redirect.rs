//! Redirects over HTTP/1.1: the request that follows a redirect, written as bytes (the rules
//! themselves are protocol-neutral, in `crate::redirect`). Runs only when a 3xx with a
//! `Location` arrives, so it may allocate.

use bytes::Bytes;

use super::request::{encode_with, Wire};
use crate::config::RequestSpec;
use crate::redirect::{Hop, Next, Rules};
use crate::url::Target;

/// One hop's request, built when a redirect asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Followup {
    /// Where it goes and what it sends; the base of the next `Location`.
    pub hop: Hop,
    /// The bytes to write.
    pub request: Bytes,
}

impl Followup {
    /// Whether the request is HEAD (its response has no body).
    pub fn is_head(&self) -> bool {
        self.hop.is_head()
    }
}

/// How to build the requests that follow redirects of one run: its rules, and how request
/// lines are written (origin-form, or absolute-form through a proxy).
#[derive(Debug, Clone)]
pub struct RedirectPolicy {
    rules: Rules,
    wire: Wire,
}

impl RedirectPolicy {
    /// The policy for requests of `spec` to `target`, written as `wire` says.
    pub fn new(target: Target, spec: RequestSpec, wire: impl Into<Wire>) -> Self {
        RedirectPolicy {
            rules: Rules::new(target, spec),
            wire: wire.into(),
        }
    }

    /// The request that follows a `status` response with `location` to the request
    /// `current` (`None`: the run's own request).
    pub fn next(&self, current: Option<&Followup>, status: u16, location: &[u8]) -> Next<Followup> {
        let wire = self.wire;
        self.rules
            .next(current.map(|c| &c.hop), status, location)
            .map(|hop| Followup {
                request: encode_with(&hop.target, &hop.spec, wire),
                hop,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http1::request::Form;

    fn policy(method: &str, body: &'static [u8]) -> RedirectPolicy {
        let (target, spec) = crate::redirect::tests::start(method, body);
        RedirectPolicy::new(target, spec, Form::Origin)
    }

    fn follow(p: &RedirectPolicy, current: Option<&Followup>, status: u16, l: &str) -> Followup {
        match p.next(current, status, l.as_bytes()) {
            Next::Follow(f) => *f,
            other => panic!("not followed: {other:?}"),
        }
    }

    #[test]
    fn see_other_and_post_redirects_are_written_as_a_get_without_body() {
        let p = policy("POST", b"{}");
        for status in [301, 302, 303] {
            let f = follow(&p, None, status, "/next");
            assert_eq!(&f.request[..], b"GET /next HTTP/1.1\r\nHost: h\r\n\r\n");
        }
        assert!(follow(&policy("HEAD", b""), None, 303, "/n").is_head());
    }

    #[test]
    fn temporary_and_permanent_redirects_are_written_with_method_and_body() {
        let p = policy("POST", b"{}");
        for status in [307, 308] {
            let f = follow(&p, None, status, "n");
            assert_eq!(
                &f.request[..],
                &b"POST /n HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\n\
                   Content-Length: 2\r\n\r\n{}"[..]
            );
        }
    }

    #[test]
    fn a_chain_writes_each_hop_from_the_previous_one() {
        let p = policy("POST", b"{}");
        let first = follow(&p, None, 307, "/one/two");
        let second = follow(&p, Some(&first), 303, "three");
        assert_eq!(
            &second.request[..],
            b"GET /one/three HTTP/1.1\r\nHost: h\r\n\r\n"
        );
        assert_eq!(p.next(None, 302, b"http://elsewhere/"), Next::OtherOrigin);
    }

    #[test]
    fn an_overridden_host_header_is_kept_on_the_followed_request() {
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
        assert_eq!(
            &f.request[..],
            b"GET /dir/ HTTP/1.1\r\nHost: api.example\r\n\r\n"
        );
    }
}
