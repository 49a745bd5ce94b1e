fn main() {
    let path = std::env::args().nth(1).unwrap();
    let src = std::fs::read_to_string(&path).unwrap();
    let f = solder_syntax::SourceFile::new(path, src.clone());
    match solder_syntax::parse(&src) {
        Ok(file) => println!("{:#?}", file.body),
        Err(mut d) => { solder_syntax::diagnostic::attach_source(&mut d, &f); println!("{}", solder_syntax::render::render_all(&d, solder_syntax::render::Style::Plain)) }
    }
}
