//! Scratch: where the time goes (saphyr events vs positioned tree).
use std::time::Instant;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let texts: Vec<String> = args[1..]
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    let bytes: usize = texts.iter().map(|t| t.len()).sum();
    let t = Instant::now();
    let mut n = 0;
    for s in &texts {
        for e in saphyr_parser::Parser::new_from_str(s) {
            e.unwrap();
            n += 1;
        }
    }
    let a = t.elapsed().as_secs_f64();
    let t = Instant::now();
    for s in &texts {
        gate::yaml::parse_documents(s).unwrap();
    }
    let b = t.elapsed().as_secs_f64();
    println!(
        "{bytes} bytes, {n} events: saphyr {:.1} MB/s, tree {:.1} MB/s",
        bytes as f64 / 1e6 / a,
        bytes as f64 / 1e6 / b
    );
}
