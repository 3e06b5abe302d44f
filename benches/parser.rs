//! Micro-benchmarks of the HTTP/1.1 hot path: the response parser on what nginx sends, and
//! the request encoding done once per run.
//!
//! Run with `cargo bench --bench parser` (add `-- parse` to filter by name). The inputs are
//! byte-for-byte the heads nginx 1.22 answers on the loopback target of `benches/peers.py`,
//! so the numbers here are the parser's share of the end-to-end CPU per request.
//!
//! Every parser case reuses one `ResponseParser` across iterations, exactly as a connection
//! does (`start` then `feed` until `Complete`), so steady-state cost is what is measured.

use divan::{black_box, Bencher};
use vastar::config::RequestSpec;
use vastar::http1::request::{encode, HeaderList};
use vastar::http1::response::{Progress, ResponseParser};
use vastar::url::Target;

fn main() {
    divan::main();
}

/// nginx's answer to `GET /plain`: 13-byte body, Content-Length.
const PLAIN: &[u8] = b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n\
Date: Mon, 23 Nov 2026 08:36:50 GMT\r\nContent-Type: text/plain\r\n\
Content-Length: 13\r\nConnection: keep-alive\r\n\r\nHello, World!";

/// nginx's head for a static file; the body length is appended by [`static_file`].
const STATIC_HEAD: &str = "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n\
Date: Mon, 23 Nov 2026 08:36:50 GMT\r\nContent-Type: application/json\r\n\
Content-Length: {len}\r\nLast-Modified: Mon, 23 Nov 2026 08:17:35 GMT\r\n\
Connection: keep-alive\r\nETag: \"6b03f69f-400\"\r\nAccept-Ranges: bytes\r\n\r\n";

/// A static-file response with a `len`-byte body.
fn static_file(len: usize) -> Vec<u8> {
    let mut out = STATIC_HEAD.replace("{len}", &len.to_string()).into_bytes();
    out.resize(out.len() + len, b'x');
    out
}

/// A chunked response (as a proxied or streamed body arrives): `chunks` chunks of
/// `chunk_len` bytes, each with its size line, then the last chunk and an empty trailer.
fn chunked(chunks: usize, chunk_len: usize) -> Vec<u8> {
    let mut out = b"HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\n\
Date: Mon, 23 Nov 2026 08:36:50 GMT\r\nContent-Type: application/json\r\n\
Transfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n"
        .to_vec();
    for _ in 0..chunks {
        out.extend_from_slice(format!("{chunk_len:x}\r\n").as_bytes());
        out.resize(out.len() + chunk_len, b'y');
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

/// Parses one response delivered as `reads`, as a connection would; returns the body size.
fn parse(parser: &mut ResponseParser, reads: &[&[u8]]) -> u64 {
    parser.start(false);
    for read in reads {
        match parser.feed(read) {
            Ok(Progress::Partial) => continue,
            Ok(Progress::Complete { .. }) => return parser.body_bytes(),
            Err(e) => panic!("benchmark input must parse: {e}"),
        }
    }
    panic!("benchmark input must be a complete response");
}

/// Runs the parser over `reads` once per iteration, reporting bytes parsed per second.
fn bench_reads(bencher: Bencher, reads: &[&[u8]]) {
    let total: usize = reads.iter().map(|r| r.len()).sum();
    let mut parser = ResponseParser::new();
    assert!(parse(&mut parser, reads) > 0);
    bencher
        .counter(divan::counter::BytesCount::new(total))
        .bench_local(|| parse(&mut parser, black_box(reads)));
}

mod parse {
    use super::*;

    /// The 13 B `/plain` response in one read: the case the end-to-end table's first rows hit.
    #[divan::bench]
    fn plain_13b(bencher: Bencher) {
        bench_reads(bencher, &[PLAIN]);
    }

    /// A 1 KiB static file in one read.
    #[divan::bench]
    fn static_1k(bencher: Bencher) {
        let response = static_file(1024);
        bench_reads(bencher, &[&response]);
    }

    /// A 100 KiB static file in 64 KiB reads (the engine's scratch buffer size): the body is
    /// counted, never copied, so this should cost about what `static_1k` costs.
    #[divan::bench]
    fn static_100k_in_64k_reads(bencher: Bencher) {
        let response = static_file(100 * 1024);
        let reads: Vec<&[u8]> = response.chunks(64 * 1024).collect();
        bench_reads(bencher, &reads);
    }

    /// A chunked body of 8 chunks of 128 bytes in one read: exercises the chunked decoder.
    #[divan::bench]
    fn chunked_8x128(bencher: Bencher) {
        let response = chunked(8, 128);
        bench_reads(bencher, &[&response]);
    }

    /// The 1 KiB response split in 3 reads, the first ending inside the head: the slow path
    /// that buffers the head across reads.
    #[divan::bench]
    fn static_1k_split_in_3(bencher: Bencher) {
        let response = static_file(1024);
        let (a, rest) = response.split_at(40);
        let (b, c) = rest.split_at(STATIC_HEAD.len());
        bench_reads(bencher, &[a, b, c]);
    }
}

mod request {
    use super::*;

    fn get_plain() -> (Target, RequestSpec) {
        let target = Target::parse("http://127.0.0.1:18080/plain").unwrap();
        let spec = RequestSpec {
            method: "GET".into(),
            authority: target.authority.clone(),
            headers: headers().into_vec(),
            body: bytes::Bytes::new(),
            extra_bodies: Vec::new(),
        };
        (target, spec)
    }

    /// The header list the CLI assembles for a plain run, plus two `-H` overrides.
    fn headers() -> HeaderList {
        let mut h = HeaderList::default();
        h.set("User-Agent", "vastar/0.4.0");
        h.set("Accept", "*/*");
        h.set("Accept-Encoding", "gzip");
        h.set("X-Request-Source", "bench");
        h.set("accept", "application/json");
        h
    }

    /// Assembling the deduplicated header list (once per run).
    #[divan::bench]
    fn header_assembly(bencher: Bencher) {
        bencher.bench_local(headers);
    }

    /// Encoding a GET to bytes (once per run; every request then writes these bytes).
    #[divan::bench]
    fn encode_get(bencher: Bencher) {
        let (target, spec) = get_plain();
        bencher.bench_local(|| encode(black_box(&target), black_box(&spec)));
    }

    /// Encoding a POST with a 1 KiB body.
    #[divan::bench]
    fn encode_post_1k(bencher: Bencher) {
        let (target, mut spec) = get_plain();
        spec.method = "POST".into();
        spec.body = bytes::Bytes::from(vec![b'z'; 1024]);
        bencher.bench_local(|| encode(black_box(&target), black_box(&spec)));
    }
}
