//! Short typed answers and requests the conversation understands besides branch choices and
//! global commands: "phản ánh …" (start a complaint), "tra cứu", "gặp cán bộ", "kết thúc", yes
//! and no, "xong", "bỏ qua", greetings and thanks. All matched on folded text (case, diacritics
//! and punctuation ignored), as whole messages unless said otherwise.

use crate::bot::text::{fold, tokens};

/// Polite words at the end that do not change an answer: "có ạ", "xong rồi nhé".
const TRAILING_POLITENESS: &[&str] = &["a", "ah", "nhe", "nha", "nhen", "ha", "voi", "luon", "nghen"];

/// Words that may open a request: "tôi muốn phản ánh", "cho em gặp cán bộ", "xin tra cứu".
const LEADING_FILLER: &[&str] =
    &["toi", "em", "minh", "chung", "muon", "can", "xin", "cho", "duoc", "gui", "lam", "hay", "vui", "long", "ban"];

/// The folded words of a message without trailing polite words (one word is always kept).
fn words(text: &str) -> Vec<String> {
    let folded = fold(text);
    let mut words: Vec<String> = tokens(&folded).into_iter().map(str::to_owned).collect();
    while words.len() > 1 && words.last().is_some_and(|last| TRAILING_POLITENESS.contains(&last.as_str())) {
        words.pop();
    }
    words
}

/// The message itself, then the message without its first word, … as long as the words
/// dropped are opening fillers: "cần" is a filler, but "cán bộ tư vấn" must stay whole.
fn request_tails(words: &[String]) -> impl Iterator<Item = &[String]> {
    let fillers = words.iter().take_while(|word| LEADING_FILLER.contains(&word.as_str())).count();
    (0..=fillers).map(move |start| &words[start..])
}

fn phrase_is_one_of(words: &[String], phrases: &[&str]) -> bool {
    let joined = words.join(" ");
    phrases.contains(&joined.as_str())
}

/// Whole message (polite endings ignored) is one of `phrases`.
fn is_one_of(text: &str, phrases: &[&str]) -> bool {
    phrase_is_one_of(&words(text), phrases)
}

/// Whole message, after opening fillers ("tôi muốn", "cho em"), is one of `phrases`.
fn request_is_one_of(text: &str, phrases: &[&str]) -> bool {
    let words = words(text);
    let found = request_tails(&words).any(|tail| phrase_is_one_of(tail, phrases));
    found
}

// ---------------------------------------------------------------------------------------------
// Starting a complaint

/// Words that open a complaint: "phản ánh", "kiến nghị", "khiếu nại", "góp ý", "tố cáo".
const COMPLAINT_OPENERS: &[&[&str]] = &[
    &["phan", "anh", "kien", "nghi"],
    &["phan", "anh"],
    &["kien", "nghi"],
    &["pakn"],
    &["khieu", "nai"],
    &["gop", "y"],
    &["to", "cao"],
];

/// Words between the opener and the story that carry no content: "phản ánh về việc …".
const CONNECTORS: &[&str] = &["ve", "viec", "la", "rang", "voi", "va", "mot", "chuyen", "nay", "y", "kien"];

/// Story words after the opener from which the message counts as the start of the description.
const MIN_STORY_WORDS: usize = 3;

/// "I want to send a complaint", typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplaintRequest {
    /// The message already tells the story ("phản ánh cán bộ xã gây khó khăn …"): keep it as
    /// the first part of the description.
    pub tells_story: bool,
}

/// A message that opens with a complaint word, possibly after "tôi muốn", "xin gửi"…
pub fn complaint_request(text: &str) -> Option<ComplaintRequest> {
    let all = words(text);
    let (request, opener) = request_tails(&all).find_map(|tail| {
        let opener = COMPLAINT_OPENERS.iter().find(|opener| {
            tail.len() >= opener.len() && tail.iter().zip(opener.iter()).all(|(word, expected)| word == expected)
        })?;
        Some((tail, opener))
    })?;
    let story = request[opener.len()..].iter().filter(|word| !CONNECTORS.contains(&word.as_str())).count();
    Some(ComplaintRequest { tells_story: story >= MIN_STORY_WORDS })
}

// ---------------------------------------------------------------------------------------------
// Other requests

const LOOKUP_REQUESTS: &[&str] = &[
    "tra cuu",
    "tra cuu phan anh",
    "tra cuu phan anh kien nghi",
    "tra cuu pakn",
    "tra cuu ma",
    "tra cuu ma phan anh",
    "tra cuu ket qua",
    "tra cuu tinh trang",
    "tra ma",
    "xem ket qua",
    "xem ket qua phan anh",
    "xem phan anh",
    "kiem tra phan anh",
    "tinh trang phan anh",
    "phan anh cua toi",
];

/// "tra cứu", "tra cứu phản ánh", "xem kết quả phản ánh"…
pub fn is_lookup_request(text: &str) -> bool {
    request_is_one_of(text, LOOKUP_REQUESTS)
}

const OFFICER_REQUESTS: &[&str] = &[
    "gap can bo",
    "gap can bo tu van",
    "gap can bo truc",
    "can bo tu van",
    "gap nhan vien",
    "gap tong dai vien",
    "tong dai vien",
    "gap tu van vien",
    "tu van vien",
    "gap nguoi truc",
    "gap nguoi that",
    "noi chuyen voi can bo",
    "noi chuyen voi nguoi that",
    "tro chuyen voi can bo",
    "chat voi can bo",
    "ket noi can bo",
    "ket noi voi can bo",
    "lien he can bo",
    "lien he voi can bo",
    "hoi can bo",
];

/// "gặp cán bộ", "tôi muốn nói chuyện với cán bộ", "tư vấn viên"…
pub fn is_officer_request(text: &str) -> bool {
    request_is_one_of(text, OFFICER_REQUESTS)
}

const END_CHAT: &[&str] = &[
    "ket thuc",
    "ket thuc tro chuyen",
    "ket thuc cuoc tro chuyen",
    "ket thuc chat",
    "dung tro chuyen",
    "thoat tro chuyen",
    "ket thuc gap can bo",
];

/// "kết thúc" (the chat with the officer).
pub fn is_end_chat(text: &str) -> bool {
    request_is_one_of(text, END_CHAT)
}

// ---------------------------------------------------------------------------------------------
// Answers

const YES: &[&str] = &[
    "co",
    "dong y",
    "toi dong y",
    "dung",
    "dung roi",
    "dung vay",
    "vang",
    "da",
    "da vang",
    "da co",
    "da dung",
    "da dong y",
    "ok",
    "oke",
    "okay",
    "uh",
    "u",
    "um",
    "yes",
    "chac chan",
    "xac nhan",
    "duoc",
];

const NO: &[&str] =
    &["khong", "ko", "k", "kg", "khong dong y", "toi khong dong y", "khong a", "no", "thoi", "chua", "da khong"];

/// A yes or no answer: `Some(true)` for "có", "đồng ý", "ok"…, `Some(false)` for "không"…
pub fn yes_or_no(text: &str) -> Option<bool> {
    let words = words(text);
    if phrase_is_one_of(&words, YES) {
        Some(true)
    } else if phrase_is_one_of(&words, NO) {
        Some(false)
    } else {
        None
    }
}

/// "xong", "xong rồi", "hết", "gửi": the description is complete.
pub fn is_done(text: &str) -> bool {
    is_one_of(
        text,
        &["xong", "xong roi", "da xong", "het", "het roi", "gui", "gui di", "hoan tat", "vay thoi", "the thoi", "done"],
    )
}

/// "bỏ qua", "không", "không rõ": no answer to an optional question.
pub fn is_skip(text: &str) -> bool {
    is_one_of(
        text,
        &[
            "bo qua",
            "bo",
            "qua",
            "skip",
            "khong",
            "ko",
            "k",
            "khong co",
            "khong ro",
            "khong biet",
            "khong nho",
            "chua ro",
            "khong can",
        ],
    )
}

/// "gửi", "xác nhận": file the complaint as summarised.
pub fn is_submit(text: &str) -> bool {
    is_one_of(text, &["gui", "gui di", "gui phan anh", "xac nhan", "xac nhan gui", "dong y", "dong y gui", "ok"])
}

/// "sửa", "chỉnh sửa": change something in the summary.
pub fn is_edit(text: &str) -> bool {
    is_one_of(text, &["sua", "sua lai", "chinh sua", "thay doi"])
}

/// "tiếp tục": keep going (with a draft or a chat).
pub fn is_continue(text: &str) -> bool {
    is_one_of(text, &["tiep tuc", "tiep", "giu lai", "giu", "tiep tuc soan"])
}

/// "bỏ": drop (a kept draft).
pub fn is_drop(text: &str) -> bool {
    is_one_of(text, &["bo", "bo di", "xoa", "bo phan anh"])
}

/// Chit-chat the bot answers politely.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmallTalk {
    Greeting,
    Thanks,
}

/// "xin chào", "alo", "cảm ơn"…
pub fn small_talk(text: &str) -> Option<SmallTalk> {
    const GREETINGS: &[&str] = &[
        "xin chao",
        "chao",
        "chao ban",
        "chao anh",
        "chao chi",
        "chao em",
        "chao tong dai",
        "xin chao tong dai",
        "hello",
        "hi",
        "alo",
        "alo alo",
        "a lo",
    ];
    const THANKS: &[&str] = &[
        "cam on",
        "cam on ban",
        "cam on nhieu",
        "cam on ban nhieu",
        "cam on tong dai",
        "xin cam on",
        "thanks",
        "thank you",
        "tks",
        "camon",
    ];
    let words = words(text);
    if phrase_is_one_of(&words, GREETINGS) {
        Some(SmallTalk::Greeting)
    } else if phrase_is_one_of(&words, THANKS) {
        Some(SmallTalk::Thanks)
    } else {
        None
    }
}

/// Number of words in the folded message (what counts as "a long message").
pub fn word_count(text: &str) -> usize {
    tokens(&fold(text)).len()
}

/// Whether the message has at least one letter or digit (not only emoji or punctuation).
pub fn has_words(text: &str) -> bool {
    !fold(text).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complaint_requests_with_and_without_diacritics() {
        let cases = [
            ("phản ánh", Some(false)),
            ("phan anh", Some(false)),
            ("Phản ánh!", Some(false)),
            ("kiến nghị", Some(false)),
            ("kien nghi", Some(false)),
            ("khiếu nại", Some(false)),
            ("khieu nai", Some(false)),
            ("góp ý", Some(false)),
            ("gop y", Some(false)),
            ("tố cáo", Some(false)),
            ("PAKN", Some(false)),
            ("tôi muốn phản ánh", Some(false)),
            ("toi muon gui phan anh", Some(false)),
            ("xin gửi góp ý ạ", Some(false)),
            ("phản ánh kiến nghị", Some(false)),
            ("phản ánh về việc", Some(false)),
            ("tôi muốn phản ánh cán bộ xã gây khó khăn khi làm hồ sơ", Some(true)),
            ("phan anh ve viec ho so bi tre hen", Some(true)),
            ("xin chào", None),
            ("nhánh 4", None),
            ("cán bộ phản ánh", None),
            ("", None),
        ];
        for (text, expected) in cases {
            assert_eq!(complaint_request(text).map(|r| r.tells_story), expected, "{text:?}");
        }
    }

    #[test]
    fn lookup_officer_and_end_requests() {
        for text in ["tra cứu", "tra cuu", "Tra cứu phản ánh", "tôi muốn tra cứu", "xem kết quả phản ánh ạ"]
        {
            assert!(is_lookup_request(text), "{text:?}");
        }
        for text in [
            "gặp cán bộ",
            "gap can bo",
            "Tôi muốn gặp cán bộ",
            "cho em nói chuyện với cán bộ ạ",
            "tư vấn viên",
            "cán bộ tư vấn",
            "tôi cần gặp cán bộ",
        ] {
            assert!(is_officer_request(text), "{text:?}");
        }
        for text in ["cán bộ", "cán bộ sách nhiễu", "tra cứu hồ sơ đất đai của tôi"] {
            assert!(!is_officer_request(text) && !is_lookup_request(text), "{text:?}");
        }
        for text in ["kết thúc", "ket thuc", "Kết thúc trò chuyện", "ket thuc a"] {
            assert!(is_end_chat(text), "{text:?}");
        }
        assert!(!is_end_chat("kết thúc hồ sơ"));
    }

    #[test]
    fn answers() {
        let cases = [
            ("có", Some(true)),
            ("Có ạ", Some(true)),
            ("đồng ý", Some(true)),
            ("dong y", Some(true)),
            ("OK", Some(true)),
            ("vâng", Some(true)),
            ("không", Some(false)),
            ("khong", Some(false)),
            ("ko", Some(false)),
            ("không đồng ý", Some(false)),
            ("khong dong y", Some(false)),
            ("có lẽ", None),
            ("Huy", None),
            ("", None),
        ];
        for (text, expected) in cases {
            assert_eq!(yes_or_no(text), expected, "{text:?}");
        }
        assert!(is_done("Xong") && is_done("xong rồi") && is_done("gửi") && !is_done("xong việc chưa"));
        assert!(is_skip("bỏ qua") && is_skip("bo qua") && is_skip("không rõ") && !is_skip("UBND xã"));
        assert!(is_submit("Gửi") && is_submit("xác nhận") && !is_submit("sửa"));
        assert!(is_edit("sửa") && is_edit("chinh sua"));
        assert!(is_continue("tiếp tục") && is_drop("bỏ"));
    }

    #[test]
    fn small_talk_and_word_counts() {
        assert_eq!(small_talk("Xin chào!"), Some(SmallTalk::Greeting));
        assert_eq!(small_talk("alo"), Some(SmallTalk::Greeting));
        assert_eq!(small_talk("cảm ơn nhé"), Some(SmallTalk::Thanks));
        assert_eq!(small_talk("cam on ban nhieu"), Some(SmallTalk::Thanks));
        assert_eq!(small_talk("chào, tôi cần hỏi"), None);
        assert_eq!(word_count("Cải cách  TTHC!"), 3);
        assert!(!has_words("🙂 ..."));
        assert!(has_words("4"));
    }
}
