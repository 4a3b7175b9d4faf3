//! One file's bytes into pending items: deciding the format, splitting PEM blocks,
//! deserializing YAML and JSON within bounds.
//!
//! This file owns the first, cheap half of parsing: it finds the CSRs a file holds (as
//! DER bytes) without parsing or verifying any of them, so that the batch can count them
//! against [`super::MAX_BATCH_CSRS`] before the expensive half ([`Pending::finish`])
//! grows memory. It never shows a parser's quoted values: they may be a private key
//! pasted into the wrong field.

use serde::Deserialize;

use super::object::{self, KubeObject};
use super::{IntakeItem, MAX_ITEMS_PER_FILE, ObjectFields};
use crate::csr::UntrustedCsr;

/// Where a pending CSR's DER came from: decides how a parse failure is worded.
#[derive(Debug, Clone, Copy)]
pub(super) enum Origin {
    /// A PEM block of a PEM file.
    Pem,
    /// A whole binary file.
    Der,
    /// An object's `spec.request`.
    Object,
}

/// One item found in a file, its CSR not yet parsed.
#[derive(Debug)]
pub(super) struct Pending {
    pub(super) input: String,
    pub(super) stem: String,
    pub(super) object: Option<ObjectFields>,
    pub(super) request: Result<(Vec<u8>, Origin), String>,
}

impl Pending {
    /// An item that holds only the reason it has no CSR.
    pub(super) fn refused(input: &str, stem: &str, reason: String) -> Self {
        Self {
            input: input.to_owned(),
            stem: stem.to_owned(),
            object: None,
            request: Err(reason),
        }
    }

    /// Parses the CSR (and verifies its self-signature): the expensive half.
    pub(super) fn finish(self) -> IntakeItem {
        let csr = self.request.and_then(|(der, origin)| {
            UntrustedCsr::parse(&der).map_err(|error| match origin {
                Origin::Pem => error.to_string(),
                Origin::Der => format!("binary file is {error}"),
                Origin::Object => format!("spec.request: {error}"),
            })
        });
        IntakeItem {
            input: self.input,
            stem: self.stem,
            object: self.object,
            csr,
        }
    }
}

/// Finds the items of one file. Every file yields at least one; at most
/// [`MAX_ITEMS_PER_FILE`] (more is one refused item).
pub(super) fn split(input: &str, stem: &str, bytes: &[u8]) -> Vec<Pending> {
    let single = |reason: String| vec![Pending::refused(input, stem, reason)];
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return single("empty file".to_owned());
    }
    let has_pem = contains(bytes, b"-----BEGIN");
    let Ok(text) = std::str::from_utf8(bytes) else {
        if has_pem {
            return split_pem(input, stem, bytes);
        }
        if bytes.first() == Some(&0x30) {
            return vec![Pending {
                input: input.to_owned(),
                stem: stem.to_owned(),
                object: None,
                request: Ok((bytes.to_vec(), Origin::Der)),
            }];
        }
        return single("not a CSR: binary content that is neither DER nor PEM".to_owned());
    };
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    let objects = if trimmed.starts_with('{') || trimmed.starts_with('[') {
        parse_json(trimmed)
    } else if has_pem {
        // Decided from the whole file: a PEM block inside a YAML structure (a ConfigMap
        // carrying a CSR, say) is that structure's content, not a PEM file. Text around
        // a PEM block (openssl's -text output, a note) is not a YAML structure.
        if is_yaml_structure(trimmed) {
            parse_yaml(trimmed)
        } else {
            return split_pem(input, stem, bytes);
        }
    } else if bytes.first() == Some(&0x30) {
        // Valid UTF-8 can still be a (tiny) DER CSR.
        return vec![Pending {
            input: input.to_owned(),
            stem: stem.to_owned(),
            object: None,
            request: Ok((bytes.to_vec(), Origin::Der)),
        }];
    } else {
        parse_yaml(trimmed)
    };
    match objects {
        Ok(objects) => object::split_objects(input, stem, objects),
        Err(reason) => single(reason),
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

fn split_pem(input: &str, stem: &str, bytes: &[u8]) -> Vec<Pending> {
    let single = |reason: String| vec![Pending::refused(input, stem, reason)];
    let blocks = match pem::parse_many(bytes) {
        Ok(blocks) => blocks,
        Err(error) => {
            return single(format!(
                "damaged PEM: {}",
                crate::text::inert(&error.to_string(), 120)
            ));
        }
    };
    if blocks.is_empty() {
        return single("has a BEGIN line but no complete PEM block (truncated?)".to_owned());
    }
    if blocks.len() > MAX_ITEMS_PER_FILE {
        return single(format!("holds more than {MAX_ITEMS_PER_FILE} PEM blocks"));
    }
    let several = blocks.len() > 1;
    let key_on_media = blocks
        .iter()
        .any(|block| block.tag().contains("PRIVATE KEY"));
    blocks
        .into_iter()
        .enumerate()
        .map(|(index, block)| {
            let (item_input, item_stem) = if several {
                (format!("{input}#{}", index + 1), format!("{stem}-{}", index + 1))
            } else {
                (input.to_owned(), stem.to_owned())
            };
            let request = match block.tag() {
                "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" if key_on_media => Err(
                    "the same file holds a PRIVATE KEY: the key travelled on the media and must be treated as exposed; make a new key and CSR".to_owned(),
                ),
                "CERTIFICATE REQUEST" | "NEW CERTIFICATE REQUEST" => {
                    Ok((block.into_contents(), Origin::Pem))
                }
                "CERTIFICATE" => Err("holds a CERTIFICATE, not a CSR".to_owned()),
                tag if tag.contains("PRIVATE KEY") => Err(
                    "holds a PRIVATE KEY, not a CSR: private keys must never travel on intake media".to_owned(),
                ),
                tag => Err(format!("holds a PEM '{}' block, not a CSR", crate::text::name(tag))),
            };
            Pending { input: item_input, stem: item_stem, object: None, request }
        })
        .collect()
}

fn parse_json(text: &str) -> Result<Vec<Option<KubeObject>>, String> {
    serde_json::from_str::<KubeObject>(text)
        .map(|object| vec![Some(object)])
        .map_err(|error| {
            // serde_json's message can quote the offending value (a private key pasted
            // into the wrong field): only its category and position are shown.
            let category = match error.classify() {
                serde_json::error::Category::Io => "unreadable",
                serde_json::error::Category::Syntax => "syntax error",
                serde_json::error::Category::Data => "a field has the wrong type or value",
                serde_json::error::Category::Eof => "truncated",
            };
            format!(
                "not a Kubernetes object in JSON: {category} at line {}, column {}",
                error.line(),
                error.column()
            )
        })
}

/// serde-saphyr's options with airlock's bounds on depth, aliases, documents and size.
fn yaml_options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = 32;
    budget.max_aliases = 16;
    budget.max_anchors = 16;
    budget.max_documents = MAX_ITEMS_PER_FILE;
    budget.max_nodes = 100_000;
    budget.max_events = 200_000;
    budget.max_total_scalar_bytes = 4 << 20;
    budget.max_recorded_anchor_bytes = 64 * 1024;
    budget.max_recorded_anchor_events = 10_000;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options.with_snippet = false;
    options
}

fn parse_yaml(text: &str) -> Result<Vec<Option<KubeObject>>, String> {
    serde_saphyr::from_str_multiple_with_options::<Option<KubeObject>, _>(text, yaml_options())
        .map_err(|error| {
            // A breached budget is said in words, not as the parser's struct.
            let text = error.to_string();
            if text.contains("budget breached") {
                return format!("the YAML {}", budget_words(&text));
            }
            format!(
                "not a Kubernetes object in YAML: {}",
                crate::text::inert(&without_quoted_values(&text), 160)
            )
        })
}

/// Which bound of [`yaml_options`] a YAML file broke, in words (issue 10, item 15).
fn budget_words(text: &str) -> &'static str {
    let bounds = [
        ("AliasAnchorRatio", "repeats too much through its aliases"),
        ("Aliases", "uses too many aliases (at most 16)"),
        ("Anchors", "defines too many anchors (at most 16)"),
        ("Depth", "nests too deep (at most 32 levels)"),
        ("Documents", "holds too many documents"),
        ("Nodes", "holds too many nodes"),
        ("MergeKeys", "uses too many merge keys"),
        ("Events", "is too large to read"),
        ("ScalarBytes", "holds too much text"),
        ("CommentBytes", "holds too many comments"),
        ("InputBytes", "is too large to read"),
    ];
    bounds
        .iter()
        .find(|(variant, _)| text.contains(variant))
        .map_or("is larger than airlock reads", |(_, words)| words)
}

/// Whether `text` reads as YAML whose documents include a mapping or a sequence. A PEM
/// file, with or without text around its blocks, is a scalar or no YAML at all.
fn is_yaml_structure(text: &str) -> bool {
    serde_saphyr::from_str_multiple_with_options::<Shape, _>(text, yaml_options())
        .is_ok_and(|shapes: Vec<Shape>| shapes.contains(&Shape::Structure))
}

/// The outline of one YAML document: its values are skipped, never kept.
#[derive(Debug, PartialEq, Eq)]
enum Shape {
    Scalar,
    Structure,
}

impl<'de> Deserialize<'de> for Shape {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ShapeVisitor)
    }
}

struct ShapeVisitor;

impl<'de> serde::de::Visitor<'de> for ShapeVisitor {
    type Value = Shape;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("any YAML document")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Shape, E> {
        Ok(Shape::Scalar)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Shape, E> {
        Ok(Shape::Scalar)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Shape, E> {
        Ok(Shape::Scalar)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Shape, E> {
        Ok(Shape::Scalar)
    }

    fn visit_str<E>(self, _: &str) -> Result<Shape, E> {
        Ok(Shape::Scalar)
    }

    fn visit_bytes<E>(self, _: &[u8]) -> Result<Shape, E> {
        Ok(Shape::Scalar)
    }

    fn visit_none<E>(self) -> Result<Shape, E> {
        Ok(Shape::Scalar)
    }

    fn visit_unit<E>(self) -> Result<Shape, E> {
        Ok(Shape::Scalar)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Shape, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Shape, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(Shape::Structure)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
        while map
            .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
            .is_some()
        {}
        Ok(Shape::Structure)
    }
}

/// A parser message with every quoted value removed: such messages quote what they
/// could not parse, which may be a private key pasted into the wrong field.
fn without_quoted_values(message: &str) -> String {
    let mut out = String::new();
    let mut quote: Option<char> = None;
    for character in message.chars() {
        match quote {
            Some(open) if character == open => {
                out.push('…');
                out.push(character);
                quote = None;
            }
            Some(_) => {}
            None if matches!(character, '"' | '`' | '\'') => {
                out.push(character);
                quote = Some(character);
            }
            None => out.push(character),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_with_text_around_is_not_a_yaml_structure() {
        let openssl_text = "Certificate Request:\n    Data:\n        Version: 1 (0x0)\n-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n";
        assert!(!is_yaml_structure(openssl_text));
        assert!(!is_yaml_structure(
            "-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n"
        ));
        assert!(!is_yaml_structure(
            "please sign\r\n-----BEGIN CERTIFICATE REQUEST-----\r\nMIIB\r\n-----END CERTIFICATE REQUEST-----\r\n"
        ));
    }

    #[test]
    fn a_mapping_holding_pem_is_a_yaml_structure() {
        let config_map = "kind: ConfigMap\ndata:\n  csr: |\n    -----BEGIN CERTIFICATE REQUEST-----\n    MIIB\n    -----END CERTIFICATE REQUEST-----\n";
        assert!(is_yaml_structure(config_map));
    }

    #[test]
    fn quoted_values_are_removed_from_parser_messages() {
        assert_eq!(
            without_quoted_values("invalid value: \"MIIEv secret\" at line 3"),
            "invalid value: \"…\" at line 3"
        );
    }
}
