//! The survey service: everything the web handlers, the scheduler, the CLI and the conversation
//! processor call. It joins the store, the loaded definitions, the send policy and the link signer;
//! the decisions themselves are in the pure modules (`planning`, `chat`, `form`, `dossiers`).

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::Context as _;
use chrono::{DateTime, Duration, Utc};

use super::answer::AnswerValue;
use super::chat::{self, ChatContext, ChatOutcome, ChatSurvey, Rejection};
use super::definition::{SurveyCatalog, SurveyDefinition};
use super::dossiers::FieldError;
use super::form::{read_form, FormErrors};
use super::link::{LinkError, LinkSigner};
use super::messages::{SendContent, SendKind, OPT_OUT_CONFIRMATION};
use super::model::{
    AnswerChannel, ChatStepRecord, DispatchReport, Dossier, DossierOutcome, DueInstance, InstanceState, NewAnswer,
    SendDecision, Submission, SubmitOutcome, SurveyInstance, UnmatchedFeedback,
};
use super::planning::Planner;
use super::settings::SurveySettings;
use crate::calendar::holidays::HolidayTable;
use crate::calendar::working::WorkingCalendar;
use crate::config::Config;
use crate::jobs::NewJob;
use crate::store::{StoreResult, SurveyStore};
use crate::zalo::events::Feedback;
use crate::zalo::outbound::OutboundMessage;

/// How long after the last scored chat answer typed text is still taken as the suggestion.
pub const SUGGESTION_WINDOW_MINUTES: i64 = 30;
/// Instances claimed per dispatch transaction.
pub const DISPATCH_BATCH: u32 = 200;

/// What survey chat input led to, for the conversation processor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChatResult {
    /// The citizen has no open survey and the text is no survey payload: not for us.
    NotSurvey,
    /// Handled (stored, or explained why not): send this reply.
    Reply(OutboundMessage),
    /// Typed text that answers nothing. The processor may hand it to the general bot, or send
    /// `reminder`, which repeats the awaited question.
    NotAnswer { reminder: OutboundMessage },
}

/// What a `user_feedback` rating did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedbackOutcome {
    Stored,
    AlreadyAnswered,
    /// The instance is expired or not open; nothing stored.
    Closed,
    /// No instance has this tracking id (or the event has no rating): kept and ignored.
    Unmatched,
}

/// Whether a web-form link may be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormAccess {
    Open {
        instance: Box<SurveyInstance>,
        dossier: Box<Dossier>,
    },
    AlreadyAnswered,
    Expired,
    /// Forged, altered, unknown, or the survey was never sent.
    Invalid,
}

/// What a web-form submission did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormResult {
    Stored,
    /// Shown again with these messages next to the fields.
    Invalid(FormErrors),
    AlreadyAnswered,
    Expired,
    InvalidLink,
}

/// The survey service; cheap to share behind an `Arc`.
pub struct SurveyService {
    store: Arc<dyn SurveyStore>,
    catalog: Arc<SurveyCatalog>,
    chat_def: SurveyDefinition,
    web_def: SurveyDefinition,
    settings: SurveySettings,
    planner: Planner,
    links: LinkSigner,
}

impl std::fmt::Debug for SurveyService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SurveyService").field("settings", &self.settings).finish_non_exhaustive()
    }
}

impl SurveyService {
    /// Checks that the configured surveys are in the catalog.
    pub fn new(
        store: Arc<dyn SurveyStore>,
        catalog: SurveyCatalog,
        settings: SurveySettings,
        calendar: WorkingCalendar,
        links: LinkSigner,
    ) -> anyhow::Result<Self> {
        let definition = |id: &str| {
            catalog.get(id).cloned().ok_or_else(|| anyhow::anyhow!("survey definition \"{id}\" is not loaded"))
        };
        let chat_def = definition(&settings.chat_survey)?;
        let web_def = definition(&settings.web_survey)?;
        let planner = Planner { policy: settings.policy.clone(), calendar };
        Ok(Self { store, catalog: Arc::new(catalog), chat_def, web_def, settings, planner, links })
    }

    /// Builds the service from a validated configuration: loads the definitions, reads (or
    /// generates) the link key. Returns warnings for the operator.
    pub fn from_config(config: &Config, store: Arc<dyn SurveyStore>) -> anyhow::Result<(Self, Vec<String>)> {
        let catalog = super::settings::load_catalog(&config.survey)
            .map_err(|problems| anyhow::anyhow!("loading survey definitions:\n  - {}", problems.join("\n  - ")))?;
        let (key, warning) = super::settings::link_key(config)?;
        let calendar = WorkingCalendar::new(HolidayTable::vietnam_default()?, config.timezone())
            .context("building the working calendar")?;
        let service = Self::new(store, catalog, SurveySettings::from_config(config), calendar, LinkSigner::new(key))?;
        Ok((service, warning.into_iter().collect()))
    }

    pub fn settings(&self) -> &SurveySettings {
        &self.settings
    }

    pub fn catalog(&self) -> &SurveyCatalog {
        &self.catalog
    }

    pub fn planner(&self) -> &Planner {
        &self.planner
    }

    pub fn store(&self) -> &Arc<dyn SurveyStore> {
        &self.store
    }

    /// The chat survey.
    pub fn chat(&self) -> ChatSurvey<'_> {
        ChatSurvey { def: &self.chat_def, catalog: &self.catalog }
    }

    /// The web-form survey.
    pub fn web_survey(&self) -> &SurveyDefinition {
        &self.web_def
    }

    /// The signed web-form URL of an instance, valid until `expires_at`.
    pub fn link(&self, token: &str, expires_at: DateTime<Utc>) -> String {
        format!("{}/s/{}", self.settings.public_base_url, self.links.sign(token, expires_at))
    }

    // ---- dossiers ------------------------------------------------------------------------

    /// Stores validated dossiers in one transaction; `on_row` is called once per row (progress).
    pub async fn store_dossiers(
        &self,
        dossiers: &[Dossier],
        now: DateTime<Utc>,
        on_row: &(dyn Fn() + Send + Sync),
    ) -> StoreResult<Vec<DossierOutcome>> {
        let plan = |dossier: &Dossier, history: &_| {
            on_row();
            self.planner.plan(dossier, history, now)
        };
        self.store.store_dossiers(dossiers, &plan, now).await
    }

    // ---- dispatch ------------------------------------------------------------------------

    /// Sends due surveys (inside the send window only), reminders, and expires old ones.
    pub async fn dispatch(&self, now: DateTime<Utc>) -> StoreResult<DispatchSummary> {
        let mut summary = DispatchSummary { expired: self.store.expire_due(now).await?, ..DispatchSummary::default() };
        if !self.planner.may_send_at(now) {
            return Ok(summary);
        }
        loop {
            let report = self.dispatch_batch(now, DISPATCH_BATCH).await?;
            summary.sent += report.sent;
            summary.skipped += report.skipped;
            if report.claimed < DISPATCH_BATCH as usize {
                break;
            }
        }
        loop {
            let reminded = self.store.remind_due(now, DISPATCH_BATCH, &|due| self.reminder_job(due)).await?;
            summary.reminded += reminded;
            if reminded < DISPATCH_BATCH as usize {
                break;
            }
        }
        Ok(summary)
    }

    /// One dispatch transaction of up to `limit` due instances.
    pub async fn dispatch_batch(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<DispatchReport> {
        self.store.dispatch_due(now, limit, &|due| self.decide(due, now)).await
    }

    fn decide(&self, due: &DueInstance, now: DateTime<Utc>) -> SendDecision {
        if let Some(reason) = self.planner.skip_at_send(due, now) {
            return SendDecision::Skip(reason);
        }
        let times = self.planner.send_times(now);
        let job = self.send_job(due, times.expires_at, SendKind::First);
        SendDecision::Send {
            job,
            reminder_at: times.reminder_at,
            expires_at: times.expires_at,
            first_step: self.chat().first_step().map(str::to_owned),
        }
    }

    fn reminder_job(&self, due: &DueInstance) -> NewJob {
        let expires_at = due.instance.expires_at.unwrap_or(due.instance.updated_at);
        self.send_job(due, expires_at, SendKind::Reminder)
    }

    fn send_job(&self, due: &DueInstance, expires_at: DateTime<Utc>, kind: SendKind) -> NewJob {
        let link = self.link(&due.instance.token, expires_at);
        let content = SendContent {
            chat: self.chat(),
            dossier: &due.dossier,
            token: &due.instance.token,
            zalo_user_id: due.instance.zalo_user_id.as_deref(),
            phone: due.instance.phone.as_deref(),
            link: &link,
            expires_at,
            time_zone: self.planner.calendar.time_zone(),
        };
        content.request(kind).into_job(kind.unique_key(due.instance.id), self.settings.send_max_attempts)
    }

    // ---- chat ----------------------------------------------------------------------------

    /// The citizen's instance that chat input may answer now, if any.
    pub async fn active_instance(&self, zalo_user_id: &str, now: DateTime<Utc>) -> StoreResult<Option<SurveyInstance>> {
        let since = now - Duration::minutes(SUGGESTION_WINDOW_MINUTES);
        self.store.active_chat_instance(zalo_user_id, now, since).await
    }

    /// Handles chat input from `zalo_user_id`: a `#ks:` payload, or typed text while a survey is
    /// open. Call it after the bot's global commands and [`chat::is_opt_out`], before the bot.
    pub async fn handle_chat(&self, zalo_user_id: &str, text: &str, now: DateTime<Utc>) -> StoreResult<ChatResult> {
        let instance = if chat::is_survey_payload(text) {
            let Some(payload) = chat::parse_payload(text) else {
                return Ok(ChatResult::Reply(chat::rejection_reply(Rejection::Malformed)));
            };
            match self.store.instance_by_token(&payload.token).await? {
                Some(found) if found.zalo_user_id.as_deref() == Some(zalo_user_id) => found,
                _ => return Ok(ChatResult::Reply(chat::rejection_reply(Rejection::Forged))),
            }
        } else {
            match self.active_instance(zalo_user_id, now).await? {
                Some(found) => found,
                None => return Ok(ChatResult::NotSurvey),
            }
        };
        let survey = self.chat();
        let answers: BTreeMap<String, AnswerValue> = self
            .store
            .answers(instance.id)
            .await?
            .into_iter()
            .filter(|a| a.survey_id == survey.def.id())
            .map(|a| (a.question_code, a.value))
            .collect();
        let ctx = ChatContext {
            token: &instance.token,
            state: instance.state,
            expires_at: instance.expires_at,
            step: instance.chat_step.as_deref(),
            answers: &answers,
        };
        match survey.respond(&ctx, text, now) {
            ChatOutcome::Advance(advance) => {
                let record = ChatStepRecord {
                    instance_id: instance.id,
                    survey_id: survey.def.id().to_owned(),
                    survey_version: survey.def.version,
                    expected_step: advance.expected_step,
                    answer: advance.answer,
                    next_step: advance.next_step,
                    completes: advance.completes,
                };
                if self.store.record_chat_step(&record, now).await? {
                    Ok(ChatResult::Reply(advance.reply))
                } else {
                    Ok(ChatResult::Reply(chat::rejection_reply(Rejection::Stale)))
                }
            }
            ChatOutcome::Rejected { reply, .. } => Ok(ChatResult::Reply(reply)),
            ChatOutcome::NotAnswer { reminder } => Ok(ChatResult::NotAnswer { reminder }),
        }
    }

    /// Opts the citizen out (their Zalo id and the phones on their surveys) and returns the
    /// confirmation to send. For "dừng khảo sát" in the chat.
    pub async fn opt_out_in_chat(&self, zalo_user_id: &str, now: DateTime<Utc>) -> StoreResult<OutboundMessage> {
        let report = self.store.opt_out(Some(zalo_user_id), None, "chat", now).await?;
        tracing::info!(skipped = report.skipped, reminders_cancelled = report.reminders_cancelled, "survey opt-out");
        Ok(OutboundMessage::text(OPT_OUT_CONFIRMATION))
    }

    // ---- ZNS / ZBS rating ------------------------------------------------------------------

    /// Stores a `user_feedback` rating as the dossier's answer to the chat survey's overall
    /// question (and its note as the suggestion), matched by `tracking_id` = instance token.
    pub async fn record_feedback(&self, feedback: &Feedback, now: DateTime<Utc>) -> StoreResult<FeedbackOutcome> {
        let instance = match &feedback.tracking_id {
            Some(tracking_id) => self.store.instance_by_token(tracking_id).await?,
            None => None,
        };
        let survey = self.chat();
        let (Some(instance), Some(rate), Some(overall)) = (instance, feedback.rate, survey.overall_question()) else {
            let unmatched = UnmatchedFeedback {
                tracking_id: feedback.tracking_id.clone(),
                msg_id: feedback.msg_id.clone(),
                rate: feedback.rate.map(i64::from),
                note: feedback.note.clone(),
            };
            self.store.record_unmatched_feedback(&unmatched, now).await?;
            return Ok(FeedbackOutcome::Unmatched);
        };
        let mut answers =
            vec![NewAnswer { question_code: overall.code().to_owned(), value: AnswerValue::Score(i64::from(rate)) }];
        let note = feedback.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
        if let (Some(note), Some(item)) = (note, survey.suggestion_item()) {
            let text: String = note.chars().take(item.max_length()).collect();
            answers.push(NewAnswer { question_code: item.code().to_owned(), value: AnswerValue::Text(text) });
        }
        let submission = Submission {
            instance_id: instance.id,
            survey_id: survey.def.id().to_owned(),
            survey_version: survey.def.version,
            channel: AnswerChannel::Zns,
            answers,
        };
        Ok(match self.store.submit(&submission, now).await? {
            SubmitOutcome::Stored => FeedbackOutcome::Stored,
            SubmitOutcome::AlreadyAnswered => FeedbackOutcome::AlreadyAnswered,
            SubmitOutcome::Closed => FeedbackOutcome::Closed,
        })
    }

    // ---- web form ------------------------------------------------------------------------

    /// Whether the form behind `link_token` may be shown at `now`.
    pub async fn form_access(&self, link_token: &str, now: DateTime<Utc>) -> StoreResult<FormAccess> {
        let reference = match self.links.verify(link_token, now) {
            Ok(claims) => claims.reference,
            Err(LinkError::Expired) => return Ok(FormAccess::Expired),
            Err(_) => return Ok(FormAccess::Invalid),
        };
        let Some(instance) = self.store.instance_by_token(&reference).await? else {
            return Ok(FormAccess::Invalid);
        };
        Ok(match instance.state {
            InstanceState::Answered => FormAccess::AlreadyAnswered,
            _ if instance.is_expired(now) => FormAccess::Expired,
            InstanceState::Sent | InstanceState::Answering => match self.store.dossier(&instance.dossier_code).await? {
                Some(dossier) => FormAccess::Open { instance: Box::new(instance), dossier: Box::new(dossier) },
                None => FormAccess::Invalid,
            },
            _ => FormAccess::Invalid,
        })
    }

    /// Accepts one web-form submission for the instance behind `link_token`.
    pub async fn submit_form(
        &self,
        link_token: &str,
        fields: &BTreeMap<String, String>,
        now: DateTime<Utc>,
    ) -> StoreResult<FormResult> {
        let instance = match self.form_access(link_token, now).await? {
            FormAccess::Open { instance, .. } => *instance,
            FormAccess::AlreadyAnswered => return Ok(FormResult::AlreadyAnswered),
            FormAccess::Expired => return Ok(FormResult::Expired),
            FormAccess::Invalid => return Ok(FormResult::InvalidLink),
        };
        let def = self.web_survey();
        let answers = match read_form(def, &self.catalog, fields) {
            Ok(answers) => answers,
            Err(errors) => return Ok(FormResult::Invalid(errors)),
        };
        let submission = Submission {
            instance_id: instance.id,
            survey_id: def.id().to_owned(),
            survey_version: def.version,
            channel: AnswerChannel::Web,
            answers,
        };
        Ok(match self.store.submit(&submission, now).await? {
            SubmitOutcome::Stored => FormResult::Stored,
            SubmitOutcome::AlreadyAnswered => FormResult::AlreadyAnswered,
            SubmitOutcome::Closed => FormResult::Expired,
        })
    }

    /// Opts out the citizen of the instance behind `link_token` (allowed after the link expired,
    /// the signature still has to be right). False for an invalid link.
    pub async fn opt_out_by_link(&self, link_token: &str, now: DateTime<Utc>) -> StoreResult<bool> {
        let Ok(claims) = self.links.verify_signature(link_token) else {
            return Ok(false);
        };
        let Some(instance) = self.store.instance_by_token(&claims.reference).await? else {
            return Ok(false);
        };
        let report =
            self.store.opt_out(instance.zalo_user_id.as_deref(), instance.phone.as_deref(), "web", now).await?;
        tracing::info!(skipped = report.skipped, reminders_cancelled = report.reminders_cancelled, "survey opt-out");
        Ok(true)
    }
}

/// What one dispatcher tick did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DispatchSummary {
    pub sent: usize,
    pub skipped: usize,
    pub reminded: usize,
    pub expired: u64,
}

/// Field errors of a row as `field: message` lines (for the CLI report).
pub fn describe_errors(errors: &[FieldError]) -> String {
    errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ")
}
