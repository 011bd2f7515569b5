//! Scalar typing as sops sees it (yaml.v3 resolution, Go number and time
//! formats), and writing plaintext scalars back as valid YAML or JSON.

use crate::crypto::cipher::ValueType;
use std::borrow::Cow;

/// The sops type of a plain (unquoted, untagged) YAML scalar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Resolved {
    Null,
    Str,
    Int,
    Float,
    Bool,
    Time,
}

/// Resolves a plain scalar as yaml.v3 does when decoding into `interface{}`.
pub(crate) fn resolve_plain(s: &str) -> Resolved {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Resolved::Null,
        "true" | "True" | "TRUE" | "false" | "False" | "FALSE" => return Resolved::Bool,
        ".nan" | ".NaN" | ".NAN" | ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF"
        | "-.inf" | "-.Inf" | "-.INF" => return Resolved::Float,
        _ => {}
    }
    let first = s.as_bytes()[0];
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        return Resolved::Str;
    }
    // yaml.v3 reads a scalar starting with `.` with Go's ParseFloat alone.
    if first == b'.' {
        return match !s.contains('_') && is_yaml_float(s) {
            true => Resolved::Float,
            false => Resolved::Str,
        };
    }
    if parse_time(s).is_some() {
        return Resolved::Time;
    }
    if parse_go_int(s).is_some() {
        return Resolved::Int;
    }
    if is_yaml_float(&s.replace('_', "")) {
        return Resolved::Float;
    }
    Resolved::Str
}

/// The radix and digits of a lower-cased Go integer literal: `0x`, `0o`,
/// `0b`, a leading `0` (octal), or decimal.
fn split_radix(lower: &str) -> (u32, &str) {
    if let Some(b) = lower.strip_prefix("0x") {
        (16, b)
    } else if let Some(b) = lower.strip_prefix("0o") {
        (8, b)
    } else if let Some(b) = lower.strip_prefix("0b") {
        (2, b)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower)
    }
}

/// A plain scalar yaml.v3 reads as a uint64 (beyond int64, within uint64):
/// sops cannot walk such a value and refuses the file.
pub(crate) fn is_go_uint64(s: &str) -> bool {
    let plain = s.replace('_', "");
    let lower = plain.to_ascii_lowercase();
    let (radix, body) = split_radix(&lower);
    parse_go_int(s).is_none()
        && !body.is_empty()
        && body.chars().all(|c| c.is_digit(radix))
        && u64::from_str_radix(body, radix).is_ok()
}

/// `strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 0, 64)` and the 0o/0b forms.
pub(crate) fn parse_go_int(s: &str) -> Option<i64> {
    let plain = s.replace('_', "");
    let (neg, digits) = match plain.as_bytes().first()? {
        b'-' => (true, &plain[1..]),
        b'+' => (false, &plain[1..]),
        _ => (false, &plain[..]),
    };
    let lower = digits.to_ascii_lowercase();
    let (radix, body) = split_radix(&lower);
    if body.is_empty() || !body.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let mag = i128::from_str_radix(body, radix).ok()?;
    i64::try_from(if neg { -mag } else { mag }).ok()
}

fn is_yaml_float(s: &str) -> bool {
    // yaml.v3: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
    let b = s.trim_start_matches(['-', '+']);
    if b.len() + 1 < s.len() {
        return false;
    }
    let (mant, exp) = match b.find(['e', 'E']) {
        Some(i) => (&b[..i], Some(&b[i + 1..])),
        None => (b, None),
    };
    let mant_ok = match mant.split_once('.') {
        Some((i, f)) => {
            (!i.is_empty() || !f.is_empty())
                && i.bytes().all(|c| c.is_ascii_digit())
                && f.bytes().all(|c| c.is_ascii_digit())
                && !(i.is_empty() && f.is_empty())
        }
        None => !mant.is_empty() && mant.bytes().all(|c| c.is_ascii_digit()),
    };
    let exp_ok = exp.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && e.bytes().all(|c| c.is_ascii_digit())
    });
    // yaml.v3 keeps an out-of-range float (ParseFloat's ErrRange) as a string.
    mant_ok && exp_ok && s.parse::<f64>().is_ok_and(f64::is_finite)
}

/// A YAML float's value, including the `.inf`/`.nan` spellings.
pub(crate) fn parse_yaml_float(s: &str) -> Option<f64> {
    let lower = s.to_ascii_lowercase();
    match lower.as_str() {
        ".nan" => Some(f64::NAN),
        ".inf" | "+.inf" => Some(f64::INFINITY),
        "-.inf" => Some(f64::NEG_INFINITY),
        _ => s.replace('_', "").parse().ok(),
    }
}

/// Go's `strconv.FormatFloat(v, 'f', -1, 64)`.
pub(crate) fn go_format_float(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        }
    } else {
        format!("{v}")
    }
}

/// Whether Go's `strconv.Atoi` reads `s` as the value yaml.v3 gives it, so
/// it can be stored as typed (`0755` is 493 to yaml.v3 but 755 to Atoi).
pub(crate) fn atoi_compatible(s: &str) -> bool {
    let d = s.strip_prefix(['-', '+']).unwrap_or(s);
    !d.is_empty() && d.bytes().all(|c| c.is_ascii_digit()) && go_atoi(s) == parse_go_int(s)
}

/// Go's `strconv.Atoi`: how sops reads a decrypted `type:int` value.
fn go_atoi(s: &str) -> Option<i64> {
    let d = s.strip_prefix(['-', '+']).unwrap_or(s);
    if d.is_empty() || !d.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// Whether Go's `strconv.ParseFloat` reads `s` as the same number.
pub(crate) fn parsefloat_compatible(s: &str) -> bool {
    !s.contains('_') && is_yaml_float(s)
}

/// A timestamp: yaml.v3's accepted layouts, kept as its RFC 3339 rendering
/// (Go's `time.MarshalText`).
pub(crate) fn parse_time(s: &str) -> Option<String> {
    let b = s.as_bytes();
    // Date: YYYY-M-D with 1–2 digit month and day.
    let mut i = 0;
    let num = |i: &mut usize, min: usize, max: usize| -> Option<u32> {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() && *i - start < max {
            *i += 1;
        }
        if *i - start < min {
            return None;
        }
        s[start..*i].parse().ok()
    };
    let year = num(&mut i, 4, 4)?;
    (b.get(i) == Some(&b'-')).then_some(())?;
    i += 1;
    let month = num(&mut i, 1, 2)?;
    (b.get(i) == Some(&b'-')).then_some(())?;
    i += 1;
    let day = num(&mut i, 1, 2)?;
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let date = format!("{year:04}-{month:02}-{day:02}");
    if i == b.len() {
        return Some(format!("{date}T00:00:00Z"));
    }
    let sep = b[i];
    if !matches!(sep, b'T' | b't' | b' ') {
        return None;
    }
    i += 1;
    let h = num(&mut i, 1, 2)?;
    (b.get(i) == Some(&b':')).then_some(())?;
    i += 1;
    let m = num(&mut i, 1, 2)?;
    (b.get(i) == Some(&b':')).then_some(())?;
    i += 1;
    let sec = num(&mut i, 1, 2)?;
    if h > 23 || m > 59 || sec > 59 {
        return None;
    }
    let mut frac = String::new();
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start || i - start > 9 {
            return None;
        }
        frac = s[start..i].trim_end_matches('0').to_string();
    }
    let zone = match (sep, &s[i..]) {
        (b' ', "") => "Z".to_string(),
        (b' ', _) => return None,
        (_, "Z") => "Z".to_string(),
        (_, z) => {
            let zb = z.as_bytes();
            let ok = zb.len() == 6
                && matches!(zb[0], b'+' | b'-')
                && zb[1..3].iter().all(u8::is_ascii_digit)
                && zb[3] == b':'
                && zb[4..6].iter().all(u8::is_ascii_digit);
            if !ok {
                return None;
            }
            if &z[1..] == "00:00" {
                "Z".into()
            } else {
                z.to_string()
            }
        }
    };
    let frac = if frac.is_empty() {
        String::new()
    } else {
        format!(".{frac}")
    };
    Some(format!("{date}T{h:02}:{m:02}:{sec:02}{frac}{zone}"))
}

fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        2 if (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The bytes sops feeds the MAC for a leaf (`ToBytes`), given its type and
/// its stored plaintext text.
pub(crate) fn mac_bytes(vtype: ValueType, text: &str) -> Option<Cow<'_, [u8]>> {
    Some(match vtype {
        ValueType::Str | ValueType::Bytes | ValueType::Comment => Cow::Borrowed(text.as_bytes()),
        ValueType::Int => Cow::Owned(go_atoi(text)?.to_string().into_bytes()),
        ValueType::Float => Cow::Owned(
            go_format_float(parse_yaml_float(text).or_else(|| go_special_float(text))?)
                .into_bytes(),
        ),
        ValueType::Bool => Cow::Borrowed(if parse_go_bool(text)? {
            b"True"
        } else {
            b"False"
        }),
        ValueType::Time => Cow::Owned(parse_time(text)?.into_bytes()),
    })
}

/// Go's `strconv.ParseBool`.
pub(crate) fn parse_go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

fn go_special_float(s: &str) -> Option<f64> {
    match s.to_ascii_lowercase().as_str() {
        "nan" => Some(f64::NAN),
        "inf" | "+inf" | "infinity" | "+infinity" => Some(f64::INFINITY),
        "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

/// The text hush seals for a typed plain scalar in YAML: see
/// [`sealed_text_in`].
pub(crate) fn sealed_text(res: Resolved, src: &str) -> (ValueType, String) {
    sealed_text_in(res, src, FloatOut::Yaml)
}

/// The text hush seals for a typed plain scalar written as `out`: the
/// source spelling when sops's decoder reads it as the same value (so
/// round trips keep bytes), otherwise sops's canonical form; a float as
/// [`sealed_float`] keeps it.
pub(crate) fn sealed_text_in(res: Resolved, src: &str, out: FloatOut) -> (ValueType, String) {
    match res {
        Resolved::Float if parsefloat_compatible(src) => match float_value(src) {
            Some(v) => (ValueType::Float, sealed_float(src, v, out)),
            None => (ValueType::Float, src.to_string()),
        },
        Resolved::Int if atoi_compatible(src) => (ValueType::Int, src.to_string()),
        Resolved::Int => (
            ValueType::Int,
            parse_go_int(src)
                .map(|v| v.to_string())
                .unwrap_or_else(|| src.into()),
        ),
        Resolved::Float => (
            ValueType::Float,
            go_format_float(parse_yaml_float(src).unwrap_or(f64::NAN)),
        ),
        Resolved::Bool => (ValueType::Bool, src.to_string()),
        Resolved::Time => (
            ValueType::Time,
            parse_time(src).unwrap_or_else(|| src.into()),
        ),
        Resolved::Str | Resolved::Null => (ValueType::Str, src.to_string()),
    }
}

/// How a decrypted scalar is to be written back into YAML.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum YamlSlot {
    /// Where a plain scalar stood; `flow` inside `[]`/`{}`. `indent` is the
    /// column a block scalar's content would need.
    Plain { flow: bool, indent: usize },
    /// Inside double quotes (the quotes are part of the replaced text).
    Double,
    /// Inside single quotes.
    Single,
    /// A block scalar (`|` or `>`), header included in the replaced text.
    /// `parent` is the indentation an indentation indicator counts from
    /// (yaml.v3's enclosing block), when the header line shows it.
    Block {
        folded: bool,
        indent: usize,
        parent: Option<usize>,
    },
}

/// Renders a decrypted value for YAML at `slot`.
pub(crate) fn yaml_render(vtype: ValueType, text: &str, slot: YamlSlot) -> String {
    match vtype {
        ValueType::Str | ValueType::Bytes => yaml_string(text, slot),
        ValueType::Float => printed_float(text, FloatOut::Yaml).unwrap_or_else(|| text.into()),
        // sops stores `True`/`False`; YAML files conventionally say `true`.
        ValueType::Bool if !matches!(text, "true" | "false" | "TRUE" | "FALSE") => {
            if parse_go_bool(text).unwrap_or(false) {
                "true".into()
            } else {
                "false".into()
            }
        }
        _ => text.into(),
    }
}

/// A float as yaml.v3 writes a float64: `strconv.FormatFloat(f, 'g', -1,
/// 64)` (`1e-07`, `1.5e+300`, `1.234567e+06`), `.inf`, `-.inf`, `.nan`.
/// One deliberate difference: a whole float written without an exponent
/// keeps a point (`1000.0`, where sops writes `1000`, which every YAML
/// reader takes for an int).
pub(crate) fn yaml_float(f: f64) -> String {
    let mut out = yaml_number(f);
    if !out.contains(['.', 'e']) {
        out.push_str(".0");
    }
    out
}

/// Exactly as yaml.v3 writes a float64 (a whole one as `1000`): sops's
/// YAML for a JSON number, which it reads as a float64 whatever it holds.
pub(crate) fn yaml_number(f: f64) -> String {
    if f.is_nan() {
        ".nan".into()
    } else if f.is_infinite() {
        if f < 0.0 { "-.inf" } else { ".inf" }.into()
    } else {
        go_g(f).to_ascii_lowercase()
    }
}

/// A float as Go's encoding/json writes a float64 (sops's JSON output):
/// shortest digits, exponent form below 1e-6 and from 1e21 (`1e-7`,
/// `1e+21`). `None` for infinities and NaN, which JSON cannot hold.
pub(crate) fn json_float(f: f64) -> Option<String> {
    if !f.is_finite() {
        return None;
    }
    let abs = f.abs();
    if abs == 0.0 || (1e-6..1e21).contains(&abs) {
        return Some(format!("{f}"));
    }
    let sci = format!("{f:e}");
    let (mant, exp) = sci.split_once('e').expect("{:e} has an exponent");
    Some(match exp.strip_prefix('-') {
        Some(neg) => format!("{mant}e-{neg}"),
        None => format!("{mant}e+{exp}"),
    })
}

/// The float64 sops reads from a value's text: YAML's spellings (`.inf`,
/// `1_000.5`) and Go's `ParseFloat` ones (`+Inf`, `Infinity`).
pub(crate) fn float_value(text: &str) -> Option<f64> {
    parse_yaml_float(text).or_else(|| go_special_float(text))
}

/// The format a float is printed in: each has its own canonical form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FloatOut {
    /// yaml.v3's ([`yaml_float`]).
    Yaml,
    /// Go's encoding/json ([`json_float`]).
    Json,
}

fn printed(v: f64, out: FloatOut) -> Option<String> {
    match out {
        FloatOut::Yaml => Some(yaml_float(v)),
        FloatOut::Json => json_float(v),
    }
}

/// Whether `t` is sops's stored form `f` of a float, padded with zeros,
/// where that form does not print as itself (`0.000001`, `0.0000010`).
fn padded(t: &str, f: &str, printed: Option<&str>) -> bool {
    f.contains('.')
        && Some(f) != printed
        && t.strip_prefix(f)
            .is_some_and(|zeros| zeros.bytes().all(|b| b == b'0'))
}

/// The text hush seals for a float spelled `src` (value `v`). sops seals
/// `FormatFloat(v, 'f', -1)` and prints the value in the output's own
/// form ([`printed_float`] does the same), so hush seals:
/// - sops's stored form, when `src` is what is printed for it (`1e-07`);
/// - `src` and one more `0`, when `src` is that stored form, zero-padded,
///   but prints otherwise (`0.000001` prints as `1e-06`): the extra zero
///   marks the spelling as the user's, and decryption drops it;
/// - `src` itself otherwise (`1e-7`, `1.50`).
///
/// So a file hush encrypted decrypts to its own bytes, one sops encrypted
/// decrypts as sops prints it, and Go's `ParseFloat` reads the same value.
pub(crate) fn sealed_float(src: &str, v: f64, out: FloatOut) -> String {
    let (f, p) = (go_format_float(v), printed(v, out));
    if p.as_deref() == Some(src) {
        f
    } else if padded(src, &f, p.as_deref()) {
        format!("{src}0")
    } else {
        src.into()
    }
}

/// A decrypted float as printed in `out`: sops's stored form as sops prints
/// it, a spelling [`sealed_float`] kept as the user wrote it. `None` for a
/// float JSON cannot hold.
fn printed_float(text: &str, out: FloatOut) -> Option<String> {
    let Some(v) = float_value(text) else {
        return Some(text.into());
    };
    let (f, p) = (go_format_float(v), printed(v, out));
    if text == f || !v.is_finite() {
        p
    } else if text.len() > f.len() && padded(text, &f, p.as_deref()) {
        Some(text[..text.len() - 1].into())
    } else {
        Some(text.into())
    }
}

fn yaml_string(s: &str, slot: YamlSlot) -> String {
    match slot {
        YamlSlot::Single if !needs_escape(s) && !s.contains('\n') => {
            format!("'{}'", s.replace('\'', "''"))
        }
        YamlSlot::Block {
            folded,
            indent,
            parent,
        } if block_ok(s) => match indicator(s, indent, parent) {
            Some(lead) => block(s, folded, indent, &lead),
            None => double_quoted(s),
        },
        YamlSlot::Plain { flow, .. } if plain_ok(s, flow) => s.to_string(),
        YamlSlot::Plain {
            flow: false,
            indent,
        } if s.contains('\n')
            && block_ok(s)
            && !needs_indicator(s)
            && !s.contains(" \n")
            && !s.ends_with(' ') =>
        {
            // yaml.v3 writes no block for a line that ends in a space.
            block(s, false, indent, "")
        }
        // yaml.v3 single-quotes a string that reads as a string but cannot
        // be plain (`'a: b'`, `' lead'`), and double-quotes the rest.
        YamlSlot::Plain { .. } if single_ok(s) => format!("'{}'", s.replace('\'', "''")),
        _ => double_quoted(s),
    }
}

/// Whether yaml.v3 would write `s` single-quoted: it reads as a string,
/// and holds only printable characters on one line.
fn single_ok(s: &str) -> bool {
    !s.is_empty()
        && !needs_escape(s)
        && !s.contains(['\n', '\t'])
        && resolve_plain(s) == Resolved::Str
        && !yaml11_typed(s)
}

fn needs_escape(s: &str) -> bool {
    s.chars().any(|c| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}')
    })
}

/// Whether a block scalar can hold `s`: tabs are content there, but not
/// before the first line's text (they would be read as indentation). A
/// first line that starts with a space would need an indentation indicator,
/// which counts from the parent's indentation, unknown here: quoted instead.
fn block_ok(s: &str) -> bool {
    let first = s.trim_start_matches('\n');
    // A first line led by a space needs an indentation indicator (see
    // `indicator`); one led by a tab can't be written as a block.
    !first.is_empty()
        && !first.starts_with('\t')
        && !s
            .chars()
            .any(|c| c != '\t' && needs_escape(c.encode_utf8(&mut [0; 4])))
}

fn plain_ok(s: &str, flow: bool) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if needs_escape(s) || s.contains('\n') || s.contains('\t') {
        return false;
    }
    if s.starts_with(' ') || s.ends_with(' ') || s.ends_with(':') {
        return false;
    }
    if ",[]{}#&*!|>'\"%@`".contains(first) {
        return false;
    }
    // `-`, `?` and `:` may start a plain scalar when a "safe" char follows.
    if "-?:".contains(first) {
        let next = s[1..].chars().next();
        // PyYAML allows only `-` in flow context.
        if next.is_none_or(|c| c == ' ' || (flow && (first != '-' || ",[]{}".contains(c)))) {
            return false;
        }
    }
    if s.contains(": ") || s.contains(" #") || s.starts_with("...") || s.starts_with("---") {
        return false;
    }
    if flow && s.contains([',', '[', ']', '{', '}']) {
        return false;
    }
    resolve_plain(s) == Resolved::Str && !yaml11_typed(s)
}

/// Whether a YAML 1.1 reader (PyYAML, go-yaml v2 behind kubectl's
/// sigs.k8s.io/yaml) reads plain `s` as something other than a string:
/// PyYAML's implicit resolvers, plus go-yaml v2's `y`/`n` booleans.
pub(crate) fn yaml11_typed(s: &str) -> bool {
    // Most values hold a byte no resolver pattern has: no need to compile
    // the regex (a third of a small file's decrypt).
    s.bytes().all(|b| YAML11_BYTES.contains(&b)) && yaml11_regex().is_match(s)
}

/// Every byte that occurs in a string [`yaml11_regex`] matches.
const YAML11_BYTES: &[u8] = b"0123456789_.:+-~=< \tabcdefilnorstuxyABCDEFILNORSTUYZ";

fn yaml11_regex() -> &'static regex::Regex {
    use regex::Regex;
    use std::sync::LazyLock;
    static TYPED: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(concat!(
            r"^(?:",
            // bool
            r"y|Y|n|N|yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF",
            // null, value, merge
            r"|~|null|Null|NULL|=|<<",
            // int
            r"|[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+",
            r"|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+",
            // float
            r"|[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?",
            r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)",
            // timestamp
            r"|[0-9]{4}-[0-9]{2}-[0-9]{2}",
            r"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?",
            r"(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?",
            r")$"
        ))
        .expect("valid regex")
    });
    &TYPED
}

/// A block scalar that reads back as exactly `s`. The text that follows the
/// replaced span is a line break, or the end of the file (which YAML readers
/// treat as one for a clipped block).
/// Whether a block scalar holding `s` needs an indentation indicator: its
/// first non-empty line starts with a space.
fn needs_indicator(s: &str) -> bool {
    s.trim_start_matches('\n').starts_with(' ')
}

/// The indentation indicator for content at column `indent`: relative to the
/// enclosing block's indentation, as yaml.v3 reads it. `None` when it can't be
/// written (unknown parent, or not 1–9).
fn indicator(s: &str, indent: usize, parent: Option<usize>) -> Option<String> {
    if !needs_indicator(s) {
        return Some(String::new());
    }
    let d = indent.checked_sub(parent?)?;
    (1..=9).contains(&d).then(|| d.to_string())
}

fn block(s: &str, folded: bool, indent: usize, lead: &str) -> String {
    let trailing = s.len() - s.trim_end_matches('\n').len();
    let body = &s[..s.len() - trailing];
    let chomp = match trailing {
        0 => "-",
        1 => "",
        _ => "+",
    };
    // Folded style only keeps single-line text exactly; use literal otherwise.
    let style = if folded && !body.contains('\n') {
        '>'
    } else {
        '|'
    };
    let pad = " ".repeat(indent.max(1));
    let mut out = format!("{style}{lead}{chomp}");
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
    }
    // All but one trailing break are written; the last comes after the span.
    for _ in 1..trailing {
        out.push('\n');
    }
    out
}

/// A YAML double-quoted scalar.
pub(crate) fn double_quoted(s: &str) -> String {
    quote(s, true)
}

/// A double-quoted string with the escapes of YAML (`yaml`) or JSON.
fn quote(s: &str, yaml: bool) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{85}' if yaml => out.push_str("\\N"),
            '\u{2028}' if yaml => out.push_str("\\L"),
            '\u{2029}' if yaml => out.push_str("\\P"),
            c if (yaml && (c.is_control() || c == '\u{feff}')) || (c as u32) < 0x20 => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Renders a decrypted value for JSON.
pub(crate) fn json_render(vtype: ValueType, text: &str) -> String {
    match vtype {
        ValueType::Int => text.trim_start_matches('+').to_string(),
        ValueType::Float => {
            printed_float(text, FloatOut::Json).unwrap_or_else(|| json_string(text))
        }
        ValueType::Bool => parse_go_bool(text).unwrap_or(false).to_string(),
        _ => json_string(text),
    }
}

/// A JSON string literal.
pub(crate) fn json_string(s: &str) -> String {
    quote(s, false)
}

/// Go's `strconv.FormatFloat(v, 'G', -1, 64)`, then `'f', 1` when that
/// looks like an integer: sops's `ValToString` of a float64.
pub(crate) fn sops_float(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    let g = go_g(v);
    if g.contains(['.', 'E']) {
        g
    } else {
        format!("{g}.0")
    }
}

/// `%G` with the shortest digits that round-trip.
fn go_g(v: f64) -> String {
    let sign = if v.is_sign_negative() { "-" } else { "" };
    if v == 0.0 {
        return format!("{sign}0");
    }
    let sci = format!("{:e}", v.abs());
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits = mant.replace('.', "");
    let (nd, dp) = (digits.len() as i32, exp + 1);
    let eprec = if 6 > nd && nd >= dp { nd } else { 6 };
    if exp < -4 || exp >= eprec {
        let m = match &digits[1..] {
            "" => digits.clone(),
            frac => format!("{}.{frac}", &digits[..1]),
        };
        let es = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{m}E{es}{:02}", exp.abs());
    }
    let body = if dp <= 0 {
        format!("0.{}{digits}", "0".repeat(-dp as usize))
    } else if dp >= nd {
        format!("{digits}{}", "0".repeat((dp - nd) as usize))
    } else {
        format!("{}.{}", &digits[..dp as usize], &digits[dp as usize..])
    };
    format!("{sign}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn yaml11_typed_words_and_numbers_pass_the_byte_filter() {
        let typed = concat!(
            "y|Y|n|N|yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF",
            "|~|null|Null|NULL|=|<<|0b1_0|-0b1|017|+0_7|0|-12_345|0x1F_aC|0xbcdefABCDE9",
            "|190:20:30|1.5|.5e+3|-1.5E-3|1_0.0_1E-2|190:20:30.15|-.inf|.Inf|+.INF|.nan|.NaN|.NAN",
            "|2001-12-14|2001-12-14t21:59:43.10-05:00|2001-12-14T21:59:43",
            "|2001-12-14 21:59:43.10 Z|2001-1-4\t1:59:43+5",
        );
        for s in typed.split('|') {
            assert!(yaml11_regex().is_match(s), "{s}: the regex itself");
            assert!(yaml11_typed(s), "{s}");
        }
        for s in ["yess", "0x", "1.2.3", "2001-12-14x", "password", "\u{e9}"] {
            assert!(!yaml11_typed(s), "{s}");
        }
    }

    proptest! {
        /// The byte filter only skips strings the regex cannot match.
        #[test]
        fn yaml11_byte_filter_never_changes_the_answer(
            s in "[0-9a-zA-Z_.:+~=< \t\u{e9}-]{0,12}"
        ) {
            prop_assert_eq!(yaml11_typed(&s), yaml11_regex().is_match(&s));
        }
    }

    #[test]
    fn floats_sops_stored_print_as_yaml_v3_writes_them() {
        // sops's stored text (`FormatFloat(v, 'f', -1)`) and what sops 3.11
        // prints for it in YAML (whole floats aside: hush keeps a point).
        for (stored, want) in [
            ("0.0000001", "1e-07"),
            ("0.000001", "1e-06"),
            ("0.0001", "0.0001"),
            ("10000000000", "1e+10"),
            ("123456789.5", "1.234567895e+08"),
            ("1000000000000000000000", "1e+21"),
            ("1234567", "1.234567e+06"),
            ("1.5", "1.5"),
            ("5", "5.0"),
            ("-0", "-0.0"),
            ("100000", "100000.0"),
            ("Infinity", ".inf"),
            ("+Inf", ".inf"),
            ("-Inf", "-.inf"),
            ("NaN", ".nan"),
        ] {
            assert_eq!(
                yaml_render(ValueType::Float, stored, plain_slot()),
                want,
                "{stored}"
            );
        }
    }

    #[test]
    fn floats_sops_stored_print_as_go_encoding_json_writes_them() {
        for (stored, want) in [
            ("0.0000001", "1e-7"),
            ("0.000001", "0.000001"),
            ("1000000000000000000000", "1e+21"),
            ("100000000000000000000", "100000000000000000000"),
            ("1000", "1000"),
            ("-0", "-0"),
            ("123456789.5", "123456789.5"),
            ("-0.00000000025", "-2.5e-10"),
        ] {
            assert_eq!(json_render(ValueType::Float, stored), want, "{stored}");
        }
        for v in [f64::INFINITY, f64::NEG_INFINITY, f64::NAN] {
            assert_eq!(json_float(v), None);
        }
    }

    #[test]
    fn float_spellings_hush_sealed_print_back_unchanged() {
        for (src, sealed) in [
            ("1e-7", "1e-7"),
            ("1e-07", "0.0000001"),
            ("0.000001", "0.0000010"),
            ("0.0000010", "0.00000100"),
            ("1000.0", "1000"),
            ("1.50", "1.50"),
            ("1.5", "1.5"),
            ("1.5e300", "1.5e300"),
        ] {
            let (t, text) = sealed_text(Resolved::Float, src);
            assert_eq!((t, text.as_str()), (ValueType::Float, sealed), "{src}");
            assert_eq!(yaml_render(t, &text, plain_slot()), src);
        }
        let (_, text) = sealed_text_in(Resolved::Float, "0.0000001", FloatOut::Json);
        assert_eq!(json_render(ValueType::Float, &text), "0.0000001");
    }

    proptest! {
        /// Whatever the spelling and the value, a float hush sealed prints
        /// back as written, and Go's ParseFloat reads the same value.
        #[test]
        fn a_sealed_float_prints_back_as_written(
            bits in any::<u64>(),
            form in 0..5usize,
            json in any::<bool>(),
        ) {
            let v = f64::from_bits(bits);
            prop_assume!(v.is_finite());
            let out = if json { FloatOut::Json } else { FloatOut::Yaml };
            let src = match form {
                0 => format!("{v:e}"),
                1 => yaml_float(v),
                2 => json_float(v).unwrap(),
                3 if format!("{v}").contains('.') => format!("{v}0"),
                3 => format!("{v}.0"),
                _ => format!("{v}"),
            };
            // Integer digits beyond int64 are a float only to hush's
            // reader; they are sops's stored form and print as sops's.
            prop_assume!(src.contains(['.', 'e']));
            prop_assume!(resolve_plain(&src) == Resolved::Float && parsefloat_compatible(&src));
            let (_, text) = sealed_text_in(Resolved::Float, &src, out);
            prop_assert_eq!(float_value(&text).map(f64::to_bits), Some(bits));
            let back = match out {
                FloatOut::Yaml => yaml_render(ValueType::Float, &text, plain_slot()),
                FloatOut::Json => json_render(ValueType::Float, &text),
            };
            prop_assert_eq!(back, src);
        }
    }

    fn plain_slot() -> YamlSlot {
        YamlSlot::Plain {
            flow: false,
            indent: 2,
        }
    }

    #[test]
    fn plain_scalars_resolve_like_yaml_v3() {
        assert_eq!(resolve_plain("42"), Resolved::Int);
        assert_eq!(
            resolve_plain("1.5e3555"),
            Resolved::Str,
            "out of f64 range, as yaml.v3"
        );
        assert_eq!(resolve_plain("0x1F"), Resolved::Int);
        assert_eq!(resolve_plain("1.5"), Resolved::Float);
        assert_eq!(resolve_plain("1e3"), Resolved::Float);
        assert_eq!(resolve_plain("yes"), Resolved::Str);
        assert_eq!(resolve_plain("True"), Resolved::Bool);
        assert_eq!(resolve_plain("~"), Resolved::Null);
        assert_eq!(resolve_plain("2024-01-01"), Resolved::Time);
        assert_eq!(resolve_plain("1.2.3"), Resolved::Str);
        assert_eq!(resolve_plain("-"), Resolved::Str);
        assert_eq!(
            resolve_plain("._5"),
            Resolved::Str,
            "ParseFloat refuses `_` here"
        );
        assert_eq!(resolve_plain(".5_0"), Resolved::Str);
        assert_eq!(
            resolve_plain("+.5_0"),
            Resolved::Float,
            "signs take the digit path"
        );
    }

    #[test]
    fn times_render_as_go_marshal_text() {
        assert_eq!(parse_time("2024-01-01").unwrap(), "2024-01-01T00:00:00Z");
        assert_eq!(
            parse_time("2024-1-2 3:04:05.500").unwrap(),
            "2024-01-02T03:04:05.5Z"
        );
        assert_eq!(
            parse_time("2024-01-02T03:04:05+02:00").unwrap(),
            "2024-01-02T03:04:05+02:00"
        );
        assert!(parse_time("2024-02-30").is_none());
    }

    #[test]
    fn mac_bytes_use_sops_canonical_forms() {
        assert_eq!(&*mac_bytes(ValueType::Float, "1.0").unwrap(), b"1");
        assert_eq!(
            &*mac_bytes(ValueType::Int, "+0755").unwrap(),
            b"755",
            "as Atoi"
        );
        assert!(
            mac_bytes(ValueType::Int, "0x10").is_none(),
            "Atoi refuses it"
        );
        assert_eq!(&*mac_bytes(ValueType::Bool, "true").unwrap(), b"True");
    }

    #[test]
    fn strings_that_would_change_type_are_quoted() {
        let slot = YamlSlot::Plain {
            flow: false,
            indent: 2,
        };
        assert_eq!(yaml_render(ValueType::Str, "123", slot), "\"123\"");
        // A string that cannot be plain is single-quoted, as yaml.v3 does.
        assert_eq!(yaml_render(ValueType::Str, "a: b", slot), "'a: b'");
        assert_eq!(yaml_render(ValueType::Str, "it's: x", slot), "'it''s: x'");
        assert_eq!(yaml_render(ValueType::Str, "a\tb", slot), "\"a\\tb\"");
        assert_eq!(yaml_render(ValueType::Str, "hello", slot), "hello");
        for s in [
            "no",
            "Off",
            "y",
            "0755",
            "1:20",
            "2001-12-14 21:59:43.10 -5",
            "1.",
            "<<",
        ] {
            assert_eq!(
                yaml_render(ValueType::Str, s, slot),
                format!("\"{s}\""),
                "{s}"
            );
        }
        assert_eq!(
            yaml_render(ValueType::Str, "\na:\n\tb\n", slot),
            "|\n\n  a:\n  \tb",
            "leading blank lines and inner tabs stay in a block"
        );
        for s in ["-c", "--set", "-", ":x", "1.2.3", "nope"] {
            let want = if s == "-" {
                "'-'".to_string()
            } else {
                s.to_string()
            };
            assert_eq!(yaml_render(ValueType::Str, s, slot), want, "{s}");
        }
        assert_eq!(
            yaml_render(ValueType::Str, "l1\nl2\n", slot),
            "|\n  l1\n  l2"
        );
    }

    #[test]
    fn floats_format_like_go() {
        for (v, want) in [
            (1000.0, "1000.0"),
            (1.5, "1.5"),
            (10.0, "10.0"),
            (1e21, "1E+21"),
            (1e-7, "1E-07"),
            (123456789.125, "1.23456789125E+08"),
            (-0.0, "-0.0"),
            (-0.5, "-0.5"),
            (0.0001, "0.0001"),
            (123456.0, "123456.0"),
            (1234567.0, "1.234567E+06"),
            (5.0, "5.0"),
            (1e20, "1E+20"),
            (12345678901234567890.0, "1.2345678901234567E+19"),
            (0.00001, "1E-05"),
            (f64::INFINITY, "+Inf"),
            (f64::NAN, "NaN"),
        ] {
            assert_eq!(sops_float(v), want, "{v}");
        }
    }
}
