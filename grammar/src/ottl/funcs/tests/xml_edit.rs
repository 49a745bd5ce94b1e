//! The XML converters that return XML text: the README's examples, the
//! output rules of the Collector's XML tree (end tags always written,
//! whitespace kept, Go's HTML escaping, the declaration kept only when
//! the text starts with one), the quirks its code has (moved nodes,
//! prefixed attributes), and XPaths refused at load.

use super::super::super::value::Value;
use super::super::testing::{compile, run_opt, s};

fn call(name: &str, args: &[&str]) -> Result<String, String> {
    match run_opt(name, args.iter().map(|a| Some(s(a))).collect()).0? {
        Value::Str(out) => Ok(out),
        other => Err(format!("not a string: {other:?}")),
    }
}

fn ok(name: &str, args: &[&str]) -> String {
    call(name, args).unwrap_or_else(|e| panic!("{name}{args:?}: {e}"))
}

#[test]
fn the_readmes_conversions() {
    assert_eq!(ok("ConvertAttributesToElementsXML", &["<a foo=\"bar\"><b>baz</b></a>"]), "<a><b>baz</b><foo>bar</foo></a>");
    assert_eq!(ok("ConvertTextToElementsXML", &["<a><b>foo</b>bar</a>"]), "<a><b>foo</b><value>bar</value></a>");
    assert_eq!(ok("ConvertTextToElementsXML", &["<a>x<b>foo</b>bar</a>", "/", "v"]), "<a><v>x</v><b>foo</b><v>bar</v></a>");
    assert_eq!(ok("ConvertTextToElementsXML", &["<a>only text</a>"]), "<a>only text</a>", "text alone is left");
    // Whitespace between elements is text too, and is wrapped with them.
    assert_eq!(ok("ConvertTextToElementsXML", &["<a> <b/></a>"]), "<a><value> </value><b></b></a>");
    // Only within what the XPath selects.
    assert_eq!(ok("ConvertTextToElementsXML", &["<a><b><c/>x</b><d><c/>y</d></a>", "/a/b"]), "<a><b><c></c><value>x</value></b><d><c></c>y</d></a>");
    // An XPath that selects elements converts no attributes, as the code reads.
    assert_eq!(ok("ConvertAttributesToElementsXML", &["<Log><Record k=\"v\"/></Log>", "/Log/Record"]), "<Log><Record k=\"v\"></Record></Log>");
    assert_eq!(
        ok("ConvertAttributesToElementsXML", &["<Log a=\"1\"><Record k=\"v\"/></Log>", "/Log/Record/@*"]),
        "<Log a=\"1\"><Record><k>v</k></Record></Log>"
    );
    // A prefixed attribute gets its element but stays: the Collector
    // removes attributes by local name only.
    assert_eq!(ok("ConvertAttributesToElementsXML", &["<a xmlns:p=\"u\" p:k=\"v\"/>"]), "<a xmlns:p=\"u\" p:k=\"v\"><p>u</p><k>v</k></a>");
}

#[test]
fn the_readmes_selections() {
    assert_eq!(ok("GetXML", &["<a>foo</a>", "/a/text()"]), "foo");
    assert_eq!(ok("GetXML", &["<a><![CDATA[hello]]></a>", "/a/text()"]), "hello");
    assert_eq!(ok("GetXML", &["<a foo=\"bar\"/>", "/a/@foo"]), "bar");
    let doc = "<r><a b=\"c\">1</a><x><a>2</a></x><a>3</a></r>";
    assert_eq!(ok("GetXML", &[doc, "/r/a"]), "<a b=\"c\">1</a><a>3</a>");
    assert_eq!(ok("GetXML", &[doc, "//a"]), "<a b=\"c\">1</a><a>2</a><a>3</a>");
    assert_eq!(ok("GetXML", &[doc, "/r/a[1]"]), "<a b=\"c\">1</a>");
    assert_eq!(ok("GetXML", &[doc, "//a[@b='c']"]), "<a b=\"c\">1</a>");
    assert_eq!(ok("GetXML", &[doc, "/r/nothing"]), "");
    // Selected elements are moved, not copied: an inner one selected too
    // cuts its outer one short after it, as in the Collector.
    assert_eq!(ok("GetXML", &["<a><a>in</a><z/></a>", "//a"]), "<a><a>in</a></a><a>in</a>");
}

#[test]
fn the_readmes_insertions() {
    assert_eq!(ok("InsertXML", &["<a></a>", "/", "<foo/>"]), "<a></a><foo></foo>");
    assert_eq!(ok("InsertXML", &["<a><foo/><x><foo>t</foo></x></a>", "//foo", "<bar/>"]), "<a><foo><bar></bar></foo><x><foo>t<bar></bar></foo></x></a>");
    assert_eq!(
        ok("InsertXML", &["<subdoc/>", "/subdoc", "<?xml version=\"1.0\"?><i>1</i>"]),
        "<subdoc><?xml version=\"1.0\"?><i>1</i></subdoc>",
        "a sub-document's declaration goes too"
    );
    assert_eq!(call("InsertXML", &["<a b=\"1\"/>", "/a/@b", "<c/>"]), Err("InsertXML XPath selected non-element: \"b\"".into()));
    assert!(call("InsertXML", &["<a/>", "/a", "<c>"]).is_err(), "a bad sub-document");
}

#[test]
fn the_readmes_removals() {
    let log = "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>\n<Log>\n  <Record>\n    <ID>00001</ID>\n    <Name type=\"archive\"></Name>\n    <Data>Some data</Data>\n  </Record>\n  <Record>\n    <ID>00002</ID>\n    <Name type=\"user\"></Name>\n    <Data>Some data</Data>\n  </Record>\n</Log>";
    // The README prints this tidied; the Collector keeps the whitespace
    // around the removed element and writes the declaration from its parts.
    let kept = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Log>\n  \n  <Record>\n    <ID>00002</ID>\n    <Name type=\"user\"></Name>\n    <Data>Some data</Data>\n  </Record>\n</Log>";
    assert_eq!(ok("RemoveXML", &[log, "/Log/Record[./Name/@type=\"archive\"]"]), kept);
    assert_eq!(ok("RemoveXML", &["<a foo=\"1\" bar=\"2\"/>", "/a/@foo"]), "<a bar=\"2\"></a>");
    assert_eq!(ok("RemoveXML", &["<a><b/><c/><b/></a>", "/a/b"]), "<a><c></c></a>");
    assert_eq!(ok("RemoveXML", &["<a><b foo=\"bar\"/><b foo=\"baz\"/></a>", "/a/b[@foo='bar']"]), "<a><b foo=\"baz\"></b></a>");
    assert_eq!(ok("RemoveXML", &["<a><!--x--><b><!--y--></b></a>", "//comment()"]), "<a><b></b></a>");
    assert_eq!(ok("RemoveXML", &["<a><b>a sensitive word</b><c>fine</c></a>", "//*[contains(text(), 'sensitive')]"]), "<a><c>fine</c></a>");
    assert_eq!(ok("RemoveXML", &["<a>t<![CDATA[c]]></a>", "/a/text()"]), "<a></a>", "text emptied, CDATA removed");
    assert_eq!(ok("RemoveXML", &["", "/a"]), "", "empty text stays empty");
}

#[test]
fn output_follows_the_collectors_tree() {
    // The declaration stays only when the text starts with it; what comes
    // before the first element is dropped otherwise.
    assert_eq!(ok("RemoveXML", &["<?xml version=\"1.0\"?>\n<!DOCTYPE  x>\n<a/>\n", "/z"]), "<?xml version=\"1.0\"?>\n<!DOCTYPE  x>\n<a></a>\n");
    assert_eq!(ok("RemoveXML", &["\n<?xml version=\"1.0\"?><!--c--><a/>", "/z"]), "<!--c--><a></a>");
    assert_eq!(ok("RemoveXML", &["<!--c--><a/>", "/z"]), "<a></a>");
    // Go's HTML escaping, in text and attributes; CDATA as written.
    assert_eq!(ok("RemoveXML", &["<a k='&lt;&quot;'>&amp;'\"&gt;<![CDATA[<&>]]></a>", "/z"]), "<a k=\"&lt;&#34;\">&amp;&#39;&#34;&gt;<![CDATA[<&>]]></a>");
    assert_eq!(ok("RemoveXML", &["<p:a xmlns:p=\"u\"><p:b/></p:a>", "/a/b"]), "<p:a xmlns:p=\"u\"></p:a>", "unprefixed names match local names");
    assert!(call("RemoveXML", &["<a><?pi x?><b/></a>", "/z"]).is_err_and(|e| e.contains("processing instruction")));
    assert!(call("GetXML", &["<a>", "/a"]).is_err_and(|e| e.starts_with("parse xml: ")));
}

#[test]
fn unsupported_xpaths_are_load_errors() {
    for bad in ["count(/a)", "a/b", "/a/b/", "/a[last()]", "/a[@b!='c']", "/a/@b/c", "//a | //b", "/a[", "/a/text()[1]"] {
        let args = [Some(s("<a/>")), Some(s(bad))];
        let err = compile("GetXML", &args).err().unwrap_or_else(|| panic!("{bad:?} compiled"));
        assert_eq!(err.0, 1, "{bad:?}: the error points at the xpath");
        assert!(err.1.contains("unsupported XPath"), "{bad:?}: {}", err.1);
    }
    assert!(compile("ConvertTextToElementsXML", &[Some(s("<a/>"))]).is_ok(), "the xpath is optional");
}

#[test]
fn attributes_convert_in_document_order_at_every_level() {
    let doc = "<a hello=\"world\" foo=\"bar\"><b href=\"www.example.com\"></b></a>";
    assert_eq!(ok("ConvertAttributesToElementsXML", &[doc]), "<a><b><href>www.example.com</href></b><hello>world</hello><foo>bar</foo></a>");
}

proptest::proptest! {
    /// Arbitrary markup gives a value or an error, never a panic.
    #[test]
    fn xml_editors_do_not_panic(text in "[<>/ab: =\"'&#;!?\\[\\]CDAT\\r\\né-]{0,48}", sub in "[<>/ab ]{0,12}") {
        for (name, args) in [
            ("GetXML", vec![text.as_str(), "//a"]),
            ("GetXML", vec![text.as_str(), "//a/@*"]),
            ("RemoveXML", vec![text.as_str(), "//a[1]"]),
            ("InsertXML", vec![text.as_str(), "//a", sub.as_str()]),
            ("InsertXML", vec![sub.as_str(), "/", text.as_str()]),
            ("ConvertTextToElementsXML", vec![text.as_str()]),
            ("ConvertAttributesToElementsXML", vec![text.as_str()]),
        ] {
            let _ = call(name, &args);
        }
    }
}

#[test]
fn insertions_print_under_every_target_within_a_bound() {
    let targets = format!("<r>{}</r>", "<t/>".repeat(300));
    let sub = format!("<s>{}</s>", "<x/>".repeat(100));
    let out = ok("InsertXML", &[&targets, "//t", &sub]);
    assert_eq!(out.matches("<x></x>").count(), 30_000, "every target prints the whole sub-document");
    let many = format!("<r>{}</r>", "<t/>".repeat(3000));
    let big = format!("<s>{}</s>", "<x/>".repeat(1000));
    assert!(call("InsertXML", &[&many, "//t", &big]).is_err_and(|e| e.contains("XML output over")));
}

#[test]
fn the_older_names_do_the_same() {
    let doc = "<a k=\"v\">x<b/>y</a>";
    assert_eq!(ok("ElementizeAttributesXML", &[doc]), ok("ConvertAttributesToElementsXML", &[doc]));
    assert_eq!(ok("ElementizeValuesXML", &[doc, "/a", "w"]), "<a k=\"v\"><w>x</w><b></b><w>y</w></a>");
}
