//! Aligned columns for the human output, coloured cell by cell after the
//! padding is computed (escape codes take no room on the screen).

// Only commands run this, never PID 1: a bad index may panic here (lib.rs).
#![allow(clippy::indexing_slicing)]

use super::{Colour, paint};

/// One cell: its text and, optionally, its colour.
pub(crate) struct Cell {
    text: String,
    colour: Option<Colour>,
}

impl Cell {
    pub(crate) fn plain(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            colour: None,
        }
    }

    pub(crate) fn coloured(text: impl Into<String>, colour: Colour) -> Cell {
        Cell {
            text: text.into(),
            colour: Some(colour),
        }
    }
}

/// A table with a header line; `right` marks right-aligned columns.
pub(crate) struct Table {
    headers: Vec<&'static str>,
    right: Vec<bool>,
    rows: Vec<Vec<Cell>>,
}

impl Table {
    pub(crate) fn new(headers: &[&'static str], right: &[bool]) -> Table {
        Table {
            headers: headers.to_vec(),
            right: right.to_vec(),
            rows: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, row: Vec<Cell>) {
        self.rows.push(row);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The lines, two spaces between columns, no trailing blanks.
    pub(crate) fn render(&self, colour: bool) -> String {
        let columns = self.headers.len();
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate().take(columns) {
                widths[i] = widths[i].max(cell.text.chars().count());
            }
        }
        let mut out = String::new();
        let header: Vec<Cell> = self
            .headers
            .iter()
            .map(|h| Cell::coloured(*h, Colour::Bold))
            .collect();
        for row in std::iter::once(&header).chain(&self.rows) {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate().take(columns) {
                let last = i + 1 == row.len().min(columns);
                let pad = widths[i].saturating_sub(cell.text.chars().count());
                let text = match cell.colour {
                    Some(c) => paint(&cell.text, c, colour),
                    None => cell.text.clone(),
                };
                if i > 0 {
                    line.push_str("  ");
                }
                if self.right.get(i).copied().unwrap_or(false) {
                    line.push_str(&" ".repeat(pad));
                    line.push_str(&text);
                } else {
                    line.push_str(&text);
                    if !last {
                        line.push_str(&" ".repeat(pad));
                    }
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligned_without_trailing_blanks_and_coloured_after_padding() {
        let mut table = Table::new(&["ID", "PID", "STATE"], &[false, true, false]);
        table.push(vec![
            Cell::plain("1"),
            Cell::plain("412"),
            Cell::coloured("running", Colour::Green),
        ]);
        table.push(vec![
            Cell::plain("long"),
            Cell::plain("-"),
            Cell::plain("off"),
        ]);
        assert_eq!(
            table.render(false),
            "ID    PID  STATE\n1     412  running\nlong    -  off\n"
        );
        let coloured = table.render(true);
        assert!(
            coloured.contains("412  \x1b[32mrunning\x1b[0m\n"),
            "{coloured:?}"
        );
    }
}
