//! **code extraction**: the program inside a model's answer. Chat models wrap code in
//! Markdown fences, reasoning models think aloud inside `<think>…</think>`, completion
//! models sometimes echo the prompt back. This module finds the code the model meant.

/// A fenced code block of Markdown (``` or ~~~), with the first word of its info string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    pub lang: Option<String>,
    pub code: String,
    /// The block was still open when the text ended (a truncated answer).
    pub unclosed: bool,
}

/// What was extracted, and how (kept with the sample so a report can explain it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extracted {
    pub code: String,
    pub how: &'static str,
}

/// The canonical name of a language tag as models write it (`py`, `golang`, `c++` ...).
pub fn canonical_language(tag: &str) -> String {
    let t = tag.trim().to_ascii_lowercase();
    let name = match t.as_str() {
        "py" | "python3" | "py3" | "python" => "python",
        "js" | "node" | "nodejs" | "javascript" | "mjs" => "javascript",
        "ts" | "typescript" => "typescript",
        "go" | "golang" => "go",
        "c++" | "cpp" | "cxx" | "cc" | "g++" => "cpp",
        "c" | "h" => "c",
        "rs" | "rust" => "rust",
        "rb" | "ruby" => "ruby",
        "sh" | "bash" | "shell" | "zsh" => "bash",
        "java" => "java",
        "php" => "php",
        other => other,
    };
    name.to_string()
}

/// The language a model tags its code with for a catalog language: the test-build
/// variant `go-test` is written as plain Go.
pub fn fence_language(language: &str) -> String {
    let base = language.strip_suffix("-test").unwrap_or(language);
    canonical_language(base)
}

/// Removes `<think>…</think>` sections. An unclosed `<think>` swallows the rest (the model
/// ran out of tokens while thinking); a lone `</think>` (the opening tag was part of the
/// chat template) drops everything before it.
pub fn strip_think(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    if let (Some(close), open) = (rest.find("</think>"), rest.find("<think>")) {
        if open.is_none_or(|o| o > close) {
            rest = &rest[close + "</think>".len()..];
        }
    }
    while let Some(start) = rest.find("<think>") {
        out.push_str(&rest[..start]);
        match rest[start..].find("</think>") {
            Some(end) => rest = &rest[start + end + "</think>".len()..],
            None => {
                rest = "";
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The fenced code blocks of a Markdown text, in order.
pub fn fenced_blocks(text: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut lines = text.split_inclusive('\n');
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let fence_char = match trimmed.chars().next() {
            Some(c @ ('`' | '~')) if indent <= 3 => c,
            _ => continue,
        };
        let fence_len = trimmed.chars().take_while(|&c| c == fence_char).count();
        if fence_len < 3 {
            continue;
        }
        let info = trimmed[fence_len..].trim();
        if fence_char == '`' && info.contains('`') {
            continue; // inline code such as ```x``` on one line
        }
        let lang = info
            .split(|c: char| c.is_whitespace() || c == '{' || c == ',')
            .next()
            .filter(|w| !w.is_empty())
            .map(|w| w.to_string());
        let mut code = String::new();
        let mut unclosed = true;
        for body in lines.by_ref() {
            let t = body.trim();
            if t.len() >= fence_len && t.chars().all(|c| c == fence_char) {
                unclosed = false;
                break;
            }
            code.push_str(body);
        }
        blocks.push(Block {
            lang,
            code,
            unclosed,
        });
    }
    blocks
}

/// Whether `code` defines or mentions `entry` as a callable name (word boundaries).
fn mentions(code: &str, entry: &str) -> bool {
    code.match_indices(entry).any(|(i, _)| {
        let before = code[..i].chars().next_back();
        let after = code[i + entry.len()..].chars().next();
        let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        !word(before) && !word(after)
    })
}

fn is_word(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || c == '_')
}

/// Where `entry` appears in `line` as a word followed by `(`.
fn call_position(line: &str, entry: &str) -> Option<usize> {
    line.match_indices(entry).map(|(i, _)| i).find(|&i| {
        !is_word(line[..i].chars().next_back())
            && line[i + entry.len()..].trim_start().starts_with('(')
    })
}

/// Whether `line` (unindented) declares the function `entry` (`def f(`, `func f(`,
/// `int f(` ...), as opposed to calling it.
pub fn declares(line: &str, entry: &str) -> bool {
    if line.starts_with([' ', '\t']) || line.trim_end().ends_with(';') {
        return false;
    }
    let Some(pos) = call_position(line, entry) else {
        return false;
    };
    let before = &line[..pos];
    const KEYWORDS: &[&str] = &[
        "def ",
        "async def ",
        "func ",
        "function ",
        "fn ",
        "pub fn ",
        "export ",
        "public ",
        "static ",
        "const ",
        "let ",
        "var ",
    ];
    if KEYWORDS.iter().any(|k| before.starts_with(k)) {
        return true;
    }
    // C, C++, Java: a return type before the name (`int add(`, `std::vector<int> f(`).
    !before.trim().is_empty()
        && before
            .chars()
            .all(|c| c.is_alphanumeric() || " _*&:<>,".contains(c))
        && !["return ", "print", "assert ", "if ", "else "]
            .iter()
            .any(|k| before.starts_with(k))
}

/// Removes leading blank lines and trailing whitespace, keeping the first line's
/// indentation (a completion's body starts indented).
fn tidy(code: &str) -> String {
    let mut start = 0;
    for line in code.split_inclusive('\n') {
        if line.trim().is_empty() {
            start += line.len();
        } else {
            break;
        }
    }
    code[start..].trim_end().to_string()
}

/// The code in a model's answer, written in `language`.
///
/// - `<think>` sections are dropped, then a prompt the model echoed back;
/// - among fenced blocks, those tagged with the language win over untagged ones, which win
///   over blocks in other languages; among those, the last that mentions `entry_point`,
///   else the last;
/// - an answer without fences is taken as code as it is (a completion).
pub fn extract_code(
    raw: &str,
    language: &str,
    entry_point: Option<&str>,
    prompt: Option<&str>,
) -> Extracted {
    let mut text = strip_think(raw);
    if let Some(p) = prompt.map(str::trim_end).filter(|p| !p.is_empty()) {
        let lead = text.len() - text.trim_start_matches(['\n', '\r']).len();
        if text[lead..].starts_with(p) {
            text = text[lead + p.len()..].to_string();
        }
    }
    let blocks = fenced_blocks(&text);
    if blocks.is_empty() {
        return Extracted {
            code: tidy(&text),
            how: "whole answer",
        };
    }
    let want = fence_language(language);
    let tagged: Vec<&Block> = blocks
        .iter()
        .filter(|b| b.lang.as_deref().map(canonical_language) == Some(want.clone()))
        .collect();
    let untagged: Vec<&Block> = blocks.iter().filter(|b| b.lang.is_none()).collect();
    let (pool, how_pool): (Vec<&Block>, &str) = if !tagged.is_empty() {
        (tagged, "tagged")
    } else if !untagged.is_empty() {
        (untagged, "untagged")
    } else {
        (blocks.iter().collect(), "other-language")
    };
    let with_entry = entry_point.filter(|e| !e.is_empty()).and_then(|e| {
        pool.iter()
            .rev()
            .find(|b| b.code.lines().any(|l| declares(l, e)))
            .or_else(|| pool.iter().rev().find(|b| mentions(&b.code, e)))
    });
    let (block, how) = match (with_entry, how_pool) {
        (Some(b), "tagged") => (*b, "tagged block with the entry point"),
        (Some(b), "untagged") => (*b, "untagged block with the entry point"),
        (Some(b), _) => (*b, "block with the entry point"),
        (None, "tagged") => (*pool.last().unwrap(), "last tagged block"),
        (None, "untagged") => (*pool.last().unwrap(), "last untagged block"),
        (None, _) => (*pool.last().unwrap(), "last block"),
    };
    let mut code = block.code.clone();
    if let Some(p) = prompt.map(str::trim_end).filter(|p| !p.is_empty()) {
        // An echoed prompt inside the block is harmless for Python (the full definition
        // follows), but a duplicate signature breaks other languages.
        if fence_language(language) != "python" && code.trim_start().starts_with(p.trim_start()) {
            code = code.trim_start()[p.trim_start().len()..].to_string();
        }
    }
    Extracted {
        code: tidy(&code),
        how,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_completion_keeps_indentation() {
        let e = extract_code("\n    return a + b\n\n", "python", Some("add"), None);
        assert_eq!(e.code, "    return a + b");
        assert_eq!(e.how, "whole answer");
    }

    #[test]
    fn tagged_block_preferred_over_untagged_and_other_languages() {
        let raw = "Here:\n```\nprint('untagged')\n```\n```bash\necho hi\n```\n```py\nprint('py')\n```\nThat's it.";
        assert_eq!(extract_code(raw, "python", None, None).code, "print('py')");
        let raw = "```\nuntagged()\n```\n```js\nconsole.log(1)\n```";
        assert_eq!(extract_code(raw, "python", None, None).code, "untagged()");
        let raw = "```js\nconsole.log(1)\n```";
        assert_eq!(extract_code(raw, "python", None, None).how, "last block");
    }

    #[test]
    fn the_block_with_the_entry_point_beats_the_last() {
        let raw = "```python\ndef solve(x):\n    return x * 2\n```\nExample:\n```python\nprint(solve(3))\n```\n";
        let e = extract_code(raw, "python", Some("solve"), None);
        assert_eq!(e.code, "def solve(x):\n    return x * 2");
        // Without an entry point the last block wins.
        assert_eq!(
            extract_code(raw, "python", None, None).code,
            "print(solve(3))"
        );
        // Word boundaries: `solver` is not `solve`.
        let raw = "```python\ndef solve(x): pass\n```\n```python\nsolver = 1\n```";
        assert_eq!(
            extract_code(raw, "python", Some("solve"), None).code,
            "def solve(x): pass"
        );
    }

    #[test]
    fn think_sections_are_stripped() {
        let raw = "<think>maybe ```python\nwrong()\n``` no</think>\n```python\nright()\n```";
        assert_eq!(extract_code(raw, "python", None, None).code, "right()");
        assert_eq!(strip_think("a<think>x</think>b<think>y"), "ab");
        assert_eq!(strip_think("reasoning...</think>\nanswer"), "\nanswer");
        assert_eq!(strip_think("no tags"), "no tags");
    }

    #[test]
    fn prompt_echo_is_removed() {
        let prompt = "def add(a, b):\n    \"\"\"Add.\"\"\"\n";
        let raw = format!("{prompt}    return a + b\n");
        assert_eq!(
            extract_code(&raw, "python", Some("add"), Some(prompt)).code,
            "    return a + b"
        );
        let go_prompt = "func Add(a int, b int) int {";
        let raw = format!("```go\n{go_prompt}\n\treturn a + b\n}}\n```");
        assert_eq!(
            extract_code(&raw, "go", None, Some(go_prompt)).code,
            "\treturn a + b\n}"
        );
    }

    #[test]
    fn fences_of_all_kinds() {
        let blocks = fenced_blocks("~~~ rust {.numberLines}\nfn main() {}\n~~~\n````go\npackage main\n```\nstill go\n````\n");
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].lang.as_deref(), Some("rust"));
        assert_eq!(blocks[1].code, "package main\n```\nstill go\n");
        let truncated = fenced_blocks("```python\nprint(1)\nprint(");
        assert!(truncated[0].unclosed);
        assert_eq!(truncated[0].code, "print(1)\nprint(");
        assert!(fenced_blocks("use ```inline``` here").is_empty());
    }

    #[test]
    fn language_aliases() {
        assert_eq!(canonical_language("Golang"), "go");
        assert_eq!(canonical_language("C++"), "cpp");
        assert_eq!(canonical_language("python3"), "python");
        assert_eq!(fence_language("go-test"), "go");
        assert_eq!(fence_language("golang"), "go");
        let raw = "```golang\npackage main\n```";
        assert_eq!(extract_code(raw, "go", None, None).how, "last tagged block");
    }
}
