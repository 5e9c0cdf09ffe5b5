//! Automatic first classification of a complaint's text (pure): feedback on procedures (the
//! default) or on officials' conduct — which also flags it for the inspection team (Tổ Kiểm tra
//! đột xuất) — and whether it is a khiếu nại or tố cáo, which ND 20/2008 Đ.1 keeps out of PAKN.
//!
//! Terms are matched on whole words of the folded text (`crate::bot::text::fold`), so they work
//! with and without diacritics. "cò" (a fixer) folds to "co", which is also "có", "cô", "cỏ"…:
//! it counts only when typed with its diacritic, or inside phrases where "co" cannot be "có"
//! ("nạn cò", "thuê cò làm"…). A term right after a negation ("không sách nhiễu",
//! "chưa từng bị gây khó khăn") does not count. Officers can correct the result.

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use super::model::{Category, OutOfScope};
use crate::bot::text::fold;

/// What the classifier concluded, and the terms that made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classification {
    pub category: Category,
    /// For the inspection team (set with [`Category::OfficialConduct`]).
    pub misconduct: bool,
    pub out_of_scope: Option<OutOfScope>,
    /// The terms found, folded, in order of the lists below (for the history entry).
    pub matched: Vec<String>,
}

/// Officials' conduct: harassment, extortion, bribery, fixers, deliberate delay (folded).
const CONDUCT_TERMS: &[&str] = &[
    "sach nhieu",
    "nhung nhieu",
    "voi vinh",
    "gay kho khan",
    "gay kho de",
    "gay phien ha",
    "tieu cuc",
    "hoi lo",
    "an hoi lo",
    "dua tien",
    "doi tien",
    "xin tien",
    "tien lot tay",
    "lot tay",
    "phong bi",
    "boi tron",
    "chung chi",
    "tien ca phe",
    "tien cafe",
    "tien uong nuoc",
    "tien ngoai quy dinh",
    "boi duong",
    "lam kho",
    "hach sach",
    "hach dich",
    "cua quyen",
    "quat nat",
    "thieu ton trong",
    "co y tre hen",
    "tre hen co y",
    "co tinh tre hen",
    "co tinh keo dai",
    "co y keo dai",
    "gam ho so",
    "ngam ho so",
    "om ho so",
];

/// Phrases in which a folded "co" can only be "cò" (a fixer).
const FIXER_PHRASES: &[&str] =
    &["nan co", "bon co", "tinh trang co giay to", "thue co lam", "qua trung gian co", "co moi ho so"];

/// Words that, after "bồi dưỡng", mean training rather than a tip.
const TRAINING_AFTER_BOI_DUONG: &[&str] =
    &["nghiep", "kien", "chuyen", "ky", "nang", "chinh", "kinh", "trinh", "can", "cong", "vien", "hoc"];
/// Words that, before "bồi dưỡng", mean training.
const TRAINING_BEFORE_BOI_DUONG: &[&str] = &["lop", "khoa", "dao", "tao", "chuong"];

const COMPLAINT_TERMS: &[&str] = &["khieu nai", "don khieu nai"];
const DENUNCIATION_TERMS: &[&str] = &["to cao", "don to cao"];

/// Classifies a complaint's text.
pub fn classify(text: &str) -> Classification {
    let folded = fold(text);
    let words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
    let mut matched = Vec::new();
    for term in CONDUCT_TERMS {
        if find_phrase(&words, term).any(|at| counts_at(&words, term, at)) {
            matched.push((*term).to_owned());
        }
    }
    if has_fixer(text, &words) {
        matched.push("co".to_owned());
    }
    let conduct = !matched.is_empty();
    let denunciation = DENUNCIATION_TERMS.iter().any(|t| find_phrase(&words, t).any(|at| !negated(&words, at)));
    let complaint = COMPLAINT_TERMS.iter().any(|t| find_phrase(&words, t).any(|at| !negated(&words, at)));
    let out_of_scope = if denunciation {
        matched.push("to cao".to_owned());
        Some(OutOfScope::Denunciation)
    } else if complaint {
        matched.push("khieu nai".to_owned());
        Some(OutOfScope::Complaint)
    } else {
        None
    };
    Classification {
        category: if conduct { Category::OfficialConduct } else { Category::ProcedureFeedback },
        misconduct: conduct,
        out_of_scope,
        matched,
    }
}

/// Start positions (in words) of `phrase` (folded, space-separated) inside `words`.
fn find_phrase<'a>(words: &'a [&'a str], phrase: &'a str) -> impl Iterator<Item = usize> + 'a {
    let needle: Vec<&str> = phrase.split(' ').collect();
    let len = needle.len();
    (0..words.len().saturating_sub(len - 1)).filter(move |&i| words.len() >= i + len && words[i..i + len] == needle[..])
}

/// Whether a match of `term` at word `at` counts (not negated; "bồi dưỡng" not meaning training).
fn counts_at(words: &[&str], term: &str, at: usize) -> bool {
    if negated(words, at) {
        return false;
    }
    if term == "boi duong" {
        let after = words.get(at + 2).copied().unwrap_or_default();
        let before = at.checked_sub(1).and_then(|i| words.get(i)).copied().unwrap_or_default();
        if TRAINING_AFTER_BOI_DUONG.contains(&after) || TRAINING_BEFORE_BOI_DUONG.contains(&before) {
            return false;
        }
    }
    true
}

/// Whether the words before `at` negate what follows ("không", "chưa", "không hề", "chưa từng bị"…).
fn negated(words: &[&str], at: usize) -> bool {
    const NEGATIONS: &[&str] = &["khong", "chua", "chang", "cha"];
    const SOFTENERS: &[&str] = &["he", "co", "bi", "tung", "thay", "gap", "duoc"];
    let mut i = at;
    let mut softeners = 0;
    while i > 0 {
        let word = words[i - 1];
        if NEGATIONS.contains(&word) {
            return true;
        }
        if SOFTENERS.contains(&word) && softeners < 2 {
            softeners += 1;
            i -= 1;
            continue;
        }
        return false;
    }
    false
}

/// "cò" typed with its diacritic as a word, or a phrase where "co" can only be "cò".
fn has_fixer(original: &str, folded_words: &[&str]) -> bool {
    let lowered: String = original.chars().flat_map(char::to_lowercase).nfc().collect();
    if lowered.split(|c: char| !c.is_alphanumeric()).any(|word| word == "cò") {
        return true;
    }
    FIXER_PHRASES.iter().any(|p| find_phrase(folded_words, p).any(|at| !negated(folded_words, at)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Category::{OfficialConduct as Conduct, ProcedureFeedback as Procedure};

    #[test]
    fn the_classification_table() {
        // (text, category, misconduct, out of scope)
        let cases: &[(&str, Category, bool, Option<OutOfScope>)] = &[
            ("Thủ tục cấp giấy phép xây dựng quá rườm rà, đề nghị đơn giản hóa", Procedure, false, None),
            ("thu tuc cap giay phep xay dung qua ruom ra", Procedure, false, None),
            ("Cán bộ một cửa sách nhiễu người dân", Conduct, true, None),
            ("can bo mot cua sach nhieu nguoi dan", Conduct, true, None),
            ("CÁN BỘ VÒI VĨNH TIỀN", Conduct, true, None),
            ("can bo voi vinh", Conduct, true, None),
            ("Công chức cố tình gây khó khăn cho tôi", Conduct, true, None),
            ("bi gay phien ha nhieu lan", Conduct, true, None),
            ("Có dấu hiệu tiêu cực ở bộ phận tiếp nhận", Conduct, true, None),
            ("phải đưa tiền mới được giải quyết", Conduct, true, None),
            ("nghi ngờ hối lộ", Conduct, true, None),
            ("họ đòi tiền bồi dưỡng 500 nghìn", Conduct, true, None),
            ("phai boi duong cho can bo moi xong", Conduct, true, None),
            ("Tham gia lớp bồi dưỡng nghiệp vụ", Procedure, false, None),
            ("nội dung bồi dưỡng kiến thức pháp luật chưa phù hợp", Procedure, false, None),
            ("Nạn cò giấy tờ ở bộ phận một cửa", Conduct, true, None),
            ("nan co giay to o bo phan mot cua", Conduct, true, None),
            ("phải thuê cò làm sổ đỏ", Conduct, true, None),
            ("phai thue co lam so do", Conduct, true, None),
            ("ông ấy là cò", Conduct, true, None),
            ("Tôi có giấy tờ đầy đủ nhưng hồ sơ bị trả lại", Procedure, false, None),
            ("toi co giay to day du", Procedure, false, None),
            ("nguoi dan co quyen duoc huong dan day du", Procedure, false, None),
            ("có dịch vụ công trực tuyến cho thủ tục này không", Procedure, false, None),
            ("Cô cán bộ hướng dẫn rất nhiệt tình", Procedure, false, None),
            ("cỏ mọc trước trụ sở", Procedure, false, None),
            ("Cơ quan có cọc tiền đặt trước không?", Procedure, false, None),
            ("cán bộ làm khó tôi mãi", Conduct, true, None),
            ("Thái độ hạch sách, quát nạt người dân", Conduct, true, None),
            ("cố ý trễ hẹn trả kết quả", Conduct, true, None),
            ("Hồ sơ trễ hẹn 3 ngày", Procedure, false, None),
            ("cán bộ không sách nhiễu, rất tận tình", Procedure, false, None),
            ("tôi chưa từng bị gây khó khăn", Procedure, false, None),
            ("Tôi khiếu nại quyết định thu hồi đất", Procedure, false, Some(OutOfScope::Complaint)),
            ("toi muon khieu nai quyet dinh xu phat", Procedure, false, Some(OutOfScope::Complaint)),
            ("Tôi tố cáo ông Trưởng phòng nhận hối lộ", Conduct, true, Some(OutOfScope::Denunciation)),
            ("don to cao", Procedure, false, Some(OutOfScope::Denunciation)),
            ("Tôi không khiếu nại, chỉ góp ý về biểu mẫu", Procedure, false, None),
            ("phải chung chi mới xong", Conduct, true, None),
            ("bao nhieu tien ca phe cho anh", Conduct, true, None),
            ("Cơ quan cố tình kéo dài thời gian giải quyết", Conduct, true, None),
            ("thu tiền ngoài quy định", Conduct, true, None),
            ("mẫu đơn khó hiểu, cần hướng dẫn cụ thể hơn", Procedure, false, None),
            ("", Procedure, false, None),
        ];
        assert!(cases.len() >= 30);
        for (text, category, misconduct, out_of_scope) in cases {
            let result = classify(text);
            assert_eq!(
                (result.category, result.misconduct, result.out_of_scope),
                (*category, *misconduct, *out_of_scope),
                "{text:?} → {result:?}"
            );
        }
    }

    #[test]
    fn matched_terms_are_reported_for_the_history() {
        let result = classify("Cán bộ sách nhiễu, phải thuê cò");
        assert!(result.matched.contains(&"sach nhieu".to_owned()), "{result:?}");
        let result = classify("sách nhiễu; nạn cò");
        assert_eq!(result.matched, vec!["sach nhieu".to_owned(), "co".to_owned()]);
    }

    #[test]
    fn words_are_matched_whole() {
        // "tieu cuc" inside longer words or split differently must not fire.
        assert_eq!(classify("tiêu cực").category, Conduct);
        assert_eq!(classify("tiêucực").category, Procedure);
        assert_eq!(classify("cò").category, Conduct);
        assert_eq!(classify("còn hồ sơ").category, Procedure);
        assert_eq!(classify("co").category, Procedure);
        assert_eq!(classify("khieu nai").out_of_scope, Some(OutOfScope::Complaint));
    }
}
