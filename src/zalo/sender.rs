//! The handler of `zalo.send` jobs: decides the channel at send time (chat inside the messaging
//! window, else the ZBS template by user id, else the ZNS template by phone, else drop or hold),
//! sends long texts as several messages in order without resending a part on retry, falls back
//! along the same chain when a chat message is refused as outside the window, records every
//! attempt in `outbound_messages`, and turns Zalo's answers into retry / retry-after / give-up.

use std::collections::HashSet;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::Duration;

use crate::clock::SharedClock;
use crate::config::ZaloConfig;
use crate::jobs::{Job, JobError, JobHandler};
use crate::store::{CitizenStore, NewOutboundRecord, OutboundStore, StoreError};
use crate::zalo::api::{CallError, ZaloApi};
use crate::zalo::channel::{falls_through, plan_channels, ChannelFacts, PlannedChannel, TemplateIds};
use crate::zalo::client::ZaloError;
use crate::zalo::errors::ErrorClass;
use crate::zalo::messages::{
    split_text, Button, ButtonAction, CsMessageRequest, DefaultAction, ImageSource, ListElement, MessageError,
    ZbsTemplateRequest, ZnsTemplateRequest, MAX_TEXT_CHARS,
};
use crate::zalo::outbound::{OutAction, OutListElement, OutboundMessage, SendRequest, Unreachable};
use crate::zalo::phone::mask_phone;
use crate::zalo::rate_limit::DEFAULT_PAUSE_SECS;
use crate::zalo::recorder::OutboundRecorder;
use crate::zalo::records::{OutboundChannel, OutboundStatus};
use crate::zalo::tokens::TokenError;

/// How long a send waits before trying again when the OA is not (or no longer) authorised.
const UNAUTHORISED_RETRY_MINUTES: i64 = 5;

/// Settings of the sender (from `[zalo]`).
#[derive(Debug, Clone)]
pub struct SenderSettings {
    pub cs_window: Duration,
    pub templates: TemplateIds,
    pub zns_development_mode: bool,
}

impl SenderSettings {
    pub fn from_config(zalo: &ZaloConfig) -> Self {
        Self {
            cs_window: zalo.cs_window.as_duration(),
            templates: TemplateIds::from_config(zalo),
            zns_development_mode: zalo.zns_development_mode,
        }
    }
}

/// How a send ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Sent(OutboundChannel),
    /// No channel could reach the citizen; dropped.
    Undeliverable,
    /// Kept until the citizen writes (held message id).
    Held(i64),
    /// An earlier run of the same job finished it already.
    AlreadyDone,
}

/// The `zalo.send` job handler.
pub struct ZaloSender {
    api: Arc<ZaloApi>,
    citizens: Arc<dyn CitizenStore>,
    outbound: Arc<dyn OutboundStore>,
    clock: SharedClock,
    settings: SenderSettings,
    /// Where the next message of a sequence is enqueued (see `SendRequest::then`).
    jobs: Option<Arc<dyn crate::store::JobStore>>,
    /// Stores the records of sends that end at about the same time together (started on first
    /// use, in the runtime that sends).
    recorder: std::sync::OnceLock<OutboundRecorder>,
}

#[async_trait]
impl JobHandler for ZaloSender {
    async fn run(&self, job: &Job) -> Result<(), JobError> {
        let request: SendRequest = serde_json::from_value(job.payload.clone())
            .map_err(|e| JobError::Permanent(format!("not a zalo.send payload: {e}")))?;
        let delivery = self.deliver(job.id, job.max_attempts, &request).await?;
        tracing::debug!(job = job.id, purpose = %request.purpose, ?delivery, "zalo.send finished");
        self.enqueue_next(job, &request).await
    }
}

impl ZaloSender {
    /// Sends the sequence's next message only now that this one went out (unique per job, so a
    /// retry of this job never enqueues it twice).
    async fn enqueue_next(&self, job: &Job, request: &SendRequest) -> Result<(), JobError> {
        let (Some(next), Some(jobs)) = (request.next_in_sequence(), &self.jobs) else { return Ok(()) };
        let next_job = next.into_job(format!("after:{}", job.id), job.max_attempts).in_place_of(job.id);
        jobs.enqueue(&next_job, self.clock.now())
            .await
            .map(|_| ())
            .map_err(|e| JobError::Retry(format!("enqueueing the next message of a sequence: {e}")))
    }
}

/// Why the chat (CS) channel stopped.
enum CsStop {
    /// Outside the window: try the next channel.
    FallThrough,
    Fail(JobError),
}

impl ZaloSender {
    pub fn new(
        api: Arc<ZaloApi>,
        citizens: Arc<dyn CitizenStore>,
        outbound: Arc<dyn OutboundStore>,
        clock: SharedClock,
        settings: SenderSettings,
    ) -> Self {
        Self { api, citizens, outbound, clock, settings, jobs: None, recorder: std::sync::OnceLock::new() }
    }

    /// Lets the sender enqueue the next message of a sequence after each send.
    #[must_use]
    pub fn with_sequences(mut self, jobs: Arc<dyn crate::store::JobStore>) -> Self {
        self.jobs = Some(jobs);
        self
    }

    /// Sends `request` as job `job_id` (idempotent per job: parts and template sends already
    /// recorded for the job are not sent again).
    pub async fn deliver(&self, job_id: i64, max_attempts: u32, request: &SendRequest) -> Result<Delivery, JobError> {
        let history = self.outbound.records_for_job(job_id).await.map_err(store_error)?;
        let finished = history.iter().any(|r| {
            let record = &r.record;
            matches!(record.status, OutboundStatus::Held | OutboundStatus::Undeliverable)
                || (record.status == OutboundStatus::Sent && record.channel != OutboundChannel::Cs)
        });
        if finished {
            return Ok(Delivery::AlreadyDone);
        }
        let sent_parts: HashSet<u32> = history
            .iter()
            .filter(|r| r.record.status == OutboundStatus::Sent && r.record.channel == OutboundChannel::Cs)
            .map(|r| r.record.part)
            .collect();
        let user_id = request.user_id.as_deref().map(str::trim).filter(|id| !id.is_empty());
        let citizen = match user_id {
            Some(user_id) => self.citizens.get(user_id).await.map_err(store_error)?,
            None => None,
        };
        let phone = request.phone.clone().or_else(|| citizen.as_ref().and_then(|c| c.phone.clone()));
        let facts = ChannelFacts {
            user_id,
            last_interaction_at: citizen.as_ref().and_then(|c| c.last_interaction_at),
            phone: phone.as_deref(),
            template: request.template.as_ref().map(|t| t.purpose),
            templates: &self.settings.templates,
            cs_window: self.settings.cs_window,
            now: self.clock.now(),
        };
        let plan = plan_channels(&facts);
        for channel in plan {
            match channel {
                PlannedChannel::Cs => {
                    let Some(user_id) = user_id else { continue };
                    match self.send_cs(job_id, user_id, request, &sent_parts).await {
                        Ok(()) => return Ok(Delivery::Sent(OutboundChannel::Cs)),
                        Err(CsStop::FallThrough) => {}
                        Err(CsStop::Fail(e)) => return Err(e),
                    }
                }
                PlannedChannel::Zbs { template_id } => {
                    let Some(user_id) = user_id else { continue };
                    if self.send_zbs(job_id, user_id, &template_id, request).await? {
                        return Ok(Delivery::Sent(OutboundChannel::Zbs));
                    }
                }
                PlannedChannel::Zns { template_id, phone } => {
                    self.send_zns(job_id, &phone, &template_id, request).await?;
                    return Ok(Delivery::Sent(OutboundChannel::Zns));
                }
                PlannedChannel::InvalidPhone(e) => {
                    let reason = format!("cannot send a ZNS template: {e}");
                    self.record(job_id, 0, OutboundChannel::Zns, request, Outcome::failed(None, &reason)).await?;
                    return Err(JobError::Permanent(reason));
                }
            }
        }
        self.unreachable(job_id, max_attempts, request).await
    }

    async fn send_cs(
        &self,
        job_id: i64,
        user_id: &str,
        request: &SendRequest,
        sent_parts: &HashSet<u32>,
    ) -> Result<(), CsStop> {
        let parts = cs_requests(user_id, &request.message)
            .map_err(|e| CsStop::Fail(JobError::Permanent(format!("message cannot be sent to Zalo: {e}"))))?;
        for (index, part) in parts.iter().enumerate() {
            let index = u32::try_from(index).unwrap_or(u32::MAX);
            if sent_parts.contains(&index) {
                continue;
            }
            match self.api.send_cs(part).await {
                Ok(sent) => {
                    let outcome = Outcome::sent(sent.message_id, None);
                    self.record(job_id, index, OutboundChannel::Cs, request, outcome).await.map_err(CsStop::Fail)?;
                }
                Err(e) => {
                    let fall_through = matches!(&e, CallError::Zalo(z) if falls_through(OutboundChannel::Cs, z));
                    self.record_failure(job_id, index, OutboundChannel::Cs, request, &e).await.map_err(CsStop::Fail)?;
                    if fall_through {
                        tracing::info!(job = job_id, user_id, "chat window closed; trying a template");
                        return Err(CsStop::FallThrough);
                    }
                    return Err(CsStop::Fail(self.job_error(&e)));
                }
            }
        }
        Ok(())
    }

    /// True when sent; false when the next channel should be tried.
    async fn send_zbs(
        &self,
        job_id: i64,
        user_id: &str,
        template_id: &str,
        request: &SendRequest,
    ) -> Result<bool, JobError> {
        let data = request.template.as_ref().map(|t| t.data.clone()).unwrap_or_default();
        let body = ZbsTemplateRequest::new(user_id, template_id, data)
            .map_err(|e| JobError::Permanent(format!("ZBS template cannot be built: {e}")))?;
        match self.api.send_zbs_template(&body).await {
            Ok(sent) => {
                // ZBS carries no tracking_id to Zalo; keeping the template's own one beside the
                // msg_id lets a `user_feedback` (which has only the msg_id) find what it rates.
                let tracking_id = request.template.as_ref().and_then(|t| t.tracking_id.clone());
                let outcome = Outcome::sent(sent.message_id, tracking_id);
                self.record(job_id, 0, OutboundChannel::Zbs, request, outcome).await?;
                Ok(true)
            }
            Err(e) => {
                self.record_failure(job_id, 0, OutboundChannel::Zbs, request, &e).await?;
                match &e {
                    CallError::Zalo(z) if falls_through(OutboundChannel::Zbs, z) => Ok(false),
                    _ => Err(self.job_error(&e)),
                }
            }
        }
    }

    async fn send_zns(
        &self,
        job_id: i64,
        phone: &str,
        template_id: &str,
        request: &SendRequest,
    ) -> Result<(), JobError> {
        let template = request.template.as_ref();
        let tracking_id = template
            .and_then(|t| t.tracking_id.clone())
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| format!("tongdai-{job_id}"));
        let data = template.map(|t| t.data.clone()).unwrap_or_default();
        let mut body = ZnsTemplateRequest::new(phone, template_id, data, &tracking_id)
            .map_err(|e| JobError::Permanent(format!("ZNS template cannot be built: {e}")))?;
        if self.settings.zns_development_mode {
            body = body.development();
        }
        let masked = mask_phone(body.phone());
        match self.api.send_zns_template(&body).await {
            Ok(sent) => {
                let outcome = Outcome { phone_masked: Some(masked), ..Outcome::sent(sent.msg_id, Some(tracking_id)) };
                self.record(job_id, 0, OutboundChannel::Zns, request, outcome).await
            }
            Err(e) => {
                let outcome =
                    Outcome { phone_masked: Some(masked), tracking_id: Some(tracking_id), ..Outcome::from_error(&e) };
                if !matches!(e, CallError::Paused(_)) {
                    self.record(job_id, 0, OutboundChannel::Zns, request, outcome).await?;
                }
                Err(self.job_error(&e))
            }
        }
    }

    async fn unreachable(&self, job_id: i64, max_attempts: u32, request: &SendRequest) -> Result<Delivery, JobError> {
        let user_id = request.user_id.as_deref().map(str::trim).filter(|id| !id.is_empty());
        match (request.if_unreachable, user_id) {
            (Unreachable::HoldUntilNextMessage, Some(user_id)) => {
                let now = self.clock.now();
                let held =
                    self.outbound.hold(user_id, Some(job_id), request, max_attempts, now).await.map_err(store_error)?;
                let outcome = Outcome { status: OutboundStatus::Held, ..Outcome::default() };
                self.record(job_id, 0, OutboundChannel::None, request, outcome).await?;
                tracing::info!(job = job_id, user_id, held, "citizen unreachable now; message held until they write");
                Ok(Delivery::Held(held))
            }
            (if_unreachable, _) => {
                let reason = match if_unreachable {
                    Unreachable::Drop => "no channel can reach the citizen now",
                    Unreachable::HoldUntilNextMessage => "no channel can reach the citizen and there is no user id",
                };
                let outcome = Outcome {
                    status: OutboundStatus::Undeliverable,
                    error_message: Some(reason.to_owned()),
                    ..Outcome::default()
                };
                self.record(job_id, 0, OutboundChannel::None, request, outcome).await?;
                tracing::info!(job = job_id, purpose = %request.purpose, "message undeliverable: {reason}");
                Ok(Delivery::Undeliverable)
            }
        }
    }

    async fn record_failure(
        &self,
        job_id: i64,
        part: u32,
        channel: OutboundChannel,
        request: &SendRequest,
        error: &CallError,
    ) -> Result<(), JobError> {
        if matches!(error, CallError::Paused(_)) {
            return Ok(()); // nothing was sent
        }
        self.record(job_id, part, channel, request, Outcome::from_error(error)).await
    }

    async fn record(
        &self,
        job_id: i64,
        part: u32,
        channel: OutboundChannel,
        request: &SendRequest,
        outcome: Outcome,
    ) -> Result<(), JobError> {
        let record = NewOutboundRecord {
            job_id: Some(job_id),
            part,
            user_id: request.user_id.clone(),
            phone_masked: outcome.phone_masked,
            channel,
            purpose: request.purpose.clone(),
            reference: request.reference.clone(),
            zalo_message_id: outcome.message_id,
            tracking_id: outcome.tracking_id,
            status: outcome.status,
            error_code: outcome.error_code,
            error_message: outcome.error_message,
            at: self.clock.now(),
        };
        let recorder = self.recorder.get_or_init(|| OutboundRecorder::spawn(self.outbound.clone()));
        recorder
            .record(record)
            .await
            .map(drop)
            .map_err(|e| JobError::Retry(format!("database: recording an outbound message: {e}")))
    }

    /// What the job queue should do after a failed call.
    fn job_error(&self, error: &CallError) -> JobError {
        let now = self.clock.now();
        match error {
            CallError::Paused(remaining) => JobError::RetryAfter(error.to_string(), *remaining),
            CallError::Token(e @ (TokenError::NotAuthorised | TokenError::ReauthorisationNeeded { .. })) => {
                JobError::RetryAfter(e.to_string(), Duration::minutes(UNAUTHORISED_RETRY_MINUTES))
            }
            CallError::Token(e) => JobError::Retry(e.to_string()),
            CallError::Zalo(e) => match e.class {
                ErrorClass::RateLimited => {
                    let remaining = self
                        .api
                        .limiter()
                        .paused_until(now)
                        .map_or(Duration::seconds(DEFAULT_PAUSE_SECS), |until| until - now);
                    JobError::RetryAfter(e.describe(), remaining)
                }
                ErrorClass::Transient => JobError::Retry(e.describe()),
                ErrorClass::Token => {
                    JobError::Retry(format!("{}; the token was rejected again after a refresh", e.describe()))
                }
                ErrorClass::OutsideWindow | ErrorClass::Permanent => JobError::Permanent(e.describe()),
            },
        }
    }
}

/// The result part of an outbound record.
#[derive(Debug)]
struct Outcome {
    status: OutboundStatus,
    message_id: Option<String>,
    tracking_id: Option<String>,
    phone_masked: Option<String>,
    error_code: Option<i64>,
    error_message: Option<String>,
}

impl Default for Outcome {
    /// A failure without details; the constructors below fill it in.
    fn default() -> Self {
        Self {
            status: OutboundStatus::Failed,
            message_id: None,
            tracking_id: None,
            phone_masked: None,
            error_code: None,
            error_message: None,
        }
    }
}

impl Outcome {
    fn sent(message_id: String, tracking_id: Option<String>) -> Self {
        Self { status: OutboundStatus::Sent, message_id: Some(message_id), tracking_id, ..Self::default() }
    }

    fn failed(code: Option<i64>, message: &str) -> Self {
        Self { error_code: code, error_message: Some(message.to_owned()), ..Self::default() }
    }

    fn from_error(error: &CallError) -> Self {
        match error {
            CallError::Zalo(ZaloError { code, .. }) => Self::failed(*code, &error.to_string()),
            other => Self::failed(None, &other.to_string()),
        }
    }
}

#[allow(clippy::needless_pass_by_value)] // used as `map_err(store_error)`
fn store_error(e: StoreError) -> JobError {
    JobError::Retry(format!("database: {e}"))
}

/// The chat (CS) requests that carry `message`, in order: texts over 2,000 characters become
/// several messages, the buttons/list/image going with the last part.
pub fn cs_requests(user_id: &str, message: &OutboundMessage) -> Result<Vec<CsMessageRequest>, MessageError> {
    let mut requests = Vec::new();
    match message {
        OutboundMessage::Text { text } => {
            let parts = non_empty_parts(text)?;
            for part in parts {
                requests.push(CsMessageRequest::text(user_id, &part)?);
            }
        }
        OutboundMessage::Buttons { text, buttons } => {
            let mut parts = non_empty_parts(text)?;
            let last = parts.pop().unwrap_or_default();
            for part in parts {
                requests.push(CsMessageRequest::text(user_id, &part)?);
            }
            let buttons =
                buttons.iter().map(|b| Button::new(&b.title, button_action(&b.action))).collect::<Result<_, _>>()?;
            requests.push(CsMessageRequest::text_with_buttons(user_id, &last, buttons)?);
        }
        OutboundMessage::List { text, elements } => {
            let mut parts = text.as_deref().map(|t| split_text(t, MAX_TEXT_CHARS)).unwrap_or_default();
            let list_text = if parts.len() == 1 { parts.pop() } else { None };
            for part in parts {
                requests.push(CsMessageRequest::text(user_id, &part)?);
            }
            let elements = elements.iter().map(list_element).collect::<Result<_, _>>()?;
            requests.push(CsMessageRequest::list(user_id, list_text.as_deref(), elements)?);
        }
        OutboundMessage::RequestUserInfo { title, subtitle, image_url } => {
            requests.push(CsMessageRequest::request_user_info(user_id, title, subtitle, image_url)?);
        }
        OutboundMessage::Image { url, caption } => {
            let mut parts = caption.as_deref().map(|t| split_text(t, MAX_TEXT_CHARS)).unwrap_or_default();
            let last = parts.pop();
            for part in parts {
                requests.push(CsMessageRequest::text(user_id, &part)?);
            }
            requests.push(CsMessageRequest::image(user_id, ImageSource::Url(url.clone()), last.as_deref())?);
        }
    }
    Ok(requests)
}

fn non_empty_parts(text: &str) -> Result<Vec<String>, MessageError> {
    let parts = split_text(text, MAX_TEXT_CHARS);
    if parts.is_empty() {
        Err(MessageError::EmptyField { field: "text" })
    } else {
        Ok(parts)
    }
}

fn button_action(action: &OutAction) -> ButtonAction {
    match action {
        OutAction::Query(payload) => ButtonAction::QueryHide(payload.clone()),
        OutAction::QueryShown(payload) => ButtonAction::QueryShow(payload.clone()),
        OutAction::OpenUrl(url) => ButtonAction::OpenUrl { url: url.clone() },
        OutAction::Call(phone) => ButtonAction::OpenPhone { phone_code: phone.clone() },
    }
}

fn list_element(element: &OutListElement) -> Result<ListElement, MessageError> {
    let mut out = ListElement::new(&element.title)?;
    if let Some(subtitle) = &element.subtitle {
        out = out.with_subtitle(subtitle);
    }
    if let Some(image_url) = &element.image_url {
        out = out.with_image_url(image_url)?;
    }
    if let Some(action) = &element.action {
        let default_action = match action {
            OutAction::Query(payload) => DefaultAction::QueryHide { payload: payload.clone() },
            OutAction::QueryShown(payload) => DefaultAction::QueryShow { payload: payload.clone() },
            OutAction::OpenUrl(url) => DefaultAction::OpenUrl { url: url.clone() },
            // A list element cannot open the dialer; only buttons can.
            OutAction::Call(_) => return Err(MessageError::InvalidUrl { field: "list element action (call)" }),
        };
        out = out.with_default_action(default_action)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(request: &CsMessageRequest) -> serde_json::Value {
        serde_json::to_value(request).expect("serializable")
    }

    #[test]
    fn long_texts_become_ordered_parts_with_buttons_on_the_last() {
        let sentence = "Phản ánh của Ông/Bà đã được chuyển đến Sở Nội vụ. ";
        let text = sentence.repeat(100); // about 5,100 characters
        let requests = cs_requests("u1", &OutboundMessage::text(text.clone())).expect("valid");
        assert_eq!(requests.len(), 3);
        let joined: String = requests
            .iter()
            .map(|r| body(r)["message"]["text"].as_str().expect("text").to_owned())
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(joined.split_whitespace().collect::<Vec<_>>(), text.split_whitespace().collect::<Vec<_>>());

        let with_buttons = OutboundMessage::with_query_buttons(text, [("Có", "#yes"), ("Không", "#no")]);
        let requests = cs_requests("u1", &with_buttons).expect("valid");
        assert_eq!(requests.len(), 3);
        assert!(body(&requests[0])["message"].get("attachment").is_none());
        let last = body(&requests[2]);
        assert_eq!(
            last["message"]["attachment"]["payload"]["buttons"],
            json!([{"title":"Có","type":"oa.query.hide","payload":"#yes"},
                   {"title":"Không","type":"oa.query.hide","payload":"#no"}])
        );
    }

    #[test]
    fn every_message_kind_maps_to_cs_requests() {
        let list = OutboundMessage::List {
            text: Some("Chọn nhánh".into()),
            elements: vec![OutListElement {
                title: "Nhánh 1".into(),
                subtitle: None,
                image_url: None,
                action: Some(OutAction::QueryShown("#branch:1".into())),
            }],
        };
        let requests = cs_requests("u", &list).expect("valid");
        assert_eq!(requests.len(), 1);
        let list_body = body(&requests[0]);
        assert_eq!(list_body["message"]["text"], "Chọn nhánh");
        assert_eq!(list_body["message"]["attachment"]["payload"]["template_type"], "list");

        let image =
            OutboundMessage::Image { url: "https://example.gov.vn/a.png".into(), caption: Some("Ảnh".into()) };
        assert_eq!(body(&cs_requests("u", &image).expect("valid")[0])["message"]["text"], "Ảnh");
        let info = OutboundMessage::RequestUserInfo {
            title: "Thông tin".into(),
            subtitle: "Xin cho biết số điện thoại".into(),
            image_url: "https://example.gov.vn/i.png".into(),
        };
        assert_eq!(cs_requests("u", &info).expect("valid").len(), 1);

        assert_eq!(
            cs_requests("u", &OutboundMessage::text("  ")).map(|r| r.len()),
            Err(MessageError::EmptyField { field: "text" })
        );
        let bad_list = OutboundMessage::List {
            text: None,
            elements: vec![OutListElement {
                title: "Gọi".into(),
                subtitle: None,
                image_url: None,
                action: Some(OutAction::Call("1022".into())),
            }],
        };
        assert!(cs_requests("u", &bad_list).is_err());
    }
}
