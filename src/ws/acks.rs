//! Reading `--ack-field` sequence numbers out of a server's JSON message.

use crate::transport::ErrorKind;

/// Acks one message can carry at most: as many as `--ack-field`s a run may name.
pub const MAX_FIELDS: usize = 8;

/// The sequence number each of `fields` names in `payload`, in the fields' order: every
/// field must be a top-level non-negative integer of a JSON object, or the message is not
/// the JSON expected.
pub fn read(payload: &[u8], fields: &[String]) -> Result<Vec<u64>, ErrorKind> {
    let value: serde_json::Value =
        serde_json::from_slice(payload).map_err(|_| ErrorKind::WsBadMessage)?;
    let object = value.as_object().ok_or(ErrorKind::WsBadMessage)?;
    fields
        .iter()
        .map(|field| {
            object
                .get(field)
                .and_then(serde_json::Value::as_u64)
                .ok_or(ErrorKind::WsBadMessage)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> Vec<String> {
        vec!["newest_frame_seq".into(), "oldest_frame_seq".into()]
    }

    #[test]
    fn reads_every_field_in_order() {
        let msg = br#"{"type":"partial","oldest_frame_seq":0,"newest_frame_seq":49,"frames":50}"#;
        assert_eq!(read(msg, &fields()), Ok(vec![49, 0]));
    }

    #[test]
    fn anything_else_is_not_the_json_expected() {
        for bad in [
            &b"not json"[..],
            b"[1,2]",
            br#"{"newest_frame_seq":1}"#,
            br#"{"newest_frame_seq":-1,"oldest_frame_seq":0}"#,
            br#"{"newest_frame_seq":"1","oldest_frame_seq":0}"#,
            br#"{"newest_frame_seq":1.5,"oldest_frame_seq":0}"#,
        ] {
            assert_eq!(read(bad, &fields()), Err(ErrorKind::WsBadMessage));
        }
    }
}
