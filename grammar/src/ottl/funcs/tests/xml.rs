//! The XML converters: the README's examples, the shapes' rules (trimmed
//! and joined content, untrimmed leaf text, lists from repeated tags,
//! dropped empty elements) and the errors (malformed text, trailing bytes,
//! unknown entities, nesting past the limit).

use super::super::super::value::Value;
use super::super::testing::{conv, list, map, s};
use super::super::xml_tree::MAX_DEPTH;

fn parse_xml(text: &str) -> Result<Value, String> {
    conv("ParseXML", vec![s(text)])
}

fn simplified(text: &str) -> Result<Value, String> {
    conv("ParseSimplifiedXML", vec![s(text)])
}

#[test]
fn parse_xml_gives_the_readmes_shape() {
    let doc = "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<Log>\n  <User>\n    <ID>00001</ID>\n    <Name type=\"first\">Joe</Name>\n    <Email>joe.smith@example.com</Email>\n  </User>\n  <Text>User fired alert A</Text>\n</Log>";
    let leaf = |tag: &str, content: &str| map(&[("tag", s(tag)), ("content", s(content))]);
    let name = map(&[("tag", s("Name")), ("content", s("Joe")), ("attributes", map(&[("type", s("first"))]))]);
    let user = map(&[("tag", s("User")), ("children", list(&[leaf("ID", "00001"), name, leaf("Email", "joe.smith@example.com")]))]);
    let want = map(&[("tag", s("Log")), ("children", list(&[user, leaf("Text", "User fired alert A")]))]);
    assert_eq!(parse_xml(doc), Ok(want));
    let host = "<HostInfo hostname=\"example.com\" zone=\"east-1\" cloudprovider=\"aws\" />";
    let attrs = map(&[("hostname", s("example.com")), ("zone", s("east-1")), ("cloudprovider", s("aws"))]);
    assert_eq!(parse_xml(host), Ok(map(&[("tag", s("HostInfo")), ("attributes", attrs)])));
}

#[test]
fn parse_xml_trims_each_run_of_text_and_joins_them() {
    let got = parse_xml("<Log>\n  multiple lines of\n  <User id=\"1\"/>\n  text content\n</Log>");
    let user = map(&[("tag", s("User")), ("attributes", map(&[("id", s("1"))]))]);
    assert_eq!(got, Ok(map(&[("tag", s("Log")), ("content", s("multiple lines oftext content")), ("children", list(&[user]))])));
    // A comment splits a run; CDATA is a run of its own; entities decode.
    assert_eq!(parse_xml("<a> x <!-- c --> y <![CDATA[ <z> ]]> &amp;&#65; </a>"), Ok(map(&[("tag", s("a")), ("content", s("xy<z>&A"))])));
    assert_eq!(parse_xml("<a>  </a>"), Ok(map(&[("tag", s("a"))])), "whitespace alone is no content");
    assert_eq!(
        parse_xml("<ns:a xmlns:ns=\"u\" ns:k=\"v\"/>"),
        Ok(map(&[("tag", s("a")), ("attributes", map(&[("ns", s("u")), ("k", s("v"))]))])),
        "local names"
    );
    assert_eq!(
        parse_xml("<a k=\"1\r\n\t2\"/>"),
        Ok(map(&[("tag", s("a")), ("attributes", map(&[("k", s("1\n\t2"))]))])),
        "values as written, line ends read as \\n"
    );
}

#[test]
fn parse_xml_refuses_what_the_collector_refuses() {
    let err = |text: &str| parse_xml(text).expect_err(text);
    assert!(err("<Log id=\"1\">").contains("unexpected EOF"));
    assert!(err("<Log><Text></Log>").starts_with("unmarshal xml: "));
    assert_eq!(err("<Log></Log><Log></Log>"), "trailing bytes after parsing xml");
    assert_eq!(err("<Log></Log>\n"), "trailing bytes after parsing xml", "even a newline");
    assert_eq!(err(""), "unmarshal xml: EOF");
    assert!(err("<a>&nbsp;</a>").contains("invalid character entity &nbsp;"));
    assert!(err("<a k=\"<\"/>").contains("unescaped <"));
    assert!(err("<a>\u{1}</a>").contains("illegal character"));
    assert!(conv("ParseXML", vec![Value::Int(1)]).is_err());
    // Leading declarations, comments and whitespace are skipped.
    assert_eq!(parse_xml("\n<!-- hi --><?pi x?><a/>"), Ok(map(&[("tag", s("a"))])));
}

#[test]
fn nesting_is_bounded() {
    let deep = |n: usize| format!("{}{}", "<a>".repeat(n), "</a>".repeat(n));
    assert!(parse_xml(&deep(MAX_DEPTH)).is_ok());
    assert_eq!(parse_xml(&deep(MAX_DEPTH + 1)), Err(format!("unmarshal xml: XML nested deeper than {MAX_DEPTH} elements")));
    assert!(simplified(&deep(MAX_DEPTH + 1)).is_err_and(|e| e.contains("nested deeper")));
    // A hostile depth is refused quickly, without a deep stack.
    assert!(parse_xml(&deep(1_000_000)).is_err());
}

#[test]
fn simplified_xml_follows_the_readmes_examples() {
    let event = "<event>\n    <id>1</id>\n    <user>jane</user>\n    <details>\n      <time>2021-10-01T12:00:00Z</time>\n      <description>Something happened</description>\n      <cause>unknown</cause>\n    </details>\n</event>";
    let details = map(&[("time", s("2021-10-01T12:00:00Z")), ("description", s("Something happened")), ("cause", s("unknown"))]);
    assert_eq!(simplified(event), Ok(map(&[("event", map(&[("id", s("1")), ("user", s("jane")), ("details", details)]))])));
    assert_eq!(simplified("<x>\n  <y>1</y>\n  <z>2</z>\n</x>"), Ok(map(&[("x", map(&[("y", s("1")), ("z", s("2"))]))])));
    let b12 = map(&[("a", map(&[("b", list(&[s("1"), s("2")]))]))]);
    assert_eq!(simplified("<a>\n  <b>1</b>\n  <b>2</b>\n</a>"), Ok(b12.clone()));
    assert_eq!(simplified("<a>\n  <b>1</b>\n  <b><![CDATA[2]]></b>\n</a>"), Ok(b12));
    // The parsing rules' own examples.
    assert_eq!(simplified("<a> <b>1</b> <c>2</c> <c>3</c> </a>"), Ok(map(&[("a", map(&[("b", s("1")), ("c", list(&[s("2"), s("3")]))]))])));
    assert_eq!(simplified("<a> <b>1</b> <b/> </a>"), Ok(map(&[("a", map(&[("b", list(&[s("1")]))]))])));
    assert_eq!(
        simplified("<foo>\n    bar\n    <hello>world</hello>\n</foo>"),
        Ok(map(&[("foo", map(&[("hello", s("world"))]))])),
        "extraneous text is dropped"
    );
}

#[test]
fn simplified_xml_edges() {
    assert_eq!(simplified("<a k=\"v\"><b x=\"1\"> 2 </b></a>"), Ok(map(&[("a", map(&[("b", s(" 2 "))]))])), "attributes dropped, text untrimmed");
    assert_eq!(simplified("<a/>"), Ok(map(&[])), "an empty root leaves an empty map");
    assert_eq!(simplified("<r><a><b/><b></b></a></r>"), Ok(map(&[])), "empty elements make no list, and a map of nothing is dropped");
    assert_eq!(simplified("<a><b><!--x--></b><b><!--y--></b></a>"), Ok(map(&[("a", map(&[("b", list(&[]))]))])), "a list of members that hold nothing stays");
    assert_eq!(simplified("<a>1</a><b>2</b>"), Ok(map(&[("a", s("1")), ("b", s("2"))])), "more than one top-level element");
    assert_eq!(simplified("<a><b><![CDATA[]]></b><c>1</c></a>"), Ok(map(&[("a", map(&[("c", s("1"))]))])), "empty text is no value");
    assert_eq!(simplified("<a>x<!--c-->y</a>"), Ok(map(&[("a", s("x"))])), "the first piece of text only");
    assert!(simplified("just text").is_err_and(|e| e.contains("no element")));
    assert!(simplified("<p:a>1</p:a>").is_err_and(|e| e.contains("namespace p is missing")));
    assert_eq!(simplified("<p:a xmlns:p=\"u\"><p:b>1</p:b></p:a>"), Ok(map(&[("a", map(&[("b", s("1"))]))])));
}

#[test]
fn directives_are_passed_over_as_go_does() {
    // quick-xml stops at `<!ELEMENT`; the reader takes up after it.
    assert_eq!(parse_xml("<Log><!ELEMENT xi:fallback ANY>Log content</Log>"), Ok(map(&[("tag", s("Log")), ("content", s("Log content"))])));
    assert_eq!(parse_xml("<a>x<!ELEMENT y '>'>z</a>"), Ok(map(&[("tag", s("a")), ("content", s("xz"))])), "a directive ends a run; quoted > is inside");
    assert_eq!(parse_xml("<!DOCTYPE a [<!ENTITY x \"y\">]><a>1</a>"), Ok(map(&[("tag", s("a")), ("content", s("1"))])));
    assert!(parse_xml("<a><!ELEMENT y</a>").is_err(), "an unclosed directive");
    // Go refuses a `<!-` that opens no comment and a `<![` that opens no
    // CDATA section rather than reading them as directives.
    assert!(parse_xml("<a><!-x></a>").is_err(), "<!- not part of <!--");
    assert!(parse_xml("<a><![foo]></a>").is_err(), "<![ not part of <![CDATA[");
    assert_eq!(parse_xml("<a></b>"), Err("unmarshal xml: XML syntax error: element <a> closed by </b>".into()));
}

proptest::proptest! {
    /// Arbitrary markup-heavy text gives a value or an error, never a panic.
    #[test]
    fn xml_functions_do_not_panic(text in "[<>/ab: =\"'&#x;!?\\[\\]CDAT\\r\\né-]{0,48}") {
        for name in ["ParseXML", "ParseSimplifiedXML"] {
            let _ = conv(name, vec![s(&text)]);
        }
    }
}
