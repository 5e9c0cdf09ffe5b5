//! The chat survey, without I/O: given an instance (its public token, state, expiry, the step
//! awaiting an answer and the answers so far) and what the citizen sent (a `#ks:` button payload
//! or typed text), what to store and what to say next. Also tells survey payloads and opt-out
//! phrases apart, so the conversation processor can route them here before the general bot.
//!
//! Steps are the survey's questions in file order, then its free-text items (optional ones offer a
//! "Bỏ qua" button). Button payloads are `#ks:<instance token>:<step code>:<value>`, where the value
//! is a scale value or `skip`; a payload for another instance, another step or a value outside the
//! scale changes nothing and gets a short explanation.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::answer::{parse_typed_answer, validate_answers, AnswerValue};
use super::definition::{FreeTextItem, Question, Scale, SurveyCatalog, SurveyDefinition};
use super::model::{InstanceState, NewAnswer};
use crate::bot::text::fold;
use crate::zalo::outbound::OutboundMessage;

/// Start of every survey button payload.
pub const PAYLOAD_PREFIX: &str = "#ks:";
/// Payload value of the "Bỏ qua" (skip) button.
const SKIP_VALUE: &str = "skip";
/// Label of the skip button.
const SKIP_LABEL: &str = "Bỏ qua";
/// Opt-out phrases, folded (compared with the folded input, so diacritics and case do not matter).
const OPT_OUT_PHRASES: [&str; 3] = ["dung khao sat", "huy khao sat", "stop"];

/// Whether `text` is a survey button payload (to route it here before the general bot).
pub fn is_survey_payload(text: &str) -> bool {
    text.trim_start().starts_with(PAYLOAD_PREFIX)
}

/// Whether `text` is exactly an opt-out phrase: "dừng khảo sát", "hủy khảo sát" or "stop",
/// with or without diacritics, any case.
pub fn is_opt_out(text: &str) -> bool {
    OPT_OUT_PHRASES.contains(&fold(text).as_str())
}

/// A decoded button payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    pub token: String,
    pub step: String,
    pub value: PayloadValue,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadValue {
    Score(i64),
    Skip,
}

/// Reads `#ks:<token>:<step>:<value>`; `None` when it is not well formed.
pub fn parse_payload(text: &str) -> Option<Payload> {
    let rest = text.trim().strip_prefix(PAYLOAD_PREFIX)?;
    let mut parts = rest.split(':');
    let (token, step, value) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || token.is_empty() || step.is_empty() {
        return None;
    }
    let value = if value == SKIP_VALUE { PayloadValue::Skip } else { PayloadValue::Score(value.parse().ok()?) };
    Some(Payload { token: token.to_owned(), step: step.to_owned(), value })
}

/// The payload of a button.
pub fn payload(token: &str, step: &str, value: PayloadValue) -> String {
    match value {
        PayloadValue::Score(v) => format!("{PAYLOAD_PREFIX}{token}:{step}:{v}"),
        PayloadValue::Skip => format!("{PAYLOAD_PREFIX}{token}:{step}:{SKIP_VALUE}"),
    }
}

/// What the chat knows about the instance being answered.
#[derive(Debug, Clone, Copy)]
pub struct ChatContext<'a> {
    pub token: &'a str,
    pub state: InstanceState,
    pub expires_at: Option<DateTime<Utc>>,
    /// The step awaiting an answer; `None` once the chat is over.
    pub step: Option<&'a str>,
    pub answers: &'a BTreeMap<String, AnswerValue>,
}

/// Why survey input changed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// Not a well-formed payload.
    Malformed,
    /// The payload names another instance.
    Forged,
    /// The payload is for a step that is not awaited any more (or not yet).
    Stale,
    /// The value is not one of the step's options.
    InvalidValue,
    /// Free text longer than the item allows.
    TooLong,
    Expired,
    AlreadyAnswered,
    /// Not sent (scheduled or skipped).
    NotOpen,
}

/// A step to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatAdvance {
    pub expected_step: String,
    pub answer: Option<NewAnswer>,
    pub next_step: Option<String>,
    pub completes: bool,
    pub reply: OutboundMessage,
}

/// What to do with the citizen's input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChatOutcome {
    /// Record the step (conditionally on the instance still being at `expected_step`) and send
    /// `reply`.
    Advance(ChatAdvance),
    /// Change nothing; send `reply`.
    Rejected { reason: Rejection, reply: OutboundMessage },
    /// Typed text that answers nothing; nothing stored. `reminder` repeats the awaited question,
    /// for the processor to send if it treats the text as meant for the survey (it may instead
    /// hand the text to the general bot).
    NotAnswer { reminder: OutboundMessage },
}

/// One step of the chat.
enum Step<'a> {
    Question(&'a Question, &'a Scale),
    FreeText(&'a FreeTextItem),
}

/// The chat survey and the catalog of its scales.
#[derive(Debug, Clone, Copy)]
pub struct ChatSurvey<'a> {
    pub def: &'a SurveyDefinition,
    pub catalog: &'a SurveyCatalog,
}

impl<'a> ChatSurvey<'a> {
    /// Step codes in order: questions, then free-text items.
    pub fn steps(&self) -> Vec<&'a str> {
        let questions = self.def.questions.iter().map(Question::code);
        questions.chain(self.def.free_text.iter().map(FreeTextItem::code)).collect()
    }

    pub fn first_step(&self) -> Option<&'a str> {
        self.steps().first().copied()
    }

    /// The question the overall rating (ZNS/ZBS stars) answers: the first question outside every
    /// element.
    pub fn overall_question(&self) -> Option<&'a Question> {
        self.def.questions.iter().find(|q| q.element().is_none())
    }

    /// The first free-text item (where a rating's note goes).
    pub fn suggestion_item(&self) -> Option<&'a FreeTextItem> {
        self.def.free_text.first()
    }

    fn step(&self, code: &str) -> Option<Step<'a>> {
        if let Some(question) = self.def.question(code) {
            return self.catalog.scale(question.scale()).map(|scale| Step::Question(question, scale));
        }
        self.def.free_text_item(code).map(Step::FreeText)
    }

    fn next_after(&self, code: &str) -> Option<&'a str> {
        let steps = self.steps();
        let position = steps.iter().position(|s| *s == code)?;
        steps.get(position + 1).copied()
    }

    /// The message asking step `code` (question with one button per scale option, or the
    /// free-text prompt with a "Bỏ qua" button when optional), after an optional `lead` text.
    pub fn ask(&self, token: &str, code: &str, lead: Option<&str>) -> OutboundMessage {
        let mut text = lead.map(|l| format!("{l}\n\n")).unwrap_or_default();
        let question_count = self.def.questions.len();
        match self.step(code) {
            Some(Step::Question(question, scale)) => {
                let number = self.def.questions.iter().position(|q| q.code() == code).unwrap_or(0) + 1;
                text.push_str(&format!("Câu {number}/{question_count}: {}", question.text()));
                let mut buttons: Vec<(String, String)> = scale
                    .options
                    .iter()
                    .map(|o| (o.short_label().to_owned(), payload(token, code, PayloadValue::Score(o.value()))))
                    .collect();
                if !question.required && buttons.len() < 5 {
                    buttons.push((SKIP_LABEL.to_owned(), payload(token, code, PayloadValue::Skip)));
                }
                OutboundMessage::with_query_buttons(text, buttons)
            }
            Some(Step::FreeText(item)) => {
                text.push_str(item.text());
                text.push_str(&format!("\n(Ông/Bà gõ góp ý vào ô chat, tối đa {} ký tự.)", item.max_length()));
                if item.required {
                    OutboundMessage::text(text)
                } else {
                    OutboundMessage::with_query_buttons(text, [(SKIP_LABEL, payload(token, code, PayloadValue::Skip))])
                }
            }
            None => OutboundMessage::text(format!("{text}{THANKS}")),
        }
    }

    /// Decides what the citizen's `input` does to the instance in `ctx` at `now`.
    pub fn respond(&self, ctx: &ChatContext<'_>, input: &str, now: DateTime<Utc>) -> ChatOutcome {
        let payload = if is_survey_payload(input) {
            match parse_payload(input) {
                Some(p) if p.token == ctx.token => Some(p),
                Some(_) => return rejected(Rejection::Forged, FORGED),
                None => return rejected(Rejection::Malformed, MALFORMED),
            }
        } else {
            None
        };
        let expired =
            ctx.state == InstanceState::Expired || (ctx.state.is_open() && ctx.expires_at.is_none_or(|at| now >= at));
        if expired {
            return rejected(Rejection::Expired, EXPIRED);
        }
        if matches!(ctx.state, InstanceState::Scheduled | InstanceState::Skipped) {
            return rejected(Rejection::NotOpen, NOT_OPEN);
        }
        let Some(current) = ctx.step else {
            return rejected(Rejection::AlreadyAnswered, ALREADY_ANSWERED);
        };
        let Some(step) = self.step(current) else {
            return rejected(Rejection::Stale, STALE);
        };
        let answer = match payload {
            Some(p) if p.step != current => {
                let text = if ctx.answers.contains_key(&p.step) { ALREADY_RECORDED } else { STALE };
                return rejected(Rejection::Stale, text);
            }
            Some(p) => match self.payload_answer(&step, p.value) {
                Some(answer) => answer,
                None => return rejected(Rejection::InvalidValue, INVALID_VALUE),
            },
            None => match self.typed_answer(&step, input) {
                Typed::Answer(answer) => answer,
                Typed::TooLong(max) => {
                    return rejected_with(
                        Rejection::TooLong,
                        format!("Góp ý dài quá {max} ký tự. Xin Ông/Bà viết ngắn lại."),
                    );
                }
                Typed::NotAnswer => {
                    return ChatOutcome::NotAnswer { reminder: self.ask(ctx.token, current, Some(NOT_UNDERSTOOD)) };
                }
            },
        };
        self.advance(ctx, current, answer)
    }

    /// The answer a button value gives at this step (`None` inside = skipped), or `None` when the
    /// value is not allowed.
    fn payload_answer(&self, step: &Step<'_>, value: PayloadValue) -> Option<Option<AnswerValue>> {
        match (step, value) {
            (Step::Question(_, scale), PayloadValue::Score(v)) if scale.contains(v) => {
                Some(Some(AnswerValue::Score(v)))
            }
            (Step::Question(question, _), PayloadValue::Skip) if !question.required => Some(None),
            (Step::FreeText(item), PayloadValue::Skip) if !item.required => Some(None),
            _ => None,
        }
    }

    fn typed_answer(&self, step: &Step<'_>, input: &str) -> Typed {
        let skip = fold(input) == "bo qua";
        match step {
            Step::Question(question, _) if skip && !question.required => Typed::Answer(None),
            Step::Question(_, scale) => match parse_typed_answer(scale, input) {
                Some(value) => Typed::Answer(Some(AnswerValue::Score(value))),
                None => Typed::NotAnswer,
            },
            Step::FreeText(item) if skip && !item.required => Typed::Answer(None),
            Step::FreeText(item) => {
                let text = input.trim();
                if text.is_empty() {
                    Typed::NotAnswer
                } else if text.chars().count() > item.max_length() {
                    Typed::TooLong(item.max_length())
                } else {
                    Typed::Answer(Some(AnswerValue::Text(text.to_owned())))
                }
            }
        }
    }

    fn advance(&self, ctx: &ChatContext<'_>, current: &str, answer: Option<AnswerValue>) -> ChatOutcome {
        let mut answers = ctx.answers.clone();
        if let Some(value) = &answer {
            answers.insert(current.to_owned(), value.clone());
        }
        let completes =
            ctx.state != InstanceState::Answered && validate_answers(self.def, self.catalog, &answers).is_ok();
        let next = self.next_after(current);
        let reply = match next {
            Some(code) if self.def.question(code).is_some() => self.ask(ctx.token, code, None),
            Some(code) => self.ask(ctx.token, code, completes.then_some(ANSWERS_RECEIVED)),
            None => OutboundMessage::text(THANKS),
        };
        ChatOutcome::Advance(ChatAdvance {
            expected_step: current.to_owned(),
            answer: answer.map(|value| NewAnswer { question_code: current.to_owned(), value }),
            next_step: next.map(str::to_owned),
            completes,
            reply,
        })
    }
}

enum Typed {
    Answer(Option<AnswerValue>),
    TooLong(usize),
    NotAnswer,
}

/// The short explanation sent for a rejection (used where no instance context exists, e.g. a
/// payload naming an unknown instance).
pub fn rejection_reply(reason: Rejection) -> OutboundMessage {
    OutboundMessage::text(match reason {
        Rejection::Malformed => MALFORMED,
        Rejection::Forged => FORGED,
        Rejection::Stale => STALE,
        Rejection::InvalidValue => INVALID_VALUE,
        Rejection::TooLong => "Góp ý quá dài. Xin Ông/Bà viết ngắn lại.",
        Rejection::Expired => EXPIRED,
        Rejection::AlreadyAnswered => ALREADY_ANSWERED,
        Rejection::NotOpen => NOT_OPEN,
    })
}

fn rejected(reason: Rejection, text: &str) -> ChatOutcome {
    rejected_with(reason, text.to_owned())
}

fn rejected_with(reason: Rejection, text: String) -> ChatOutcome {
    ChatOutcome::Rejected { reason, reply: OutboundMessage::text(text) }
}

/// Thank-you at the end of the chat survey.
pub const THANKS: &str = "Xin chân thành cảm ơn Ông/Bà đã dành thời gian đánh giá. Ý kiến của Ông/Bà giúp cơ quan nhà nước phục vụ người dân tốt hơn.";
const ANSWERS_RECEIVED: &str = "Cảm ơn Ông/Bà đã trả lời các câu hỏi.";
const NOT_UNDERSTOOD: &str =
    "Xin lỗi, chưa rõ câu trả lời. Ông/Bà vui lòng bấm một nút hoặc gõ số từ 1 (rất không hài lòng) đến 5 (rất hài lòng).";
const FORGED: &str = "Nút này không thuộc phiếu khảo sát của Ông/Bà, nên không được ghi nhận.";
const MALFORMED: &str = "Nút trả lời không hợp lệ, không được ghi nhận.";
const STALE: &str = "Nút này không còn hiệu lực. Ông/Bà vui lòng trả lời câu hỏi đang hiển thị mới nhất.";
const ALREADY_RECORDED: &str = "Câu này Ông/Bà đã trả lời rồi; câu trả lời trước được giữ nguyên.";
const INVALID_VALUE: &str = "Giá trị này không có trong thang trả lời, không được ghi nhận.";
const EXPIRED: &str = "Khảo sát này đã hết hạn nên không nhận thêm câu trả lời. Cảm ơn Ông/Bà.";
const ALREADY_ANSWERED: &str = "Ông/Bà đã hoàn thành khảo sát này. Xin cảm ơn!";
const NOT_OPEN: &str = "Khảo sát này chưa được gửi hoặc không áp dụng, nên không nhận câu trả lời.";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::surveys::load::embedded;
    use crate::zalo::outbound::{OutAction, OutButton};
    use chrono::{Duration, TimeZone};

    const TOKEN: &str = "tok_AAAAAAAAAAAAAAAAAAAA";

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 10, 3, 0, 0).single().expect("valid")
    }

    fn buttons(message: &OutboundMessage) -> Vec<(String, String)> {
        match message {
            OutboundMessage::Buttons { buttons, .. } => buttons
                .iter()
                .map(|OutButton { title, action }| match action {
                    OutAction::Query(p) => (title.clone(), p.clone()),
                    other => (title.clone(), format!("{other:?}")),
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Drives a whole chat survey; `answer_for(step, message)` gives the input for each step.
    fn run_chat(catalog: &SurveyCatalog, answer_for: impl Fn(&str, &OutboundMessage) -> String) -> Vec<ChatAdvance> {
        let chat = ChatSurvey { def: catalog.get("chat-short").expect("chat-short"), catalog };
        let mut step = chat.first_step().map(str::to_owned);
        let mut state = InstanceState::Sent;
        let mut answers = BTreeMap::new();
        let mut message = chat.ask(TOKEN, step.as_deref().expect("first"), Some("Xin chào"));
        let mut advances = Vec::new();
        while let Some(current) = step.clone() {
            let ctx = ChatContext {
                token: TOKEN,
                state,
                expires_at: Some(now() + Duration::days(7)),
                step: Some(&current),
                answers: &answers,
            };
            let input = answer_for(&current, &message);
            let ChatOutcome::Advance(advance) = chat.respond(&ctx, &input, now()) else {
                panic!("{current}: {input:?} did not advance")
            };
            if let Some(answer) = &advance.answer {
                answers.insert(answer.question_code.clone(), answer.value.clone());
            }
            if advance.completes {
                state = InstanceState::Answered;
            } else if state == InstanceState::Sent {
                state = InstanceState::Answering;
            }
            step.clone_from(&advance.next_step);
            message = advance.reply.clone();
            advances.push(advance);
        }
        advances
    }

    #[test]
    fn a_complete_chat_survey_by_buttons() {
        let catalog = embedded().expect("embedded");
        let advances = run_chat(&catalog, |step, message| {
            let buttons = buttons(message);
            if step == "GOP_Y" {
                assert_eq!(buttons, [("Bỏ qua".to_owned(), format!("#ks:{TOKEN}:GOP_Y:skip"))]);
                return "Nên có thêm ghế chờ.".to_owned();
            }
            assert_eq!(buttons.len(), 5, "{step}: one button per scale value");
            assert!(message.display_text().contains("/6: "), "{}", message.display_text());
            buttons.iter().find(|(title, _)| title == "Hài lòng").expect("button").1.clone()
        });
        let steps: Vec<&str> = advances.iter().map(|a| a.expected_step.as_str()).collect();
        assert_eq!(steps, ["Q_TC", "Q_TTHC", "Q_CC", "Q_KQ", "Q_PAKN", "Q_CHUNG", "GOP_Y"]);
        let completes: Vec<bool> = advances.iter().map(|a| a.completes).collect();
        assert_eq!(
            completes,
            [false, false, false, false, false, true, false],
            "answered after the last scored question"
        );
        assert!(advances[..6].iter().all(|a| a.answer.as_ref().map(|x| &x.value) == Some(&AnswerValue::Score(4))));
        assert!(advances[5].reply.display_text().starts_with("Cảm ơn Ông/Bà đã trả lời các câu hỏi."));
        assert_eq!(
            advances[6].answer.as_ref().map(|a| &a.value),
            Some(&AnswerValue::Text("Nên có thêm ghế chờ.".into()))
        );
        assert_eq!(advances[6].next_step, None);
        assert_eq!(advances[6].reply, OutboundMessage::text(THANKS));
    }

    #[test]
    fn a_complete_chat_survey_by_typed_text_with_the_suggestion_skipped() {
        let catalog = embedded().expect("embedded");
        let typed = ["5", "rat hai long", "Hài lòng ạ", "4/5", "binh thuong", "rất không hài lòng", "bo qua"];
        let steps = ["Q_TC", "Q_TTHC", "Q_CC", "Q_KQ", "Q_PAKN", "Q_CHUNG", "GOP_Y"];
        let advances = run_chat(&catalog, |step, _| {
            let index = steps.iter().position(|s| *s == step).expect("known step");
            typed[index].to_owned()
        });
        let values: Vec<Option<AnswerValue>> =
            advances.iter().map(|a| a.answer.as_ref().map(|x| x.value.clone())).collect();
        let scores = [5, 5, 4, 4, 3, 1].map(|v| Some(AnswerValue::Score(v)));
        assert_eq!(values[..6], scores);
        assert_eq!(values[6], None, "the suggestion was skipped");
        assert_eq!(advances[6].reply, OutboundMessage::text(THANKS));
    }

    fn context<'a>(
        answers: &'a BTreeMap<String, AnswerValue>,
        step: Option<&'a str>,
        state: InstanceState,
    ) -> ChatContext<'a> {
        ChatContext { token: TOKEN, state, expires_at: Some(now() + Duration::hours(1)), step, answers }
    }

    #[test]
    fn forged_stale_and_invalid_payloads_change_nothing() {
        let catalog = embedded().expect("embedded");
        let chat = ChatSurvey { def: catalog.get("chat-short").expect("chat-short"), catalog: &catalog };
        let mut answers = BTreeMap::new();
        answers.insert("Q_TC".to_owned(), AnswerValue::Score(4));
        let ctx = context(&answers, Some("Q_TTHC"), InstanceState::Answering);
        let reason = |input: &str| match chat.respond(&ctx, input, now()) {
            ChatOutcome::Rejected { reason, reply } => {
                assert!(!reply.display_text().is_empty());
                Some(reason)
            }
            _ => None,
        };
        assert_eq!(reason("#ks:someoneElsesToken12345:Q_TTHC:5"), Some(Rejection::Forged));
        assert_eq!(reason(&format!("#ks:{TOKEN}:Q_TC:1")), Some(Rejection::Stale), "already answered step");
        assert_eq!(reason(&format!("#ks:{TOKEN}:Q_KQ:1")), Some(Rejection::Stale), "a later step");
        assert_eq!(reason(&format!("#ks:{TOKEN}:Q_TTHC:7")), Some(Rejection::InvalidValue));
        assert_eq!(reason(&format!("#ks:{TOKEN}:Q_TTHC:skip")), Some(Rejection::InvalidValue), "required question");
        assert_eq!(reason(&format!("#ks:{TOKEN}:Q_TTHC")), Some(Rejection::Malformed));
        assert_eq!(reason(&format!("#ks:{TOKEN}:Q_TTHC:5:extra")), Some(Rejection::Malformed));
        assert!(matches!(chat.respond(&ctx, &format!("#ks:{TOKEN}:Q_TTHC:5"), now()), ChatOutcome::Advance(_)));
        match chat.respond(&ctx, "cho tôi hỏi thủ tục đất đai", now()) {
            ChatOutcome::NotAnswer { reminder } => {
                assert!(reminder.display_text().contains("Câu 2/6"), "{}", reminder.display_text());
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn expired_answered_and_unsent_instances_say_so() {
        let catalog = embedded().expect("embedded");
        let chat = ChatSurvey { def: catalog.get("chat-short").expect("chat-short"), catalog: &catalog };
        let answers = BTreeMap::new();
        let payload = format!("#ks:{TOKEN}:Q_TC:5");
        let expired_by_time =
            ChatContext { expires_at: Some(now()), ..context(&answers, Some("Q_TC"), InstanceState::Sent) };
        let cases = [
            (expired_by_time, Rejection::Expired),
            (context(&answers, Some("Q_TC"), InstanceState::Expired), Rejection::Expired),
            (context(&answers, None, InstanceState::Answered), Rejection::AlreadyAnswered),
            (context(&answers, None, InstanceState::Skipped), Rejection::NotOpen),
        ];
        for (ctx, expected) in cases {
            match chat.respond(&ctx, &payload, now()) {
                ChatOutcome::Rejected { reason, reply } => {
                    assert_eq!(reason, expected);
                    if expected == Rejection::Expired {
                        assert!(reply.display_text().contains("hết hạn"));
                    }
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn payloads_and_phrases_are_recognised() {
        assert!(is_survey_payload("#ks:abc:Q:5"));
        assert!(!is_survey_payload("ks:abc"));
        assert_eq!(
            parse_payload("#ks:abc:Q_TC:5"),
            Some(Payload { token: "abc".into(), step: "Q_TC".into(), value: PayloadValue::Score(5) })
        );
        assert_eq!(
            parse_payload(&payload("abc", "GOP_Y", PayloadValue::Skip)).map(|p| p.value),
            Some(PayloadValue::Skip)
        );
        assert_eq!(parse_payload("#ks:abc:Q_TC:five"), None);
        assert_eq!(parse_payload("#ks::Q_TC:5"), None);
        for yes in ["dừng khảo sát", "Dung khao sat", "HỦY KHẢO SÁT", "huy khao sat", "stop", "Stop!"] {
            assert!(is_opt_out(yes), "{yes}");
        }
        for no in ["dừng", "khảo sát", "tôi muốn dừng khảo sát", "stop it", "hủy"] {
            assert!(!is_opt_out(no), "{no}");
        }
    }

    #[test]
    fn suggestion_length_is_enforced() {
        let catalog = embedded().expect("embedded");
        let chat = ChatSurvey { def: catalog.get("chat-short").expect("chat-short"), catalog: &catalog };
        let answers = BTreeMap::new();
        let ctx = context(&answers, Some("GOP_Y"), InstanceState::Answered);
        let long = "a".repeat(1001);
        assert!(matches!(chat.respond(&ctx, &long, now()), ChatOutcome::Rejected { reason: Rejection::TooLong, .. }));
        assert_eq!(chat.overall_question().map(Question::code), Some("Q_CHUNG"));
        assert_eq!(chat.suggestion_item().map(FreeTextItem::code), Some("GOP_Y"));
    }
}
