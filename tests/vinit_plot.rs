//! `vinit plot` rendered by headless Chromium (Debian's `chromium`): the
//! PNG is sampled where each script's bar must be, computed from the run
//! record, and must show that result's colour there and not just before
//! the bar starts; a skipped script has no bar. `VINIT_PLOT_KEEP=FILE`
//! keeps the screenshot, to look at.

mod common;

use std::path::Path;
use std::process::Command;

use vinit::cmd::vinit::plot::{Geometry, result_colour};
use vinit::rc::record::{Run, parse};

const HEADER: &str = "#level\tprevious\tscript\taction\tlink\tstart_monotonic_ns\tend_monotonic_ns\tstart_wall\tend_wall\tstatus\tresult\tafter";

/// `(script, start ms, end ms, status, result, after)`; `None` times for a skipped link.
type Row<'a> = (&'a str, Option<(u64, u64)>, &'a str, &'a str, &'a str);

fn record(level: &str, rows: &[Row]) -> String {
    let mut text = format!("{HEADER}\n");
    for (script, times, status, result, after) in rows {
        let (start, end) = match times {
            Some((s, e)) => ((s * 1_000_000).to_string(), (e * 1_000_000).to_string()),
            None => ("-".to_string(), "-".to_string()),
        };
        text.push_str(&format!(
            "{level}\tN\t{script}\tstart\t/etc/rc{level}.d/S01{script}\t{start}\t{end}\tw\tw\t{status}\t{result}\t{after}\n"
        ));
    }
    text
}

fn rgb(hex: &str) -> [u8; 3] {
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).unwrap();
    [byte(1), byte(3), byte(5)]
}

struct Png {
    width: usize,
    height: usize,
    rgba: Vec<u8>,
}

impl Png {
    fn read(path: &Path) -> Png {
        let decoder = png::Decoder::new(std::fs::File::open(path).expect("open the screenshot"));
        let mut reader = decoder.read_info().expect("a PNG");
        let mut buffer = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buffer).expect("decode the PNG");
        assert_eq!(info.bit_depth, png::BitDepth::Eight);
        let channels = info.color_type.samples();
        let rgba = buffer[..info.buffer_size()]
            .chunks(channels)
            .flat_map(|px| [px[0], px[1], px[2], *px.get(3).unwrap_or(&255)])
            .collect();
        Png {
            width: info.width as usize,
            height: info.height as usize,
            rgba,
        }
    }

    fn at(&self, x: f64, y: f64) -> [u8; 3] {
        let (x, y) = (x.round() as usize, y.round() as usize);
        assert!(
            x < self.width && y < self.height,
            "({x}, {y}) outside the picture"
        );
        let i = (y * self.width + x) * 4;
        [self.rgba[i], self.rgba[i + 1], self.rgba[i + 2]]
    }
}

fn close(a: [u8; 3], b: [u8; 3]) -> bool {
    a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= 12)
}

#[test]
fn bars_are_where_the_record_says_in_their_result_colour() {
    let dir = tempfile::tempdir().unwrap();
    let boot_s = record(
        "S",
        &[
            ("mountkernfs.sh", Some((100, 180)), "0", "ok", "-"),
            ("udev", Some((181, 1900)), "0", "ok", "mountkernfs.sh"),
            ("checkroot.sh", Some((1901, 2300)), "0", "ok", "udev"),
            ("mountall.sh", Some((2301, 2600)), "0", "ok", "checkroot.sh"),
            ("hostname.sh", Some((181, 210)), "0", "ok", "mountkernfs.sh"),
            (
                "brightness",
                Some((2601, 2650)),
                "5",
                "not-installed",
                "mountall.sh",
            ),
        ],
    );
    let boot_2 = record(
        "2",
        &[
            ("rsyslog", Some((2800, 3100)), "0", "ok", "-"),
            ("cron", Some((3101, 3150)), "1", "failed", "rsyslog"),
            ("nfs-common", Some((3101, 4300)), "-", "timeout", "rsyslog"),
            ("ssh", Some((3101, 3500)), "0", "ok", "rsyslog"),
            ("gone", None, "-", "skipped", "-"),
        ],
    );
    let files = [
        ("20261130T100000.000000000-N-S.tsv", boot_s),
        ("20261130T100002.000000000-N-2.tsv", boot_2),
    ];
    let mut runs: Vec<Run> = Vec::new();
    let mut command = Command::new(common::vinit_bin());
    command.arg("plot");
    for (name, text) in &files {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        command.arg("--record").arg(&path);
        runs.push(parse(name, text).unwrap());
    }
    let out = command.output().unwrap();
    assert!(out.status.success(), "{}", common::describe(&out));
    let svg_path = dir.path().join("boot.svg");
    std::fs::write(&svg_path, &out.stdout).unwrap();

    let geometry = Geometry::new(&runs);
    let png_path = dir.path().join("boot.png");
    let profile = tempfile::tempdir().unwrap();
    let chromium = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--screenshot={}", png_path.display()))
        .arg(format!(
            "--window-size={},{}",
            geometry.width.ceil(),
            geometry.height.ceil()
        ))
        .arg(format!("file://{}", svg_path.display()))
        .output()
        .expect("run chromium (make test-deps installs it)");
    assert!(
        png_path.is_file(),
        "chromium made no screenshot: {}",
        common::describe(&chromium)
    );
    if let Some(keep) = std::env::var_os("VINIT_PLOT_KEEP") {
        std::fs::copy(&png_path, keep).unwrap();
    }
    let png = Png::read(&png_path);
    assert_eq!(
        (png.width, png.height),
        (
            geometry.width.ceil() as usize,
            geometry.height.ceil() as usize
        )
    );

    // Time 0 is the first start; rows go run by run, scripts by start.
    let origin_ms = 100;
    let mut checked = 0;
    for (row, &(r, line)) in geometry.rows.iter().enumerate() {
        let Some(i) = line else {
            continue;
        };
        let line = &runs[r].lines[i];
        let y = geometry.top + (row as f64 + 0.5) * geometry.row_height;
        let colour = rgb(result_colour(&line.result));
        let (Some(start), Some(end)) = (line.start_ns, line.end_ns) else {
            // No bar on a skipped script's row: never 5 samples in a row
            // (15 px) of a bar's colour (its label's glyphs are thinner).
            let mut x = geometry.left;
            let mut run = 0;
            while x < geometry.left + 900.0 {
                let seen = png.at(x, y);
                run = if RESULTS.iter().any(|c| close(seen, rgb(c))) {
                    run + 1
                } else {
                    0
                };
                assert!(run < 5, "{} has a bar near x={x}", line.script);
                x += 3.0;
            }
            continue;
        };
        let x_of =
            |ns: u64| geometry.left + (ns / 1_000_000 - origin_ms) as f64 / 1000.0 * geometry.scale;
        let (x0, x1) = (x_of(start), x_of(end));
        let middle = png.at((x0 + x1) / 2.0, y);
        assert!(
            close(middle, colour),
            "{} ({}): {middle:?} at the bar's middle, expected {colour:?}",
            line.script,
            line.result
        );
        let before = png.at(x0 - 4.0, y);
        assert!(
            !close(before, colour),
            "{}: its colour already 4 px before its start",
            line.script
        );
        checked += 1;
    }
    assert_eq!(checked, 10);
}

const RESULTS: [&str; 4] = ["#2e9e44", "#d62728", "#ff7f0e", "#8c8c8c"];
