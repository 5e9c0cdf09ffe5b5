//! Which channels can reach a citizen, in the order to try them (pure): a chat (CS) message while
//! the last interaction is within the messaging window (reference §3.2, `zalo.cs_window`); then,
//! when the send asks for a template fallback, the ZBS template by user id, then the ZNS template
//! by phone. An empty plan means unreachable now.

use chrono::{DateTime, Duration, Utc};

use crate::config::ZaloConfig;
use crate::zalo::client::ZaloError;
use crate::zalo::outbound::TemplatePurpose;
use crate::zalo::phone::{normalize_vn_phone, PhoneError};
use crate::zalo::records::OutboundChannel;

/// The configured template ids (empty = not configured).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateIds {
    pub zbs_survey: String,
    pub zns_survey: String,
    pub zbs_reply: String,
    pub zns_reply: String,
}

impl TemplateIds {
    pub fn from_config(zalo: &ZaloConfig) -> Self {
        Self {
            zbs_survey: zalo.zbs_survey_template_id.trim().to_owned(),
            zns_survey: zalo.zns_survey_template_id.trim().to_owned(),
            zbs_reply: zalo.zbs_reply_template_id.trim().to_owned(),
            zns_reply: zalo.zns_reply_template_id.trim().to_owned(),
        }
    }

    fn zbs(&self, purpose: TemplatePurpose) -> Option<&str> {
        let id = match purpose {
            TemplatePurpose::Survey => &self.zbs_survey,
            TemplatePurpose::TicketReply => &self.zbs_reply,
        };
        Some(id.as_str()).filter(|id| !id.is_empty())
    }

    fn zns(&self, purpose: TemplatePurpose) -> Option<&str> {
        let id = match purpose {
            TemplatePurpose::Survey => &self.zns_survey,
            TemplatePurpose::TicketReply => &self.zns_reply,
        };
        Some(id.as_str()).filter(|id| !id.is_empty())
    }
}

/// What is known at send time.
#[derive(Debug, Clone)]
pub struct ChannelFacts<'a> {
    pub user_id: Option<&'a str>,
    /// The citizen's last interaction with the OA, if any is known.
    pub last_interaction_at: Option<DateTime<Utc>>,
    /// The phone given with the send, else the one the citizen gave.
    pub phone: Option<&'a str>,
    /// The template family asked for as fallback; `None` = chat only.
    pub template: Option<TemplatePurpose>,
    pub templates: &'a TemplateIds,
    pub cs_window: Duration,
    pub now: DateTime<Utc>,
}

/// One way to reach the citizen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlannedChannel {
    Cs,
    Zbs {
        template_id: String,
    },
    /// `phone` normalised to `84…`.
    Zns {
        template_id: String,
        phone: String,
    },
    /// ZNS would be next, but the phone is not a Vietnamese mobile number (permanent).
    InvalidPhone(PhoneError),
}

impl PlannedChannel {
    pub fn channel(&self) -> OutboundChannel {
        match self {
            Self::Cs => OutboundChannel::Cs,
            Self::Zbs { .. } => OutboundChannel::Zbs,
            Self::Zns { .. } | Self::InvalidPhone(_) => OutboundChannel::Zns,
        }
    }
}

/// True when the last interaction is within the window (strictly younger than it).
pub fn within_window(last_interaction_at: Option<DateTime<Utc>>, window: Duration, now: DateTime<Utc>) -> bool {
    last_interaction_at.is_some_and(|at| now - at < window)
}

/// The channels to try, in order.
pub fn plan_channels(facts: &ChannelFacts<'_>) -> Vec<PlannedChannel> {
    let user_id = facts.user_id.map(str::trim).filter(|id| !id.is_empty());
    let mut plan = Vec::new();
    if user_id.is_some() && within_window(facts.last_interaction_at, facts.cs_window, facts.now) {
        plan.push(PlannedChannel::Cs);
    }
    let Some(purpose) = facts.template else { return plan };
    if let (Some(_), Some(template_id)) = (user_id, facts.templates.zbs(purpose)) {
        plan.push(PlannedChannel::Zbs { template_id: template_id.to_owned() });
    }
    let phone = facts.phone.map(str::trim).filter(|p| !p.is_empty());
    if let (Some(phone), Some(template_id)) = (phone, facts.templates.zns(purpose)) {
        plan.push(match normalize_vn_phone(phone) {
            Ok(phone) => PlannedChannel::Zns { template_id: template_id.to_owned(), phone },
            Err(e) => PlannedChannel::InvalidPhone(e),
        });
    }
    plan
}

/// Whether a failure on `channel` means "try the next channel" rather than "retry" or "give up":
/// a chat message outside the window (-213/-230/-232), or a ZBS template that cannot go by user id
/// (-249) or to this user (outside-window codes).
pub fn falls_through(channel: OutboundChannel, error: &ZaloError) -> bool {
    use crate::zalo::errors::ErrorClass;
    match channel {
        OutboundChannel::Cs => error.class == ErrorClass::OutsideWindow,
        OutboundChannel::Zbs => error.class == ErrorClass::OutsideWindow || error.code == Some(-249),
        OutboundChannel::Zns | OutboundChannel::None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zalo::client::FailureKind;
    use crate::zalo::errors::{classify_api_error, ErrorClass};
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 9, 3, 0, 0).single().expect("valid time")
    }

    fn all_templates() -> TemplateIds {
        TemplateIds {
            zbs_survey: "zbs-s".into(),
            zns_survey: "zns-s".into(),
            zbs_reply: "zbs-r".into(),
            zns_reply: "zns-r".into(),
        }
    }

    fn zbs(id: &str) -> PlannedChannel {
        PlannedChannel::Zbs { template_id: id.into() }
    }

    fn zns(id: &str) -> PlannedChannel {
        PlannedChannel::Zns { template_id: id.into(), phone: "84912345678".into() }
    }

    #[test]
    fn channel_choice_table() {
        let days = Duration::days;
        let all = all_templates();
        let zns_only = TemplateIds { zns_survey: "zns-s".into(), zns_reply: "zns-r".into(), ..TemplateIds::default() };
        let none = TemplateIds::default();
        use TemplatePurpose::{Survey, TicketReply};
        type Case<'a> = (
            &'a str,
            Option<&'a str>,
            Option<Duration>,
            Option<&'a str>,
            Option<TemplatePurpose>,
            &'a TemplateIds,
            Vec<PlannedChannel>,
        );
        let cases: Vec<Case> = vec![
            ("in window, chat only", Some("u"), Some(days(1)), None, None, &all, vec![PlannedChannel::Cs]),
            (
                "in window, no template asked",
                Some("u"),
                Some(days(6)),
                Some("0912345678"),
                None,
                &all,
                vec![PlannedChannel::Cs],
            ),
            (
                "in window with fallbacks",
                Some("u"),
                Some(days(2)),
                Some("0912345678"),
                Some(Survey),
                &all,
                vec![PlannedChannel::Cs, zbs("zbs-s"), zns("zns-s")],
            ),
            ("window closed, chat only", Some("u"), Some(days(8)), None, None, &all, vec![]),
            ("exactly 7 days is outside", Some("u"), Some(days(7)), None, None, &all, vec![]),
            ("never interacted", Some("u"), None, None, Some(TicketReply), &all, vec![zbs("zbs-r")]),
            (
                "window closed → ZBS then ZNS",
                Some("u"),
                Some(days(30)),
                Some("+84 912 345 678"),
                Some(Survey),
                &all,
                vec![zbs("zbs-s"), zns("zns-s")],
            ),
            (
                "no ZBS template → ZNS",
                Some("u"),
                Some(days(30)),
                Some("0912.345.678"),
                Some(TicketReply),
                &zns_only,
                vec![zns("zns-r")],
            ),
            ("phone only", None, None, Some("84912345678"), Some(Survey), &all, vec![zns("zns-s")]),
            ("no user id: no chat", None, Some(days(1)), None, None, &all, vec![]),
            ("no phone, no ZBS → unreachable", Some("u"), Some(days(9)), None, Some(Survey), &zns_only, vec![]),
            ("templates not configured", Some("u"), Some(days(9)), Some("0912345678"), Some(Survey), &none, vec![]),
            (
                "invalid phone",
                None,
                None,
                Some("024 3825 1234"),
                Some(Survey),
                &all,
                vec![PlannedChannel::InvalidPhone(PhoneError::Landline)],
            ),
            ("blank user id", Some("  "), Some(days(1)), None, Some(Survey), &all, vec![]),
            (
                "interaction in the future (clock skew)",
                Some("u"),
                Some(-Duration::minutes(5)),
                None,
                None,
                &all,
                vec![PlannedChannel::Cs],
            ),
        ];
        for (name, user_id, age, phone, template, templates, expected) in cases {
            let facts = ChannelFacts {
                user_id,
                last_interaction_at: age.map(|age| now() - age),
                phone,
                template,
                templates,
                cs_window: days(7),
                now: now(),
            };
            assert_eq!(plan_channels(&facts), expected, "{name}");
        }
    }

    #[test]
    fn the_window_is_configurable() {
        let templates = TemplateIds::default();
        let facts = |window| ChannelFacts {
            user_id: Some("u"),
            last_interaction_at: Some(now() - Duration::hours(50)),
            phone: None,
            template: None,
            templates: &templates,
            cs_window: window,
            now: now(),
        };
        assert_eq!(plan_channels(&facts(Duration::hours(48))), vec![]);
        assert_eq!(plan_channels(&facts(Duration::hours(72))), vec![PlannedChannel::Cs]);
    }

    #[test]
    fn which_failures_fall_through_to_the_next_channel() {
        let api = |code: i64| ZaloError {
            class: classify_api_error(code),
            kind: FailureKind::Api,
            code: Some(code),
            message: String::new(),
            endpoint: "test",
            retry_after: None,
        };
        let cases = [
            (OutboundChannel::Cs, -230, true),
            (OutboundChannel::Cs, -232, true),
            (OutboundChannel::Cs, -213, true),
            (OutboundChannel::Cs, -201, false),
            (OutboundChannel::Cs, -216, false),
            (OutboundChannel::Cs, -249, false),
            (OutboundChannel::Zbs, -249, true),
            (OutboundChannel::Zbs, -230, true),
            (OutboundChannel::Zbs, -32, false),
            (OutboundChannel::Zns, -230, false),
            (OutboundChannel::Zns, -108, false),
        ];
        for (channel, code, expected) in cases {
            assert_eq!(falls_through(channel, &api(code)), expected, "{channel:?} {code}");
        }
        let http = ZaloError { class: ErrorClass::Transient, kind: FailureKind::Http(503), code: None, ..api(0) };
        assert!(!falls_through(OutboundChannel::Cs, &http));
    }
}
