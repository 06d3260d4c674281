//! The names of `/etc/rc<L>.d` entries, `[SK]NNname` (docs/compatibility.md
//! §8.3): the one parser of them, for rc, `update-rc.d`, `vinit check` and
//! PID 1 (which services a level's K links stop).
//!
//! insserv writes these links and reads back only `S` or `K`, exactly two
//! digits and the script's name (so the name cannot begin with a digit);
//! startpar takes the name after the first three characters but keeps only
//! names that insserv listed. A name is a link here when insserv would read
//! it as one: `Kweb`, `S2web` and `S100web` are not links.

/// `S` or `K`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum LinkKind {
    Start,
    Kill,
}

impl LinkKind {
    /// `S` or `K`.
    pub(crate) fn letter(self) -> char {
        match self {
            LinkKind::Start => 'S',
            LinkKind::Kill => 'K',
        }
    }
}

/// One `[SK]NNname` entry of an `rc<L>.d` directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Link {
    pub kind: LinkKind,
    pub number: u8,
    /// The script's name in `/etc/init.d`.
    pub name: String,
    /// The entry's own name, e.g. `S02rsyslog`.
    pub file_name: String,
}

impl Link {
    /// Parses `S02rsyslog`; `None` for anything else (README, `S2x`,
    /// `S100x`, `Kx`…).
    pub(crate) fn parse(file_name: &str) -> Option<Link> {
        let mut bytes = file_name.bytes();
        let kind = match bytes.next()? {
            b'S' => LinkKind::Start,
            b'K' => LinkKind::Kill,
            _ => return None,
        };
        let (tens, units) = (bytes.next()?, bytes.next()?);
        if !tens.is_ascii_digit() || !units.is_ascii_digit() {
            return None;
        }
        // The three bytes before are ASCII.
        let name = file_name.get(3..)?;
        if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        Some(Link {
            kind,
            number: (tens - b'0') * 10 + (units - b'0'),
            name: name.to_string(),
            file_name: file_name.to_string(),
        })
    }

    /// Whether `file_name` is a link of `kind` for the script `name`.
    pub(crate) fn names(file_name: &str, kind: LinkKind, name: &str) -> bool {
        Link::parse(file_name).is_some_and(|link| link.kind == kind && link.name == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_names() {
        let l = Link::parse("S02rsyslog").unwrap();
        assert_eq!(
            (l.kind, l.number, l.name.as_str(), l.file_name.as_str()),
            (LinkKind::Start, 2, "rsyslog", "S02rsyslog")
        );
        let k = Link::parse("K99x.sh").unwrap();
        assert_eq!(
            (k.kind, k.number, k.name.as_str()),
            (LinkKind::Kill, 99, "x.sh")
        );
        for bad in [
            "README", "S2x", "S02", "X01a", "", "Sé1a", "K1", "Kweb", "S100web", "S1a2b", "s01a",
        ] {
            assert_eq!(Link::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_kill_link_names_its_script() {
        assert!(Link::names("K01web", LinkKind::Kill, "web"));
        assert!(!Link::names("S01web", LinkKind::Kill, "web"));
        assert!(!Link::names("K01webx", LinkKind::Kill, "web"));
        // Any number of digits was once taken here: `Kweb` stopped `web`.
        assert!(!Link::names("Kweb", LinkKind::Kill, "web"));
        assert!(!Link::names("K101web", LinkKind::Kill, "web"));
    }
}
