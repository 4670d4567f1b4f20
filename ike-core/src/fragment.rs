//! IKE fragmentation (RFC 7383): reassembly of decrypted SKF fragments and splitting of
//! plaintext into fragment-sized pieces.

/// Most fragments we accept for one message.
pub const MAX_FRAGMENTS: u16 = 64;
/// Most reassembled bytes we accept for one message.
pub const MAX_REASSEMBLED: usize = 64 * 1024;

/// Reassembly buffer for one message ID.
#[derive(Debug, Default)]
pub struct Reassembly {
    message_id: u32,
    total: u16,
    first_payload: u8,
    parts: Vec<Option<Vec<u8>>>,
    bytes: usize,
}

/// Result of adding a fragment.
#[derive(Debug, PartialEq, Eq)]
pub enum FragmentOutcome {
    /// More fragments are needed.
    Incomplete,
    /// All fragments arrived: the first inner payload type and the concatenated plaintext.
    Complete {
        /// Next-payload type from fragment number 1.
        first_payload: u8,
        /// Concatenated decrypted contents.
        data: Vec<u8>,
    },
    /// The fragment was invalid and was dropped.
    Rejected,
}

impl Reassembly {
    /// Adds a decrypted fragment. `first_payload` is only meaningful on fragment 1.
    pub fn add(
        &mut self,
        message_id: u32,
        number: u16,
        total: u16,
        first_payload: u8,
        data: Vec<u8>,
    ) -> FragmentOutcome {
        if number == 0 || total == 0 || number > total || total > MAX_FRAGMENTS {
            return FragmentOutcome::Rejected;
        }
        if self.parts.is_empty() || self.message_id != message_id || total > self.total {
            // RFC 7383 §2.6.1: a larger total means the sender re-fragmented; restart.
            *self = Reassembly {
                message_id,
                total,
                first_payload: 0,
                parts: vec![None; usize::from(total)],
                bytes: 0,
            };
        } else if total < self.total {
            return FragmentOutcome::Rejected;
        }
        let idx = usize::from(number - 1);
        let Some(slot) = self.parts.get_mut(idx) else {
            return FragmentOutcome::Rejected;
        };
        if slot.is_some() {
            return FragmentOutcome::Incomplete;
        }
        if self.bytes.saturating_add(data.len()) > MAX_REASSEMBLED {
            *self = Reassembly::default();
            return FragmentOutcome::Rejected;
        }
        if number == 1 {
            self.first_payload = first_payload;
        }
        self.bytes = self.bytes.saturating_add(data.len());
        *slot = Some(data);
        if self.parts.iter().all(Option::is_some) {
            let mut out = Vec::with_capacity(self.bytes);
            for p in self.parts.drain(..).flatten() {
                out.extend_from_slice(&p);
            }
            let first_payload = self.first_payload;
            *self = Reassembly::default();
            FragmentOutcome::Complete {
                first_payload,
                data: out,
            }
        } else {
            FragmentOutcome::Incomplete
        }
    }

    /// The message ID being reassembled, if any.
    pub fn message_id(&self) -> Option<u32> {
        (!self.parts.is_empty()).then_some(self.message_id)
    }
}

/// Splits `data` into chunks of at most `chunk` bytes (at least one chunk).
pub fn split(data: &[u8], chunk: usize) -> Vec<&[u8]> {
    let chunk = chunk.max(1);
    if data.is_empty() {
        return vec![data];
    }
    data.chunks(chunk).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reassemble_out_of_order() {
        let mut r = Reassembly::default();
        assert_eq!(
            r.add(1, 2, 3, 0, b"bb".to_vec()),
            FragmentOutcome::Incomplete
        );
        assert_eq!(
            r.add(1, 2, 3, 0, b"bb".to_vec()),
            FragmentOutcome::Incomplete
        );
        assert_eq!(
            r.add(1, 3, 3, 0, b"c".to_vec()),
            FragmentOutcome::Incomplete
        );
        assert_eq!(
            r.add(1, 1, 3, 35, b"aa".to_vec()),
            FragmentOutcome::Complete {
                first_payload: 35,
                data: b"aabbc".to_vec()
            }
        );
        assert_eq!(r.message_id(), None);
    }

    #[test]
    fn rejects_bad_numbers() {
        let mut r = Reassembly::default();
        assert_eq!(r.add(1, 0, 3, 0, vec![]), FragmentOutcome::Rejected);
        assert_eq!(r.add(1, 4, 3, 0, vec![]), FragmentOutcome::Rejected);
        assert_eq!(r.add(1, 1, 1000, 0, vec![]), FragmentOutcome::Rejected);
    }

    #[test]
    fn split_chunks() {
        assert_eq!(split(b"abcde", 2), vec![&b"ab"[..], b"cd", b"e"]);
        assert_eq!(split(b"", 2).len(), 1);
    }
}
