//! The command grammar: a tree of words, each with its help text, built from command specs.
//!
//! One tree serves the parser (Enter), the `?` help and Tab completion, so the three always
//! agree. A command is declared as data, FRR `DEFUN`-style:
//!
//! ```text
//! CommandSpec::new("show vrrp [<1-255>$vrid] [detail] [json]", Action::ShowVrrp)
//!     .help("vrrp", "Virtual Router Redundancy Protocol")
//!     .help("vrid", "Virtual router ID")
//! ```
//!
//! Syntax of a spec:
//! - `word`: a keyword (lower case letters, digits, `-`), typed as is or abbreviated to any
//!   unambiguous prefix (`sh int`);
//! - a placeholder: `WORD` (anything), `A.B.C.D`, `A.B.C.D/M`, `X:X::X:X`, `X:X::X:X/M`,
//!   `<lo-hi>` (an integer in that range); the typed value is validated. `$name` after a
//!   placeholder names its value for the action (`<1-255>$vrid`); without it the name is the
//!   placeholder itself (`A.B.C.D`);
//! - `[ ... ]` an optional part, `( a | b )` a choice; `[a|b]` an optional choice. Optional
//!   parts are taken in the order written.
//!
//! Every word needs a help text: from the spec's `.help(word, text)` (placeholders by their
//! text or `$name`), else from the common dictionary given to [`Grammar::build`].

use std::collections::BTreeSet;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Help text shown for the end of a complete command in `?` listings.
pub const CR: &str = "<cr>";

/// Upper bound on the concrete paths one spec expands to (guards against `[a] [b] [c] ...`
/// explosions written by mistake).
const MAX_EXPANSIONS: usize = 1024;

/// A value slot in a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholder {
    /// `WORD`: any word.
    Word,
    /// `A.B.C.D`: an IPv4 address.
    Ipv4,
    /// `A.B.C.D/M`: an IPv4 prefix.
    Ipv4Prefix,
    /// `X:X::X:X`: an IPv6 address.
    Ipv6,
    /// `X:X::X:X/M`: an IPv6 prefix.
    Ipv6Prefix,
    /// `<lo-hi>`: an integer from `lo` to `hi` inclusive.
    Range(u64, u64),
}

/// Why a typed word does not fit a placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reject {
    /// The word is not this kind of value at all (`foo` for `<1-255>`): try other words.
    Mismatch,
    /// The word is this kind of value but wrong (`300` for `<1-255>`): say why.
    Invalid(String),
}

impl Placeholder {
    /// Parses a placeholder as written in a spec (`WORD`, `<1-255>`, ...).
    pub fn parse(text: &str) -> Option<Placeholder> {
        match text {
            "WORD" => Some(Placeholder::Word),
            "A.B.C.D" => Some(Placeholder::Ipv4),
            "A.B.C.D/M" => Some(Placeholder::Ipv4Prefix),
            "X:X::X:X" => Some(Placeholder::Ipv6),
            "X:X::X:X/M" => Some(Placeholder::Ipv6Prefix),
            _ => {
                let inner = text.strip_prefix('<')?.strip_suffix('>')?;
                let (lo, hi) = inner.split_once('-')?;
                let (lo, hi) = (lo.parse().ok()?, hi.parse().ok()?);
                (lo <= hi).then_some(Placeholder::Range(lo, hi))
            }
        }
    }

    /// The placeholder as shown in help (`<1-255>`).
    pub fn label(&self) -> String {
        match self {
            Placeholder::Word => "WORD".into(),
            Placeholder::Ipv4 => "A.B.C.D".into(),
            Placeholder::Ipv4Prefix => "A.B.C.D/M".into(),
            Placeholder::Ipv6 => "X:X::X:X".into(),
            Placeholder::Ipv6Prefix => "X:X::X:X/M".into(),
            Placeholder::Range(lo, hi) => format!("<{lo}-{hi}>"),
        }
    }

    /// Whether `word` is a valid value for this placeholder.
    pub fn check(&self, word: &str) -> Result<(), Reject> {
        if word.is_empty() {
            return Err(Reject::Mismatch);
        }
        match self {
            Placeholder::Word => Ok(()),
            Placeholder::Range(lo, hi) => {
                if !word.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(Reject::Mismatch);
                }
                match word.parse::<u64>() {
                    Ok(n) if (*lo..=*hi).contains(&n) => Ok(()),
                    _ => Err(Reject::Invalid(format!("{word} is out of range {lo} to {hi}"))),
                }
            }
            Placeholder::Ipv4 => {
                if !looks_ipv4(word) {
                    return Err(Reject::Mismatch);
                }
                word.parse::<Ipv4Addr>()
                    .map(|_| ())
                    .map_err(|_| Reject::Invalid(format!("{word} is not an IPv4 address (A.B.C.D)")))
            }
            Placeholder::Ipv4Prefix => {
                if !looks_ipv4(word) {
                    return Err(Reject::Mismatch);
                }
                let bad = || Reject::Invalid(format!("{word} is not an IPv4 prefix (A.B.C.D/M)"));
                let (addr, len) = word.split_once('/').ok_or_else(bad)?;
                addr.parse::<Ipv4Addr>().map_err(|_| bad())?;
                match parse_prefix_len(len) {
                    Some(len) if len <= 32 => Ok(()),
                    _ => Err(bad()),
                }
            }
            Placeholder::Ipv6 => {
                if !looks_ipv6(word) {
                    return Err(Reject::Mismatch);
                }
                word.parse::<Ipv6Addr>()
                    .map(|_| ())
                    .map_err(|_| Reject::Invalid(format!("{word} is not an IPv6 address (X:X::X:X)")))
            }
            Placeholder::Ipv6Prefix => {
                if !looks_ipv6(word) {
                    return Err(Reject::Mismatch);
                }
                let bad = || Reject::Invalid(format!("{word} is not an IPv6 prefix (X:X::X:X/M)"));
                let (addr, len) = word.split_once('/').ok_or_else(bad)?;
                addr.parse::<Ipv6Addr>().map_err(|_| bad())?;
                match parse_prefix_len(len) {
                    Some(len) if len <= 128 => Ok(()),
                    _ => Err(bad()),
                }
            }
        }
    }

    /// Whether `partial` could still become a valid value by typing more (used to filter
    /// `?` listings of a word being typed).
    pub fn accepts_partial(&self, partial: &str) -> bool {
        if partial.is_empty() {
            return true;
        }
        match self {
            Placeholder::Word => true,
            Placeholder::Range(_, hi) => {
                partial.bytes().all(|b| b.is_ascii_digit()) && partial.len() <= hi.to_string().len()
            }
            Placeholder::Ipv4 => partial.bytes().all(|b| b.is_ascii_digit() || b == b'.'),
            Placeholder::Ipv4Prefix => partial.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'/'),
            Placeholder::Ipv6 => partial.bytes().all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.'),
            Placeholder::Ipv6Prefix => partial
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.' || b == b'/'),
        }
    }
}

fn looks_ipv4(word: &str) -> bool {
    word.contains('.') && word.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'/')
}

fn looks_ipv6(word: &str) -> bool {
    word.contains(':')
        && word
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.' || b == b'/')
}

fn parse_prefix_len(text: &str) -> Option<u8> {
    if text.is_empty() || text.len() > 3 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// One word of the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    Keyword(String),
    Arg(Placeholder),
}

impl Token {
    /// The word as shown in help: the keyword itself or the placeholder's label.
    pub fn label(&self) -> String {
        match self {
            Token::Keyword(word) => word.clone(),
            Token::Arg(placeholder) => placeholder.label(),
        }
    }
}

/// A node of the command tree.
#[derive(Debug, Clone)]
pub struct Node<A> {
    pub token: Token,
    /// For a placeholder, the name its value is stored under in [`Invocation::args`].
    pub name: String,
    pub help: String,
    /// What to run when the command ends here (Enter); `None` means "incomplete".
    pub action: Option<A>,
    pub children: Vec<Node<A>>,
}

impl<A> Node<A> {
    fn root() -> Self {
        Node {
            token: Token::Keyword(String::new()),
            name: String::new(),
            help: String::new(),
            action: None,
            children: Vec::new(),
        }
    }

    fn sort(&mut self) {
        // Keywords alphabetically, then placeholders in the order declared.
        self.children.sort_by_key(|child| match &child.token {
            Token::Keyword(word) => (0, word.clone()),
            Token::Arg(_) => (1, String::new()),
        });
        for child in &mut self.children {
            child.sort();
        }
    }
}

/// A command as written by its author: syntax, action, and help for its words.
#[derive(Debug, Clone)]
pub struct CommandSpec<A> {
    pub syntax: &'static str,
    pub action: A,
    pub help: Vec<(&'static str, &'static str)>,
}

impl<A> CommandSpec<A> {
    pub fn new(syntax: &'static str, action: A) -> Self {
        CommandSpec {
            syntax,
            action,
            help: Vec::new(),
        }
    }

    /// Help for a word of this command: a keyword, a placeholder as written (`<1-255>`), or
    /// a placeholder's `$name`.
    pub fn help(mut self, word: &'static str, text: &'static str) -> Self {
        self.help.push((word, text));
        self
    }
}

/// A command as listed by `help`: its syntax and a one-line summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandInfo {
    pub syntax: String,
    pub summary: String,
}

/// A mistake in the grammar itself (a programming error, caught by the unit tests).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("command \"{syntax}\": {problem}")]
pub struct GrammarError {
    pub syntax: String,
    pub problem: String,
}

/// What the user typed, resolved against the grammar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation<A> {
    pub action: A,
    /// The full words of the command, abbreviations expanded (`["show", "interface"]`); for
    /// placeholders, the typed value.
    pub words: Vec<String>,
    /// Placeholder values by name, in order.
    pub args: Vec<(String, String)>,
}

impl<A> Invocation<A> {
    /// Whether the keyword `word` was given (optional flags such as `detail`).
    pub fn has(&self, word: &str) -> bool {
        self.words.iter().any(|w| w == word)
    }

    /// Whether the output is asked as JSON (`json` as the last word).
    pub fn json(&self) -> bool {
        self.words.last().is_some_and(|w| w == "json")
    }

    /// The value typed for the placeholder named `name`.
    pub fn arg(&self, name: &str) -> Option<&str> {
        self.args.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// One line of a `?` listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpEntry {
    pub word: String,
    pub help: String,
}

/// Why a line does not parse. `Display` gives the text the shell prints (possibly several
/// lines, each starting with `%` or aligned under the echoed command).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// `word` (at character `column` of `line`) matches nothing that may come there.
    Unknown { line: String, word: String, column: usize },
    /// `word` is the right kind of value but invalid (`300` for `<1-255>`).
    Invalid {
        line: String,
        word: String,
        column: usize,
        reason: String,
    },
    /// `word` is a prefix of several keywords.
    Ambiguous {
        line: String,
        word: String,
        column: usize,
        candidates: Vec<HelpEntry>,
    },
    /// The line stops before a command is complete (`show`).
    Incomplete { line: String },
}

const UNKNOWN_PREFIX: &str = "% Unknown command: ";
const INVALID_PREFIX: &str = "% Invalid argument: ";

impl ParseError {
    /// Character column of the `^` marker in the error's second line, if it has one.
    pub fn caret_column(&self) -> Option<usize> {
        match self {
            ParseError::Unknown { column, .. } => Some(UNKNOWN_PREFIX.chars().count() + column),
            ParseError::Invalid { column, .. } => Some(INVALID_PREFIX.chars().count() + column),
            _ => None,
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let caret = " ".repeat(self.caret_column().unwrap_or(0));
        match self {
            ParseError::Unknown { line, .. } => write!(f, "{UNKNOWN_PREFIX}{line}\n{caret}^"),
            ParseError::Invalid { line, reason, .. } => write!(f, "{INVALID_PREFIX}{line}\n{caret}^ {reason}"),
            ParseError::Ambiguous { word, candidates, .. } => {
                write!(f, "% Ambiguous command: \"{word}\"")?;
                let width = candidates.iter().map(|c| c.word.chars().count()).max().unwrap_or(0);
                for candidate in candidates {
                    write!(f, "\n  {:<width$}  {}", candidate.word, candidate.help)?;
                }
                Ok(())
            }
            ParseError::Incomplete { line } => write!(f, "% Command incomplete: {line}"),
        }
    }
}

impl std::error::Error for ParseError {}

/// The command tree.
#[derive(Debug, Clone)]
pub struct Grammar<A> {
    root: Node<A>,
    commands: Vec<CommandInfo>,
}

/// Words of `line` with their byte offsets.
fn split_words(line: &str) -> Vec<(usize, &str)> {
    let mut words = Vec::new();
    let mut start = None;
    for (i, c) in line.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                words.push((s, &line[s..i]));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        words.push((s, &line[s..]));
    }
    words
}

/// How a word matched the children of a node.
enum Match<'a, A> {
    One(&'a Node<A>),
    Ambiguous(Vec<&'a Node<A>>),
    /// Nothing matched; `invalid` is the reason from a placeholder the word looked like.
    None {
        invalid: Option<String>,
    },
}

impl<A: Clone + PartialEq> Grammar<A> {
    /// Builds the tree from `specs`; `common_help` gives help for words shared by many
    /// commands (`show`, `json`, ...).
    pub fn build(specs: &[CommandSpec<A>], common_help: &[(&str, &str)]) -> Result<Self, GrammarError> {
        let mut root = Node::root();
        let mut commands = Vec::new();
        for spec in specs {
            let error = |problem: String| GrammarError {
                syntax: spec.syntax.to_string(),
                problem,
            };
            let elements = parse_syntax(spec.syntax).map_err(error)?;
            let paths = expand(&elements).map_err(error)?;
            for path in &paths {
                if path.is_empty() {
                    return Err(error("a command needs at least one word".into()));
                }
                insert(&mut root, path, spec, common_help).map_err(error)?;
            }
            commands.push(CommandInfo {
                syntax: spec.syntax.to_string(),
                summary: summary(&elements, spec, common_help),
            });
        }
        root.sort();
        Ok(Grammar { root, commands })
    }

    /// The commands, in declaration order, for the `help` command.
    pub fn commands(&self) -> &[CommandInfo] {
        &self.commands
    }

    /// Parses a whole line. `Ok(None)` for an empty line.
    pub fn parse(&self, line: &str) -> Result<Option<Invocation<A>>, ParseError> {
        let line = line.trim();
        let words = split_words(line);
        if words.is_empty() {
            return Ok(None);
        }
        let (node, resolved, args) = self.walk(line, &words)?;
        match &node.action {
            Some(action) => Ok(Some(Invocation {
                action: action.clone(),
                words: resolved,
                args,
            })),
            None => Err(ParseError::Incomplete { line: line.to_string() }),
        }
    }

    /// Follows `words` from the root. Returns the last node reached, the resolved words and
    /// the placeholder values.
    #[allow(clippy::type_complexity)]
    fn walk(
        &self,
        line: &str,
        words: &[(usize, &str)],
    ) -> Result<(&Node<A>, Vec<String>, Vec<(String, String)>), ParseError> {
        let mut node = &self.root;
        let mut resolved = Vec::new();
        let mut args = Vec::new();
        for &(offset, word) in words {
            let column = line[..offset].chars().count();
            match match_word(node, word) {
                Match::One(child) => {
                    match &child.token {
                        Token::Keyword(keyword) => resolved.push(keyword.clone()),
                        Token::Arg(_) => {
                            resolved.push(word.to_string());
                            args.push((child.name.clone(), word.to_string()));
                        }
                    }
                    node = child;
                }
                Match::Ambiguous(candidates) => {
                    return Err(ParseError::Ambiguous {
                        line: line.to_string(),
                        word: word.to_string(),
                        column,
                        candidates: candidates.iter().map(|c| entry(c)).collect(),
                    });
                }
                Match::None { invalid: Some(reason) } => {
                    return Err(ParseError::Invalid {
                        line: line.to_string(),
                        word: word.to_string(),
                        column,
                        reason,
                    });
                }
                Match::None { invalid: None } => {
                    return Err(ParseError::Unknown {
                        line: line.to_string(),
                        word: word.to_string(),
                        column,
                    });
                }
            }
        }
        Ok((node, resolved, args))
    }

    /// The `?` listing for the text before the cursor: what may come next, or, when the
    /// cursor is inside a word, what that word may become. `<cr>` ends the list when the
    /// command is complete as typed.
    pub fn help(&self, before_cursor: &str) -> Result<Vec<HelpEntry>, ParseError> {
        let line = before_cursor.trim_start();
        let words = split_words(line);
        let partial = match words.last() {
            Some(&(_, word)) if !line.ends_with(char::is_whitespace) => Some(word),
            _ => None,
        };
        let complete = &words[..words.len() - usize::from(partial.is_some())];
        let (node, _, _) = self.walk(line.trim_end(), complete)?;
        let prefix = partial.unwrap_or("");
        let mut entries: Vec<HelpEntry> = node
            .children
            .iter()
            .filter(|child| could_match(child, prefix))
            .map(entry)
            .collect();
        match partial {
            None if node.action.is_some() => {
                entries.push(HelpEntry {
                    word: CR.to_string(),
                    help: String::new(),
                });
            }
            Some(word) if entries.is_empty() => {
                let (offset, _) = words[words.len() - 1];
                return Err(ParseError::Unknown {
                    line: line.trim_end().to_string(),
                    word: word.to_string(),
                    column: line[..offset].chars().count(),
                });
            }
            _ => {}
        }
        Ok(entries)
    }

    /// Tab completion of the word at `pos` (a byte offset in `line`): the byte offset where
    /// that word starts and the keywords it may become. Placeholders are not offered (there
    /// is nothing to insert for them); `?` shows them.
    pub fn complete(&self, line: &str, pos: usize) -> (usize, Vec<String>) {
        let Some(before) = line.get(..pos) else {
            return (pos, Vec::new());
        };
        let words = split_words(before);
        let (start, partial) = match words.last() {
            Some(&(offset, word)) if !before.ends_with(char::is_whitespace) => (offset, word),
            _ => (pos, ""),
        };
        let complete = &words[..words.len() - usize::from(!partial.is_empty())];
        let Ok((node, _, _)) = self.walk(before, complete) else {
            return (start, Vec::new());
        };
        let lower = partial.to_lowercase();
        let candidates = node
            .children
            .iter()
            .filter_map(|child| match &child.token {
                Token::Keyword(keyword) if keyword.starts_with(&lower) => Some(keyword.clone()),
                _ => None,
            })
            .collect();
        (start, candidates)
    }
}

fn entry<A>(node: &Node<A>) -> HelpEntry {
    HelpEntry {
        word: node.token.label(),
        help: node.help.clone(),
    }
}

fn could_match<A>(node: &Node<A>, prefix: &str) -> bool {
    match &node.token {
        Token::Keyword(keyword) => keyword.starts_with(&prefix.to_lowercase()),
        Token::Arg(placeholder) => placeholder.accepts_partial(prefix),
    }
}

/// Matches one typed word against the children of `node`. Precedence: a keyword typed in
/// full; then a valid value for a specific placeholder (number, address); then a keyword
/// abbreviation; then `WORD`. Several candidates at the same level are ambiguous.
fn match_word<'a, A>(node: &'a Node<A>, word: &str) -> Match<'a, A> {
    let lower = word.to_lowercase();
    let keyword = |pred: &dyn Fn(&str) -> bool| -> Vec<&'a Node<A>> {
        node.children
            .iter()
            .filter(|c| matches!(&c.token, Token::Keyword(k) if pred(k)))
            .collect()
    };
    let exact = keyword(&|k| k == lower);
    if let [one] = exact.as_slice() {
        return Match::One(one);
    }
    let mut invalid = None;
    let mut specific = Vec::new();
    let mut any_word = Vec::new();
    for child in &node.children {
        if let Token::Arg(placeholder) = &child.token {
            match placeholder.check(word) {
                Ok(()) if *placeholder == Placeholder::Word => any_word.push(child),
                Ok(()) => specific.push(child),
                Err(Reject::Invalid(reason)) => invalid = invalid.or(Some(reason)),
                Err(Reject::Mismatch) => {}
            }
        }
    }
    let prefixed = keyword(&|k| k.starts_with(&lower));
    for level in [specific, prefixed, any_word] {
        match level.len() {
            0 => continue,
            1 => return Match::One(level[0]),
            _ => return Match::Ambiguous(level),
        }
    }
    Match::None { invalid }
}

// ----- building the tree from specs -----

/// An element of a spec's syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Element {
    Word(String),
    /// `[a | b c]`: optionally one of the alternatives.
    Optional(Vec<Vec<Element>>),
    /// `(a | b c)`: exactly one of the alternatives.
    Choice(Vec<Vec<Element>>),
}

fn lex(syntax: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    for c in syntax.chars() {
        if c.is_whitespace() || matches!(c, '[' | ']' | '(' | ')' | '|') {
            if !current.is_empty() {
                tokens.push(std::mem::take(&mut current));
            }
            if !c.is_whitespace() {
                tokens.push(c.to_string());
            }
        } else {
            current.push(c);
        }
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    tokens
}

fn parse_syntax(syntax: &str) -> Result<Vec<Element>, String> {
    let tokens = lex(syntax);
    let mut pos = 0;
    let alternatives = parse_alternatives(&tokens, &mut pos)?;
    if pos < tokens.len() {
        return Err(format!("unexpected \"{}\"", tokens[pos]));
    }
    match <[_; 1]>::try_from(alternatives) {
        Ok([sequence]) => Ok(sequence),
        Err(_) => Err("\"|\" outside ( ) or [ ]".into()),
    }
}

fn parse_alternatives(tokens: &[String], pos: &mut usize) -> Result<Vec<Vec<Element>>, String> {
    let mut alternatives = vec![Vec::new()];
    while let Some(token) = tokens.get(*pos) {
        match token.as_str() {
            "]" | ")" => break,
            "|" => {
                *pos += 1;
                alternatives.push(Vec::new());
            }
            open @ ("[" | "(") => {
                let close = if open == "[" { "]" } else { ")" };
                *pos += 1;
                let inner = parse_alternatives(tokens, pos)?;
                if tokens.get(*pos).map(String::as_str) != Some(close) {
                    return Err(format!("\"{open}\" without \"{close}\""));
                }
                *pos += 1;
                if inner.iter().any(Vec::is_empty) {
                    return Err(format!("empty alternative in \"{open} {close}\""));
                }
                let element = if open == "[" {
                    Element::Optional(inner)
                } else {
                    Element::Choice(inner)
                };
                if let Some(sequence) = alternatives.last_mut() {
                    sequence.push(element);
                }
            }
            word => {
                *pos += 1;
                if let Some(sequence) = alternatives.last_mut() {
                    sequence.push(Element::Word(word.to_string()));
                }
            }
        }
    }
    Ok(alternatives)
}

/// All concrete word sequences a syntax stands for.
fn expand(elements: &[Element]) -> Result<Vec<Vec<String>>, String> {
    let mut paths: Vec<Vec<String>> = vec![Vec::new()];
    for element in elements {
        let mut next = Vec::new();
        let (alternatives, optional) = match element {
            Element::Word(word) => {
                for path in &mut paths {
                    path.push(word.clone());
                }
                continue;
            }
            Element::Optional(alternatives) => (alternatives, true),
            Element::Choice(alternatives) => (alternatives, false),
        };
        let mut tails = Vec::new();
        for alternative in alternatives {
            tails.extend(expand(alternative)?);
        }
        for path in &paths {
            if optional {
                next.push(path.clone());
            }
            for tail in &tails {
                let mut longer = path.clone();
                longer.extend(tail.iter().cloned());
                next.push(longer);
            }
        }
        if next.len() > MAX_EXPANSIONS {
            return Err(format!("expands to more than {MAX_EXPANSIONS} commands"));
        }
        paths = next;
    }
    Ok(paths)
}

fn is_keyword(word: &str) -> bool {
    word.starts_with(|c: char| c.is_ascii_lowercase())
        && word
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Reads one word of a spec: its token, its name and the keys its help may be found under.
fn token_of(word: &str) -> Result<(Token, String, Vec<String>), String> {
    if is_keyword(word) {
        return Ok((
            Token::Keyword(word.to_string()),
            word.to_string(),
            vec![word.to_string()],
        ));
    }
    let (text, name) = match word.split_once('$') {
        Some((text, name)) if is_keyword(name) => (text, Some(name)),
        Some(_) => return Err(format!("bad argument name in \"{word}\"")),
        None => (word, None),
    };
    let placeholder =
        Placeholder::parse(text).ok_or_else(|| format!("\"{word}\" is neither a keyword nor a placeholder"))?;
    let mut keys = vec![text.to_string()];
    keys.extend(name.map(str::to_string));
    Ok((Token::Arg(placeholder), name.unwrap_or(text).to_string(), keys))
}

fn find_help<A>(keys: &[String], spec: &CommandSpec<A>, common_help: &[(&str, &str)]) -> Option<String> {
    let lookup = |table: &[(&str, &str)]| {
        keys.iter().rev().find_map(|key| {
            table
                .iter()
                .find(|(word, _)| word == key)
                .map(|(_, help)| help.to_string())
        })
    };
    lookup(&spec.help).or_else(|| lookup(common_help))
}

fn insert<A: Clone + PartialEq>(
    root: &mut Node<A>,
    path: &[String],
    spec: &CommandSpec<A>,
    common_help: &[(&str, &str)],
) -> Result<(), String> {
    let mut node = root;
    let mut seen = BTreeSet::new();
    for word in path {
        let (token, name, keys) = token_of(word)?;
        if !seen.insert(name.clone()) {
            return Err(format!("\"{name}\" appears twice in one command"));
        }
        let index = match node.children.iter().position(|c| c.token == token) {
            Some(index) if node.children[index].name == name => index,
            Some(_) => {
                return Err(format!(
                    "\"{word}\" clashes with the same placeholder under another name"
                ));
            }
            None => {
                let help = find_help(&keys, spec, common_help).ok_or_else(|| format!("no help for \"{word}\""))?;
                node.children.push(Node {
                    token,
                    name,
                    help,
                    action: None,
                    children: Vec::new(),
                });
                node.children.len() - 1
            }
        };
        node = &mut node.children[index];
    }
    match &node.action {
        Some(existing) if *existing != spec.action => Err(format!("\"{}\" is already another command", path.join(" "))),
        _ => {
            node.action = Some(spec.action.clone());
            Ok(())
        }
    }
}

/// One-line summary of a command for `help`: the help of its last required keyword.
fn summary<A>(elements: &[Element], spec: &CommandSpec<A>, common_help: &[(&str, &str)]) -> String {
    elements
        .iter()
        .rev()
        .find_map(|element| match element {
            Element::Word(word) => token_of(word)
                .ok()
                .and_then(|(_, _, keys)| find_help(&keys, spec, common_help)),
            _ => None,
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum T {
        Version,
        Interface,
        Vrrp,
        Neighbor,
        Route,
        Set,
        Exit,
    }

    const COMMON: &[(&str, &str)] = &[
        ("show", "Show running state"),
        ("json", "JSON output"),
        ("detail", "Details"),
    ];

    fn grammar() -> Grammar<T> {
        let specs = vec![
            CommandSpec::new("show version [json]", T::Version).help("version", "Versions"),
            CommandSpec::new("show interface [WORD$name] [json]", T::Interface)
                .help("interface", "Interfaces")
                .help("name", "Interface name"),
            CommandSpec::new("show vrrp [<1-255>$vrid] [detail] [json]", T::Vrrp)
                .help("vrrp", "VRRP")
                .help("vrid", "Virtual router ID"),
            CommandSpec::new("show ip ospf neighbor [A.B.C.D] [detail] [json]", T::Neighbor)
                .help("ip", "IP")
                .help("ospf", "OSPF")
                .help("neighbor", "Neighbors")
                .help("A.B.C.D", "Neighbor router ID"),
            CommandSpec::new("show ip route (A.B.C.D/M|X:X::X:X/M) [json]", T::Route)
                .help("route", "Routes")
                .help("A.B.C.D/M", "IPv4 prefix")
                .help("X:X::X:X/M", "IPv6 prefix"),
            CommandSpec::new("set description WORD", T::Set)
                .help("set", "Set")
                .help("description", "Describe")
                .help("WORD", "Text"),
            CommandSpec::new("exit", T::Exit).help("exit", "Leave"),
        ];
        Grammar::build(&specs, COMMON).expect("test grammar builds")
    }

    fn words(list: &[HelpEntry]) -> Vec<&str> {
        list.iter().map(|e| e.word.as_str()).collect()
    }

    #[test]
    fn full_words_and_abbreviations_parse() {
        let g = grammar();
        let inv = g.parse("show version").unwrap().unwrap();
        assert_eq!(inv.action, T::Version);
        assert!(!inv.json());
        let inv = g.parse("  sh ver j ").unwrap().unwrap();
        assert_eq!((inv.action, inv.json()), (T::Version, true));
        assert_eq!(inv.words, ["show", "version", "json"]);
        let inv = g.parse("SH INT").unwrap().unwrap();
        assert_eq!(inv.action, T::Interface);
        assert_eq!(g.parse("").unwrap(), None);
        assert_eq!(g.parse("   \t ").unwrap(), None);
    }

    #[test]
    fn ambiguous_prefix_lists_candidates() {
        let g = grammar();
        let error = g.parse("s").unwrap_err();
        match &error {
            ParseError::Ambiguous { word, candidates, .. } => {
                assert_eq!(word, "s");
                assert_eq!(words(candidates), ["set", "show"]);
            }
            other => panic!("expected ambiguous, got {other:?}"),
        }
        assert_eq!(
            error.to_string(),
            "% Ambiguous command: \"s\"\n  set   Set\n  show  Show running state"
        );
        // "i" is ambiguous under show: interface, ip.
        assert!(matches!(g.parse("show i"), Err(ParseError::Ambiguous { .. })));
        assert_eq!(g.parse("show in").unwrap().unwrap().action, T::Interface);
    }

    #[test]
    fn unknown_word_has_caret_under_it() {
        let g = grammar();
        let error = g.parse("show foo json").unwrap_err();
        assert_eq!(
            error,
            ParseError::Unknown {
                line: "show foo json".into(),
                word: "foo".into(),
                column: 5
            }
        );
        let text = error.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "% Unknown command: show foo json");
        assert_eq!(lines[1].find('^'), lines[0].find("foo"));
        assert_eq!(lines[1].trim(), "^");
        // First word, leading blanks trimmed, extra words after a complete command.
        let text = g.parse("  bogus").unwrap_err().to_string();
        assert_eq!(text, "% Unknown command: bogus\n                   ^");
        let error = g.parse("show version json extra").unwrap_err();
        assert_eq!(
            error.caret_column(),
            Some("% Unknown command: show version json ".len())
        );
        // Non-ASCII: the caret counts characters, not bytes.
        let error = g.parse("show é x").unwrap_err();
        assert_eq!(error.caret_column(), Some("% Unknown command: show ".len()));
    }

    #[test]
    fn incomplete_command() {
        let g = grammar();
        assert_eq!(g.parse("show").unwrap_err().to_string(), "% Command incomplete: show");
        assert_eq!(
            g.parse("sh ip ospf").unwrap_err(),
            ParseError::Incomplete {
                line: "sh ip ospf".into()
            }
        );
    }

    #[test]
    fn question_mark_lists_next_words() {
        let g = grammar();
        assert_eq!(words(&g.help("").unwrap()), ["exit", "set", "show"]);
        assert_eq!(words(&g.help("show ").unwrap()), ["interface", "ip", "version", "vrrp"]);
        let entries = g.help("sh ver ").unwrap();
        assert_eq!(words(&entries), ["json", CR]);
        assert_eq!(entries[0].help, "JSON output");
        // Inside a word: what that word may become.
        assert_eq!(words(&g.help("show i").unwrap()), ["interface", "ip"]);
        assert_eq!(words(&g.help("sh").unwrap()), ["show"]);
        // Placeholders are listed with their help.
        let entries = g.help("show vrrp ").unwrap();
        assert_eq!(words(&entries), ["detail", "json", "<1-255>", CR]);
        assert_eq!(entries[2].help, "Virtual router ID");
        assert_eq!(words(&g.help("show vrrp 1").unwrap()), ["<1-255>"]);
        assert_eq!(words(&g.help("show ip route ").unwrap()), ["A.B.C.D/M", "X:X::X:X/M"]);
        // A required choice: no <cr> before it.
        assert!(!words(&g.help("show ip route ").unwrap()).contains(&CR));
        // Errors before the cursor are reported, with the caret.
        assert!(matches!(
            g.help("show bogus "),
            Err(ParseError::Unknown { column: 5, .. })
        ));
        assert!(matches!(g.help("show zz"), Err(ParseError::Unknown { column: 5, .. })));
        assert!(matches!(g.help("s "), Err(ParseError::Ambiguous { .. })));
    }

    #[test]
    fn completion_candidates() {
        let g = grammar();
        assert_eq!(g.complete("sh", 2), (0, vec!["show".to_string()]));
        assert_eq!(
            g.complete("show ", 5),
            (
                5,
                vec!["interface".into(), "ip".into(), "version".into(), "vrrp".into()]
            )
        );
        assert_eq!(g.complete("show i", 6), (5, vec!["interface".into(), "ip".into()]));
        assert_eq!(g.complete("sh int j", 8), (7, vec!["json".to_string()]));
        assert_eq!(g.complete("sh ver", 6), (3, vec!["version".to_string()]));
        // Cursor in the middle: only the text before it counts.
        assert_eq!(g.complete("sh ver json", 4), (3, vec!["version".into(), "vrrp".into()]));
        // Placeholders are not offered, keywords next to them are.
        assert_eq!(g.complete("show vrrp ", 10), (10, vec!["detail".into(), "json".into()]));
        // Nothing after an error, an ambiguity or a complete command.
        assert_eq!(g.complete("bogus ", 6).1, Vec::<String>::new());
        assert_eq!(g.complete("s v", 3).1, Vec::<String>::new());
        assert_eq!(g.complete("show version json ", 18).1, Vec::<String>::new());
        // A position that is not a char boundary or is past the end does not panic.
        assert_eq!(g.complete("é", 1).1, Vec::<String>::new());
        assert_eq!(g.complete("sh", 99).1, Vec::<String>::new());
    }

    #[test]
    fn placeholders_validate_typed_values() {
        use Placeholder::*;
        assert_eq!(Placeholder::parse("<1-255>"), Some(Range(1, 255)));
        assert_eq!(Placeholder::parse("<5-1>"), None);
        assert_eq!(Placeholder::parse("<a-b>"), None);
        assert_eq!(Range(1, 255).check("1"), Ok(()));
        assert_eq!(Range(1, 255).check("255"), Ok(()));
        assert!(matches!(Range(1, 255).check("0"), Err(Reject::Invalid(_))));
        assert!(matches!(Range(1, 255).check("256"), Err(Reject::Invalid(_))));
        assert!(matches!(
            Range(1, 255).check("99999999999999999999999"),
            Err(Reject::Invalid(_))
        ));
        assert_eq!(Range(1, 255).check("-1"), Err(Reject::Mismatch));
        assert_eq!(Range(1, 255).check("abc"), Err(Reject::Mismatch));
        assert_eq!(Ipv4.check("10.0.0.1"), Ok(()));
        assert!(matches!(Ipv4.check("10.0.0.256"), Err(Reject::Invalid(_))));
        assert!(matches!(Ipv4.check("10.0.0"), Err(Reject::Invalid(_))));
        assert_eq!(Ipv4.check("detail"), Err(Reject::Mismatch));
        assert_eq!(Ipv4Prefix.check("10.0.0.0/8"), Ok(()));
        assert!(matches!(Ipv4Prefix.check("10.0.0.0/33"), Err(Reject::Invalid(_))));
        assert!(matches!(Ipv4Prefix.check("10.0.0.0"), Err(Reject::Invalid(_))));
        assert_eq!(Ipv6.check("fe80::1"), Ok(()));
        assert!(matches!(Ipv6.check("fe80:::1"), Err(Reject::Invalid(_))));
        assert_eq!(Ipv6Prefix.check("2001:db8::/32"), Ok(()));
        assert!(matches!(Ipv6Prefix.check("2001:db8::/129"), Err(Reject::Invalid(_))));
        assert_eq!(Word.check("eth0"), Ok(()));
        assert!(Range(1, 255).accepts_partial("25"));
        assert!(!Range(1, 255).accepts_partial("2555"));
        assert!(Ipv4.accepts_partial("10.0"));
        assert!(!Ipv4.accepts_partial("x"));

        let g = grammar();
        let inv = g.parse("sh vrrp 7 det").unwrap().unwrap();
        assert_eq!(
            (inv.action, inv.arg("vrid"), inv.has("detail"), inv.json()),
            (T::Vrrp, Some("7"), true, false)
        );
        let inv = g.parse("sh ip os nei 1.2.3.4 json").unwrap().unwrap();
        assert_eq!(
            (inv.action, inv.arg("A.B.C.D"), inv.json()),
            (T::Neighbor, Some("1.2.3.4"), true)
        );
        assert_eq!(
            g.parse("sh ip route 2001:db8::/32").unwrap().unwrap().arg("X:X::X:X/M"),
            Some("2001:db8::/32")
        );
        let inv = g.parse("show interface eth0 json").unwrap().unwrap();
        assert_eq!(inv.arg("name"), Some("eth0"));
        // A keyword abbreviation wins over WORD; a full keyword too.
        assert_eq!(g.parse("show interface j").unwrap().unwrap().arg("name"), None);
        // Invalid values: caret under the value and the reason.
        let error = g.parse("show vrrp 300").unwrap_err();
        assert_eq!(
            error.to_string(),
            "% Invalid argument: show vrrp 300\n                              ^ 300 is out of range 1 to 255"
        );
        assert!(matches!(
            g.parse("sh ip os nei 1.2.3.999"),
            Err(ParseError::Invalid { column: 13, .. })
        ));
        assert!(matches!(
            g.parse("show vrrp eth0"),
            Err(ParseError::Unknown { column: 10, .. })
        ));
        let inv = g.parse("set description hello").unwrap().unwrap();
        assert_eq!(inv.arg("WORD"), Some("hello"));
    }

    #[test]
    fn bad_specs_are_rejected() {
        let bad = |syntax: &'static str| {
            let spec = CommandSpec::new(syntax, T::Exit).help("x", "x").help("y", "y");
            Grammar::build(&[spec], COMMON).unwrap_err()
        };
        assert!(bad("x [y").problem.contains("without"));
        assert!(bad("x y]").problem.contains("unexpected"));
        assert!(bad("x | y").problem.contains("outside"));
        assert!(bad("x Foo").problem.contains("neither"));
        assert!(bad("x z").problem.contains("no help"));
        assert!(bad("[x]").problem.contains("at least one word"));
        assert!(bad("x x").problem.contains("twice"));
        assert!(
            bad("x [a] [b] [c] [d] [e] [f] [g] [h] [i] [j] [k]")
                .problem
                .contains("more than")
        );
        let clash = [
            CommandSpec::new("x", T::Exit).help("x", "x"),
            CommandSpec::new("x", T::Set),
        ];
        assert!(Grammar::build(&clash, COMMON).unwrap_err().problem.contains("already"));
    }

    #[test]
    fn commands_are_listed_with_summaries() {
        let g = grammar();
        let first = &g.commands()[0];
        assert_eq!(
            (first.syntax.as_str(), first.summary.as_str()),
            ("show version [json]", "Versions")
        );
        assert_eq!(g.commands()[4].summary, "Routes");
    }

    #[test]
    fn no_panic_on_odd_input() {
        let g = grammar();
        for line in [
            "?",
            "[",
            "]",
            "show [json]",
            "|",
            "\u{0}",
            "show \u{200b}",
            "sh\tver\tjson",
            "<1-255>",
            "$",
        ] {
            let _ = g.parse(line);
            let _ = g.help(line);
            for pos in 0..=line.len() + 1 {
                let _ = g.complete(line, pos);
            }
        }
    }
}
