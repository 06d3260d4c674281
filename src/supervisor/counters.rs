//! Respawn counters across `telinit u`.
//!
//! sysvinit's state text (SPEC §3.7) has no place for them, and sysvinit
//! clears them at a re-exec; vinit keeps them, so that an entry disabled for
//! respawning too fast stays disabled and a `telinit u` cannot be used to
//! reset the limiter by accident. They travel in one environment variable
//! of the re-executed image, which the new init takes out of its
//! environment at once (a sysvinit taking over ignores it).

/// The variable that carries the counters into the re-executed init.
pub const COUNTERS_VAR: &str = "VINIT_RESPAWN_COUNTERS";

/// One entry's limiter state (see `slot::Slot::count_start`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RespawnCounter {
    pub id: String,
    pub count: u32,
    /// Start of the 120 s window, monotonic seconds (the clock survives exec).
    pub window_start: Option<u64>,
    pub failing: bool,
}

/// `HEXID:COUNT:START:FAILING` items separated by spaces; the id is hex so
/// that any byte an inittab id may hold survives.
pub fn encode(counters: &[RespawnCounter]) -> String {
    counters
        .iter()
        .map(|c| {
            let id: String = c.id.bytes().map(|b| format!("{b:02x}")).collect();
            let start = c.window_start.map_or("-".to_string(), |s| s.to_string());
            format!("{id}:{}:{start}:{}", c.count, u8::from(c.failing))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The inverse of [`encode`]; malformed items are dropped (their entries
/// simply start with fresh counters).
pub fn decode(text: &str) -> Vec<RespawnCounter> {
    text.split_ascii_whitespace()
        .filter_map(decode_item)
        .collect()
}

fn decode_item(item: &str) -> Option<RespawnCounter> {
    let mut fields = item.split(':');
    let (hex, count, start, failing) = (
        fields.next()?,
        fields.next()?,
        fields.next()?,
        fields.next()?,
    );
    if fields.next().is_some() || hex.len() % 2 != 0 {
        return None;
    }
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()?;
    Some(RespawnCounter {
        id: String::from_utf8(bytes).ok()?,
        count: count.parse().ok()?,
        window_start: match start {
            "-" => None,
            s => Some(s.parse().ok()?),
        },
        failing: match failing {
            "0" => false,
            "1" => true,
            _ => return None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_odd_ids() {
        let counters = vec![
            RespawnCounter {
                id: "f1".into(),
                count: 10,
                window_start: Some(42),
                failing: true,
            },
            RespawnCounter {
                id: "a b:".into(),
                count: 3,
                window_start: None,
                failing: false,
            },
        ];
        assert_eq!(decode(&encode(&counters)), counters);
    }

    #[test]
    fn malformed_items_are_dropped() {
        let text = "6631:1:2:0 zz:1:2:0 6631:x:2:0 6631:1:2 6631:1:2:7 663:1:2:0 6632:4:-:1";
        assert_eq!(
            decode(text),
            [
                RespawnCounter {
                    id: "f1".into(),
                    count: 1,
                    window_start: Some(2),
                    failing: false
                },
                RespawnCounter {
                    id: "f2".into(),
                    count: 4,
                    window_start: None,
                    failing: true
                },
            ]
        );
        assert_eq!(decode(""), []);
    }
}
