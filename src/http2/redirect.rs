//! Redirects over HTTP/2: the request that follows a redirect, as a request head (the rules
//! themselves are protocol-neutral, in `crate::redirect`). Runs only when a 3xx with a
//! `Location` arrives, so it may allocate.

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode};

use super::request::Template;
use crate::redirect::{is_redirect, Hop, Next, Rules};

/// One hop's request, built when a redirect asks for it.
#[derive(Debug, Clone)]
pub struct Followup {
    /// Where it goes and what it sends; the base of the next `Location`.
    hop: Hop,
    /// Its head, prepared as the run's own request is.
    template: Template,
}

impl Followup {
    /// This hop's request head and body, for one send.
    pub fn request(&self) -> (Request<()>, Bytes) {
        (self.template.request(), self.hop.spec.body.clone())
    }
}

/// What the response with `status` and `headers` to `current` (`None`: the run's request)
/// leads to under `rules`; only a redirect status looks for a `Location`. A `Location` that
/// resolves to a URL HTTP/2 cannot send is not followed: the response is final.
pub fn judge(
    rules: &Rules,
    current: Option<&Followup>,
    status: StatusCode,
    headers: &HeaderMap,
) -> Next<Followup> {
    if !is_redirect(status.as_u16()) {
        return Next::Final;
    }
    let Some(location) = headers.get(http::header::LOCATION) else {
        return Next::Final;
    };
    match rules.next(
        current.map(|c| &c.hop),
        status.as_u16(),
        location.as_bytes(),
    ) {
        Next::Follow(hop) => match Template::of(&hop.target, &hop.spec) {
            Ok(template) => Next::Follow(Box::new(Followup {
                hop: *hop,
                template,
            })),
            Err(_) => Next::Final,
        },
        Next::OtherOrigin => Next::OtherOrigin,
        Next::Final => Next::Final,
    }
}
