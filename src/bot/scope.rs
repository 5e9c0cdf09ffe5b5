//! What the bot tells a citizen about the nature of a complaint before it is confirmed: wording
//! about officials' misconduct (welcome; the inspection team is informed too) and wording of a
//! khiếu nại / tố cáo, which is outside PAKN (Nghị định 20/2008 Đ.1) and has its own channel.
//! Only the notice to the citizen is decided here; classification of tickets lives elsewhere.

use crate::bot::text::{fold, tokens};

/// Folded phrases about officials' misconduct: harassment, extortion, bribes, obstruction.
const MISCONDUCT_PHRASES: &[&str] = &[
    "sach nhieu",
    "nhung nhieu",
    "voi vinh",
    "voi vanh",
    "vong vinh",
    "gay kho khan",
    "gay kho de",
    "gay phien ha",
    "lam kho",
    "hach sach",
    "hach dich",
    "cua quyen",
    "tieu cuc",
    "hoi lo",
    "tham nhung",
    "phong bi",
    "lot tay",
    "boi duong tien",
    "tien boi duong",
    "tien ca phe",
    "tien cafe",
    "tien bo duong",
    "tien trang",
    "doi tien",
    "xin tien",
    "vong tien",
    "dua tien",
    "nhan tien",
    "thu tien ngoai",
    "thu them tien",
    "chi phi ngoai",
    "ngoai quy dinh",
    "thai do kem",
    "thai do khong tot",
    "thai do hach dich",
    "thai do cua quyen",
    "thieu ton trong",
    "quat nat",
    "to tieng",
    "cat hen",
    "ngam ho so",
    "giam ho so",
    "de ho so",
];

/// Folded phrases of a khiếu nại (complaint against an administrative decision or act) or a
/// tố cáo (denunciation of an unlawful act).
const COMPLAINT_OR_DENUNCIATION_PHRASES: &[&str] = &[
    "khieu nai",
    "to cao",
    "don khieu nai",
    "don to cao",
    "khoi kien",
    "kien ra toa",
    "khong dong y voi quyet dinh",
    "khong dong y quyet dinh",
    "huy quyet dinh",
];

/// What the citizen is told about the complaint before confirming it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ContentNotes {
    /// Reports misconduct of officials: the inspection team will see it too.
    pub misconduct: bool,
    /// Reads like a khiếu nại or tố cáo: still recorded, but the proper channel is explained.
    pub complaint_or_denunciation: bool,
}

/// Reviews the complaint's texts (description, place, procedure).
pub fn review<'a>(texts: impl IntoIterator<Item = &'a str>) -> ContentNotes {
    let mut notes = ContentNotes::default();
    for text in texts {
        let folded = fold(text);
        let words = tokens(&folded);
        notes.misconduct |= contains_any(&words, MISCONDUCT_PHRASES);
        notes.complaint_or_denunciation |= contains_any(&words, COMPLAINT_OR_DENUNCIATION_PHRASES);
    }
    notes
}

/// Whether one of `phrases` occurs as consecutive whole words.
fn contains_any(words: &[&str], phrases: &[&str]) -> bool {
    phrases.iter().any(|phrase| {
        let wanted: Vec<&str> = phrase.split(' ').collect();
        words.windows(wanted.len()).any(|window| window == wanted.as_slice())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misconduct_wording_with_and_without_diacritics() {
        for text in [
            "Cán bộ một cửa sách nhiễu, đòi tiền mới nhận hồ sơ",
            "can bo sach nhieu nguoi dan",
            "Bị vòi vĩnh khi làm giấy phép",
            "bi voi vinh",
            "công chức xã gây khó khăn",
            "phải đưa phong bì mới được giải quyết",
            "nghi có tiêu cực",
            "hối lộ",
            "thái độ hách dịch, quát nạt người dân",
            "thu tiền ngoài quy định",
        ] {
            assert!(review([text]).misconduct, "{text:?}");
        }
        for text in [
            "hồ sơ bị trễ hẹn 3 ngày",
            "đề nghị bồi dưỡng nghiệp vụ cho cán bộ",
            "tôi có giấy tờ đầy đủ",
            "phần mềm lỗi",
        ] {
            assert!(!review([text]).misconduct, "{text:?}");
        }
    }

    #[test]
    fn complaint_or_denunciation_wording() {
        for text in [
            "Tôi khiếu nại quyết định thu hồi đất",
            "khieu nai",
            "tố cáo chủ tịch xã",
            "to cao can bo",
            "tôi không đồng ý với quyết định xử phạt",
        ] {
            assert!(review([text]).complaint_or_denunciation, "{text:?}");
        }
        for text in ["phản ánh thủ tục rườm rà", "kiến nghị đơn giản hóa hồ sơ", "tờ khai cao quá"]
        {
            assert!(!review([text]).complaint_or_denunciation, "{text:?}");
        }
    }

    #[test]
    fn several_texts_are_reviewed_together() {
        let notes = review(["hồ sơ trễ hẹn", "cán bộ còn vòi vĩnh", "tôi muốn tố cáo"]);
        assert_eq!(notes, ContentNotes { misconduct: true, complaint_or_denunciation: true });
        assert_eq!(review(Vec::<&str>::new()), ContentNotes::default());
    }
}
