//! Vietnamese text folding for matching what citizens type: diacritics, case, punctuation and
//! spacing are removed so "Cải cách THỦ TỤC!!" and "cai cach thu tuc" compare equal; plus a
//! Damerau–Levenshtein distance and a length-scaled typo tolerance for single words.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Folds `input` to the form every comparison in the bot uses: lowercase, no diacritics
/// (NFD then combining marks dropped, `đ`/`Đ` → `d`), every run of characters that are neither
/// letters nor digits replaced by one space, no leading or trailing space.
///
/// Works the same for precomposed input ("ộ" as one code point) and decomposed input ("o" + two
/// combining marks), as some phone keyboards send.
pub fn fold(input: &str) -> String {
    let mut folded = String::with_capacity(input.len());
    let mut pending_space = false;
    let letters =
        input.chars().flat_map(char::to_lowercase).nfd().filter(|c| !is_combining_mark(*c)).map(fold_d_with_stroke);
    for c in letters {
        if c.is_alphanumeric() {
            if pending_space && !folded.is_empty() {
                folded.push(' ');
            }
            pending_space = false;
            folded.push(c);
        } else {
            pending_space = true;
        }
    }
    folded
}

/// `đ` has no canonical decomposition, so NFD leaves it alone: map it to `d` by hand.
fn fold_d_with_stroke(c: char) -> char {
    match c {
        'đ' | 'Đ' => 'd',
        other => other,
    }
}

/// Splits text produced by [`fold`] into its words.
pub fn tokens(folded: &str) -> Vec<&str> {
    folded.split_whitespace().collect()
}

/// Edit distance between `a` and `b` counted on characters: insertions, deletions,
/// substitutions and transpositions of two adjacent characters each cost one
/// (the "optimal string alignment" form of Damerau–Levenshtein).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.is_empty() || b.is_empty() {
        return a.len().max(b.len());
    }
    // Three rolling rows: two rows back (for transpositions), previous, current.
    let width = b.len() + 1;
    let mut before_previous = vec![0usize; width];
    let mut previous: Vec<usize> = (0..width).collect();
    let mut current = vec![0usize; width];
    for i in 1..=a.len() {
        current[0] = i;
        for j in 1..=b.len() {
            let substitution_cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (previous[j] + 1).min(current[j - 1] + 1).min(previous[j - 1] + substitution_cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(before_previous[j - 2] + 1);
            }
            current[j] = best;
        }
        std::mem::swap(&mut before_previous, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

/// How many edits a word of `length` characters may carry and still count as the same word:
/// none up to 3 characters, one from 4 to 7, two from 8 on.
///
/// Vietnamese syllables are short and many differ by one letter ("cac"/"cach", "thu"/"thue"),
/// so short words must match exactly.
pub fn typo_budget(length: usize) -> usize {
    match length {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

/// Whether the folded word `typed` is `expected` up to a few typos. The budget comes from the
/// shorter of the two words, so a long typed word never drags a short one into matching.
pub fn word_matches(typed: &str, expected: &str) -> bool {
    if typed == expected {
        return true;
    }
    let typed_len = typed.chars().count();
    let expected_len = expected.chars().count();
    let budget = typo_budget(typed_len.min(expected_len));
    budget > 0 && typed_len.abs_diff(expected_len) <= budget && edit_distance(typed, expected) <= budget
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_removes_diacritics_case_and_punctuation() {
        let cases = [
            ("Cải cách THỦ TỤC hành chính!!", "cai cach thu tuc hanh chinh"),
            ("Đường", "duong"),
            ("ĐÀO TẠO, bồi dưỡng", "dao tao boi duong"),
            ("  nhánh   4. ", "nhanh 4"),
            ("Nhánh số bốn?!", "nhanh so bon"),
            ("Ứng dụng công nghệ thông tin", "ung dung cong nghe thong tin"),
            ("Sở Khoa học và Công nghệ", "so khoa hoc va cong nghe"),
            ("huỷ", "huy"),
            ("hủy", "huy"),
            ("ISO-9001:2015", "iso 9001 2015"),
            ("e-mail/zalo...", "e mail zalo"),
            ("Một cửa liên thông", "mot cua lien thong"),
            ("ưu tiên ỞỞ ẫ", "uu tien oo a"),
        ];
        for (input, expected) in cases {
            assert_eq!(fold(input), expected, "fold({input:?})");
        }
    }

    #[test]
    fn fold_handles_decomposed_input() {
        // "Cải cách" written with base letters followed by combining marks.
        let decomposed = "Ca\u{309}i ca\u{301}ch thu\u{309} tu\u{323}c";
        assert_eq!(fold(decomposed), "cai cach thu tuc");
        // "Đường" with the horn and grave as combining marks after "u" and "o".
        let decomposed = "\u{110}u\u{31b}o\u{31b}\u{300}ng";
        assert_eq!(fold(decomposed), "duong");
        let precomposed: String = "Bồi dưỡng".nfc().collect();
        let decomposed: String = "Bồi dưỡng".nfd().collect();
        assert_ne!(precomposed, decomposed);
        assert_eq!(fold(&precomposed), fold(&decomposed));
    }

    #[test]
    fn fold_of_blank_or_symbol_only_input_is_empty() {
        for input in ["", "   ", "?!...", "\t\n", "🙂"] {
            assert_eq!(fold(input), "", "fold({input:?})");
        }
    }

    #[test]
    fn tokens_split_folded_text() {
        assert_eq!(tokens(&fold("Cải cách  TTHC")), vec!["cai", "cach", "tthc"]);
        assert!(tokens("").is_empty());
    }

    #[test]
    fn edit_distance_counts_insertions_deletions_substitutions_and_swaps() {
        let cases = [
            ("", "", 0),
            ("", "abc", 3),
            ("abc", "", 3),
            ("doanh", "doanh", 0),
            ("doan", "doanh", 1),
            ("nghiep", "ngheip", 1),
            ("tuch", "tuc", 1),
            ("cach", "cahc", 1),
            ("kitten", "sitting", 3),
            ("ca", "abc", 3),
            ("đào", "dao", 2),
        ];
        for (a, b, expected) in cases {
            assert_eq!(edit_distance(a, b), expected, "edit_distance({a:?}, {b:?})");
            assert_eq!(edit_distance(b, a), expected, "edit_distance({b:?}, {a:?})");
        }
    }

    #[test]
    fn typo_budget_scales_with_length() {
        let cases = [(0, 0), (1, 0), (3, 0), (4, 1), (7, 1), (8, 2), (20, 2)];
        for (length, budget) in cases {
            assert_eq!(typo_budget(length), budget, "typo_budget({length})");
        }
    }

    #[test]
    fn word_matches_tolerates_typos_by_length() {
        let cases = [
            ("doan", "doanh", true),
            ("nghep", "nghiep", true),
            ("ngheip", "nghiep", true),
            ("thu", "thu", true),
            ("cac", "cach", false),
            ("thu", "thue", false),
            ("tuch", "tuc", false),
            ("chao", "chat", true),
            ("dao", "day", false),
            ("congnghe", "cong", false),
            ("truyenthong", "truyen thong", true),
            ("phanmem", "phan mem", true),
            ("thongtn", "thongtin", true),
        ];
        for (typed, expected, matches) in cases {
            assert_eq!(word_matches(typed, expected), matches, "word_matches({typed:?}, {expected:?})");
        }
    }
}
