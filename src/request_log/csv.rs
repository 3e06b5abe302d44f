//! The request log's CSV rows (columns described in [`super`]).
//!
//! Every field is a number or an error key (`[a-z_]+`), so nothing needs quoting.

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
    let start = us(record.start_ns);
    let latency = us(record.latency_ns);
    let (connection, service) = (record.connection, us(record.service_ns));
    match record.outcome {
        Outcome::Status(status) => {
            let bytes = record.body_bytes;
            writeln!(
                out,
                "{start},{latency},{status},{bytes},,{connection},{service}"
            )
        }
        Outcome::Error(kind) => {
            let key = kind.key();
            writeln!(out, "{start},{latency},,,{key},{connection},{service}")
        }
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
