//! The run's request as HTTP/2 sends it: `:authority` from the request's authority, no
//! connection-specific headers (HTTP/2 forbids them).

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Method, Request, Uri};

use crate::config::RequestSpec;
use crate::url::Target;

/// Headers HTTP/2 forbids (RFC 9113, 8.2.2): dropped from the user's list, not sent.
const CONNECTION_HEADERS: [&str; 5] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "upgrade",
];

/// What every stream of a run sends, parsed once; [`Template::request`] makes each send's
/// copy of the head.
#[derive(Debug, Clone)]
pub struct Template {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    /// The request bodies that take turns (one for every run but `ai-bench --prompts`);
    /// an empty body means none (the headers end the stream). The head is the same for all:
    /// HTTP/2 frames the body's length itself.
    pub bodies: Vec<Bytes>,
}

impl Template {
    /// The template for `spec` sent to `target`, or why a header cannot be sent over HTTP/2.
    pub fn of(target: &Target, spec: &RequestSpec) -> Result<Template, String> {
        let scheme = match target.scheme {
            crate::url::Scheme::Http => "http",
            crate::url::Scheme::Https => "https",
        };
        let uri = format!("{scheme}://{}{}", spec.authority, target.path_and_query);
        let uri = Uri::try_from(uri).map_err(|e| format!("URL for HTTP/2: {e}"))?;
        let method = Method::from_bytes(spec.method.as_bytes())
            .map_err(|e| format!("method {:?}: {e}", spec.method))?;
        let mut headers = HeaderMap::with_capacity(spec.headers.len());
        for (name, value) in &spec.headers {
            let lower = name.to_ascii_lowercase();
            if CONNECTION_HEADERS.contains(&lower.as_str())
                || (lower == "te" && value != "trailers")
            {
                continue;
            }
            let name = HeaderName::from_bytes(lower.as_bytes())
                .map_err(|e| format!("header {name:?}: {e}"))?;
            let value = HeaderValue::from_str(value).map_err(|e| format!("header {name}: {e}"))?;
            headers.append(name, value);
        }
        Ok(Template {
            method,
            uri,
            headers,
            bodies: spec.bodies().cloned().collect(),
        })
    }

    /// One send's request head (h2 takes it by value).
    pub fn request(&self) -> Request<()> {
        let mut request = Request::new(());
        *request.method_mut() = self.method.clone();
        *request.uri_mut() = self.uri.clone();
        *request.headers_mut() = self.headers.clone();
        request
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authority_goes_to_the_uri_and_connection_headers_are_dropped() {
        let target = Target::parse("http://example.test:8080/a?b=1").unwrap();
        let spec = RequestSpec {
            method: "POST".into(),
            authority: "other.test".into(),
            headers: vec![
                ("Connection".into(), "close".into()),
                ("X-A".into(), "1".into()),
                ("TE".into(), "gzip".into()),
            ],
            body: Bytes::from_static(b"hi"),
            extra_bodies: Vec::new(),
        };
        let request = Template::of(&target, &spec).unwrap().request();
        assert_eq!(request.uri().authority().unwrap().as_str(), "other.test");
        assert_eq!(request.uri().path_and_query().unwrap().as_str(), "/a?b=1");
        assert_eq!(request.method(), Method::POST);
        assert_eq!(request.headers().len(), 1);
        assert_eq!(request.headers()["x-a"], "1");
    }
}
