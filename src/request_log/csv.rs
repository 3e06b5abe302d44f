//! The request log's CSV rows (columns described in [`super`]).
//!
//! Every field is a number or an error key (`[a-z_]+`), so nothing needs quoting. A row is
//! assembled on the stack with hand-written decimal digits and written in one piece: `write!`
//! took ~180 ns a row, this ~40, and the writer formats a row for every request.

use std::io::{self, Write};

use super::{Outcome, Record};

/// The header row, in column order.
pub const HEADER: &str = "start_us,latency_us,status,bytes,error,connection,service_us\n";

/// Writes the header row.
pub fn write_header(out: &mut impl Write) -> io::Result<()> {
    out.write_all(HEADER.as_bytes())
}

/// Writes one request's row.
pub fn write_row(out: &mut impl Write, record: &Record) -> io::Result<()> {
    let mut row = Row::default();
    row.number(us(record.start_ns));
    row.push(b",");
    row.number(us(record.latency_ns));
    row.push(b",");
    match record.outcome {
        Outcome::Status(status) => {
            row.number(u64::from(status));
            row.push(b",");
            row.number(record.body_bytes);
            row.push(b",,");
        }
        Outcome::Error(kind) => {
            row.push(b",,");
            row.push(kind.key().as_bytes());
            row.push(b",");
        }
    }
    row.number(record.connection);
    row.push(b",");
    row.number(us(record.service_ns));
    row.push(b"\n");
    out.write_all(row.as_bytes())
}

/// Longest row: five numbers of up to 20 digits, a status or an error key (both shorter
/// than 20 bytes), 6 commas and the newline fit in 160 bytes.
const ROW_CAPACITY: usize = 160;

/// One row being assembled.
struct Row {
    bytes: [u8; ROW_CAPACITY],
    len: usize,
}

impl Default for Row {
    fn default() -> Self {
        Row {
            bytes: [0; ROW_CAPACITY],
            len: 0,
        }
    }
}

impl Row {
    fn push(&mut self, bytes: &[u8]) {
        self.bytes[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }

    /// `n` in decimal: digits from the last one, into a buffer the longest `u64` fills.
    fn number(&mut self, mut n: u64) {
        let mut digits = [0u8; 20];
        let mut first = digits.len();
        loop {
            first -= 1;
            // `n % 10` < 10, so the cast is lossless.
            digits[first] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.push(&digits[first..]);
    }

    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// Nanoseconds as whole microseconds, rounded to the nearest.
fn us(ns: u64) -> u64 {
    ns / 1000 + u64::from(ns % 1000 >= 500)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::ErrorKind;

    fn row(record: &Record) -> String {
        let mut out = Vec::new();
        write_row(&mut out, record).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn response() -> Record {
        Record {
            start_ns: 1_234_567,
            latency_ns: 250_499,
            service_ns: 250_500,
            body_bytes: 13,
            connection: 1_000_007,
            outcome: Outcome::Status(200),
        }
    }

    #[test]
    fn a_response_row_has_every_column_but_error() {
        assert_eq!(row(&response()), "1235,250,200,13,,1000007,251\n");
    }

    #[test]
    fn an_error_row_leaves_status_and_bytes_empty() {
        let failed = Record {
            outcome: Outcome::Error(ErrorKind::ConnectTimeout),
            body_bytes: 0,
            ..response()
        };
        assert_eq!(row(&failed), "1235,250,,,connect_timeout,1000007,251\n");
    }

    #[test]
    fn rows_have_as_many_fields_as_the_header() {
        let columns = HEADER.trim_end().split(',').count();
        assert_eq!(columns, 7);
        for kind in ErrorKind::ALL {
            let failed = Record {
                outcome: Outcome::Error(kind),
                ..response()
            };
            for line in [row(&failed), row(&response())] {
                assert_eq!(line.trim_end().split(',').count(), columns, "{line}");
                assert!(line.ends_with('\n') && !line.contains('"'));
            }
        }
    }

    #[test]
    fn the_longest_row_fits() {
        let longest = Record {
            start_ns: u64::MAX,
            latency_ns: u64::MAX,
            service_ns: u64::MAX,
            body_bytes: u64::MAX,
            connection: u64::MAX,
            outcome: Outcome::Status(u16::MAX),
        };
        let max = u64::MAX.to_string();
        let us = (u64::MAX / 1000 + 1).to_string();
        assert_eq!(
            row(&longest),
            format!("{us},{us},65535,{max},,{max},{us}\n")
        );
        let failed = Record {
            outcome: Outcome::Error(ErrorKind::ConnectTimeout),
            ..longest
        };
        assert_eq!(
            row(&failed),
            format!("{us},{us},,,connect_timeout,{max},{us}\n")
        );
    }

    #[test]
    fn numbers_are_plain_decimal() {
        for n in [0, 1, 9, 10, 99, 100, 1_000_007, u64::MAX] {
            let mut row = Row::default();
            row.number(n);
            assert_eq!(row.as_bytes(), n.to_string().as_bytes());
        }
    }

    #[test]
    fn microseconds_round_to_the_nearest_and_zero_stays_zero() {
        assert_eq!(us(0), 0);
        assert_eq!(us(499), 0);
        assert_eq!(us(500), 1);
        assert_eq!(us(1_499), 1);
        assert_eq!(us(u64::MAX), u64::MAX / 1000 + 1);
    }

    #[test]
    fn the_header_names_the_columns_in_order() {
        let mut out = Vec::new();
        write_header(&mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "start_us,latency_us,status,bytes,error,connection,service_us\n"
        );
    }
}
