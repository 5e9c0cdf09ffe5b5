//! The simulator's webhook side: builds events exactly like Zalo's samples (ids and
//! timestamps as strings, body timestamp in ms), signs them (`X-ZEvent-Signature`, reference
//! §1) and POSTs them to the service, retrying on anything but HTTP 200 with a `num_retry`
//! header on a configurable schedule. Every delivery and attempt is recorded.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::sim::state::{
    Citizen, DeliveryAttempt, DeliveryOutcome, InfoForm, TemplateChannel, TemplateSend, WebhookDelivery,
};
use crate::sim::Shared;
use crate::zalo::signature::{sign, SIGNATURE_HEADER};

/// A signed-ready webhook event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEvent {
    pub event_name: &'static str,
    /// `message.msg_id`, when the event has one.
    pub msg_id: Option<String>,
    /// The citizen concerned, when there is one.
    pub user_id: Option<String>,
    /// The body's `timestamp` (epoch ms, as text): part of the signature.
    pub timestamp: String,
    pub body: Vec<u8>,
}

/// A file a citizen sends (`user_send_file`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    pub url: String,
    pub name: String,
    pub size: u64,
    /// MD5 hex of the content.
    pub checksum: String,
    /// Extension / kind, e.g. `pdf`.
    pub kind: String,
}

/// Builds event bodies for one app and OA.
#[derive(Debug, Clone, Copy)]
pub struct EventFactory<'a> {
    pub app_id: &'a str,
    pub oa_id: &'a str,
}

fn millis(now: DateTime<Utc>) -> String {
    now.timestamp_millis().to_string()
}

impl EventFactory<'_> {
    fn finish(
        event_name: &'static str,
        msg_id: Option<&str>,
        user_id: Option<&str>,
        timestamp: String,
        body: &Value,
    ) -> OutgoingEvent {
        OutgoingEvent {
            event_name,
            msg_id: msg_id.map(str::to_owned),
            user_id: user_id.map(str::to_owned),
            timestamp,
            body: body.to_string().into_bytes(),
        }
    }

    /// A `user_send_*` event: sender = citizen, recipient = OA.
    fn user_message(
        &self,
        event_name: &'static str,
        citizen: &Citizen,
        message: &Value,
        now: DateTime<Utc>,
    ) -> OutgoingEvent {
        let timestamp = millis(now);
        let msg_id = message.get("msg_id").and_then(Value::as_str).map(str::to_owned);
        let body = json!({
            "app_id": self.app_id,
            "sender": {"id": citizen.user_id},
            "user_id_by_app": citizen.user_id_by_app,
            "recipient": {"id": self.oa_id},
            "event_name": event_name,
            "message": message,
            "timestamp": timestamp,
        });
        Self::finish(event_name, msg_id.as_deref(), Some(&citizen.user_id), timestamp, &body)
    }

    pub fn user_send_text(&self, citizen: &Citizen, msg_id: &str, text: &str, now: DateTime<Utc>) -> OutgoingEvent {
        self.user_message("user_send_text", citizen, &json!({"text": text, "msg_id": msg_id}), now)
    }

    pub fn user_send_image(
        &self,
        citizen: &Citizen,
        msg_id: &str,
        url: &str,
        caption: Option<&str>,
        now: DateTime<Utc>,
    ) -> OutgoingEvent {
        let mut message = json!({
            "msg_id": msg_id,
            "attachments": [{"payload": {"thumbnail": url, "url": url}, "type": "image"}],
        });
        if let Some(caption) = caption {
            message["text"] = json!(caption);
        }
        self.user_message("user_send_image", citizen, &message, now)
    }

    pub fn user_send_location(
        &self,
        citizen: &Citizen,
        msg_id: &str,
        latitude: &str,
        longitude: &str,
        label: Option<&str>,
        now: DateTime<Utc>,
    ) -> OutgoingEvent {
        let mut message = json!({
            "attachments": [{
                "payload": {"coordinates": {"latitude": latitude, "longitude": longitude}},
                "type": "location",
            }],
            "msg_id": msg_id,
        });
        if let Some(label) = label {
            message["text"] = json!(label);
        }
        self.user_message("user_send_location", citizen, &message, now)
    }

    pub fn user_send_sticker(
        &self,
        citizen: &Citizen,
        msg_id: &str,
        sticker_id: &str,
        url: &str,
        now: DateTime<Utc>,
    ) -> OutgoingEvent {
        let message = json!({
            "msg_id": msg_id,
            "attachments": [{"payload": {"id": sticker_id, "url": url}, "type": "sticker"}],
        });
        self.user_message("user_send_sticker", citizen, &message, now)
    }

    pub fn user_send_file(
        &self,
        citizen: &Citizen,
        msg_id: &str,
        file: &FileInfo,
        now: DateTime<Utc>,
    ) -> OutgoingEvent {
        let message = json!({
            "msg_id": msg_id,
            "attachments": [{
                "payload": {
                    "url": file.url,
                    "size": file.size.to_string(),
                    "name": file.name,
                    "checksum": file.checksum,
                    "type": file.kind,
                },
                "type": "file",
            }],
        });
        self.user_message("user_send_file", citizen, &message, now)
    }

    fn follow_change(&self, event_name: &'static str, citizen: &Citizen, now: DateTime<Utc>) -> OutgoingEvent {
        let timestamp = millis(now);
        let body = json!({
            "oa_id": self.oa_id,
            "follower": {"id": citizen.user_id},
            "user_id_by_app": citizen.user_id_by_app,
            "event_name": event_name,
            "source": "oa_profile",
            "app_id": self.app_id,
            "timestamp": timestamp,
        });
        Self::finish(event_name, None, Some(&citizen.user_id), timestamp, &body)
    }

    pub fn follow(&self, citizen: &Citizen, now: DateTime<Utc>) -> OutgoingEvent {
        self.follow_change("follow", citizen, now)
    }

    pub fn unfollow(&self, citizen: &Citizen, now: DateTime<Utc>) -> OutgoingEvent {
        self.follow_change("unfollow", citizen, now)
    }

    pub fn user_click_chatnow(&self, citizen: &Citizen, now: DateTime<Utc>) -> OutgoingEvent {
        let timestamp = millis(now);
        let body = json!({
            "app_id": self.app_id,
            "oa_id": self.oa_id,
            "user_id": citizen.user_id,
            "user_id_by_app": citizen.user_id_by_app,
            "event_name": "user_click_chatnow",
            "timestamp": timestamp,
        });
        Self::finish("user_click_chatnow", None, Some(&citizen.user_id), timestamp, &body)
    }

    pub fn user_submit_info(&self, citizen: &Citizen, info: &InfoForm, now: DateTime<Utc>) -> OutgoingEvent {
        let timestamp = millis(now);
        let mut fields = json!({
            "name": info.name,
            "phone": info.phone,
            "full_address": {"user_city": info.city, "user_ward": info.ward, "user_address": info.address},
        });
        if let Some(dob) = &info.user_dob {
            fields["user_dob"] = json!(dob);
        }
        if let Some(gender) = &info.gender {
            fields["gender"] = json!(gender);
        }
        let body = json!({
            "sender": {"id": citizen.user_id},
            "recipient": {"id": self.oa_id},
            "event_name": "user_submit_info",
            "app_id": self.app_id,
            "timestamp": timestamp,
            "info": fields,
        });
        Self::finish("user_submit_info", None, Some(&citizen.user_id), timestamp, &body)
    }

    /// `user_feedback` for a rating template: no user id; `msg_id` and (phone channel) `tracking_id`.
    pub fn user_feedback(
        &self,
        send: &TemplateSend,
        rate: u8,
        note: &str,
        feedbacks: &[String],
        now: DateTime<Utc>,
    ) -> OutgoingEvent {
        let timestamp = millis(now);
        let mut message = json!({
            "rating_type": "csat",
            "option": "five_emotions",
            "note": note,
            "rate": rate,
            "submit_time": timestamp,
            "msg_id": send.msg_id,
            "feedbacks": feedbacks,
        });
        if let Some(tracking_id) = &send.tracking_id {
            message["tracking_id"] = json!(tracking_id);
        }
        let body = json!({
            "event_name": "user_feedback",
            "message": message,
            "app_id": self.app_id,
            "oa_id": self.oa_id,
            "timestamp": timestamp,
        });
        Self::finish("user_feedback", Some(&send.msg_id), send.user_id.as_deref(), timestamp, &body)
    }

    /// `user_received_message` for an OA chat message: sender = OA, recipient = citizen.
    pub fn user_received_message(&self, citizen: &Citizen, msg_id: &str, now: DateTime<Utc>) -> OutgoingEvent {
        let timestamp = millis(now);
        let body = json!({
            "sender": {"id": self.oa_id},
            "recipient": {"id": citizen.user_id},
            "event_name": "user_received_message",
            "message": {"msg_id": msg_id},
            "app_id": self.app_id,
            "timestamp": timestamp,
        });
        Self::finish("user_received_message", Some(msg_id), Some(&citizen.user_id), timestamp, &body)
    }

    /// `user_seen_message`: sender = OA, recipient = citizen, `message.msg_ids`.
    pub fn user_seen_message(&self, citizen: &Citizen, msg_ids: &[String], now: DateTime<Utc>) -> OutgoingEvent {
        let timestamp = millis(now);
        let body = json!({
            "sender": {"id": self.oa_id},
            "recipient": {"id": citizen.user_id},
            "event_name": "user_seen_message",
            "message": {"msg_ids": msg_ids},
            "app_id": self.app_id,
            "timestamp": timestamp,
        });
        Self::finish("user_seen_message", None, Some(&citizen.user_id), timestamp, &body)
    }

    /// `user_received_message` for a template: recipient = phone (ZNS) or user id (ZBS),
    /// `message{delivery_time, msg_id, tracking_id}`.
    pub fn template_received(&self, send: &TemplateSend, now: DateTime<Utc>) -> OutgoingEvent {
        let timestamp = millis(now);
        let recipient = match send.channel {
            TemplateChannel::Phone => send.phone.clone(),
            TemplateChannel::Uid => send.user_id.clone(),
        };
        let mut message = json!({"delivery_time": timestamp, "msg_id": send.msg_id});
        if let Some(tracking_id) = &send.tracking_id {
            message["tracking_id"] = json!(tracking_id);
        }
        let body = json!({
            "sender": {"id": self.oa_id},
            "recipient": {"id": recipient},
            "event_name": "user_received_message",
            "message": message,
            "app_id": self.app_id,
            "timestamp": timestamp,
        });
        Self::finish("user_received_message", Some(&send.msg_id), send.user_id.as_deref(), timestamp, &body)
    }
}

/// POSTs signed events to the configured webhook URL with Zalo's retry behaviour.
#[derive(Clone)]
pub struct WebhookSender {
    shared: Arc<Shared>,
    client: reqwest::Client,
}

impl WebhookSender {
    pub(crate) fn new(shared: Arc<Shared>) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(shared.config.webhook_timeout)
            .no_proxy()
            .build()
            .map_err(|e| anyhow::anyhow!("building the webhook HTTP client: {e}"))?;
        Ok(Self { shared, client })
    }

    /// The `X-ZEvent-Signature` value of a body.
    pub fn signature(&self, event: &OutgoingEvent) -> String {
        let config = &self.shared.config;
        sign(&config.app_id, &event.body, &event.timestamp, &config.oa_secret_key)
    }

    /// Delivers the event, retrying on the configured schedule until the receiver answers
    /// HTTP 200 or the retries run out; returns the recorded delivery.
    pub async fn deliver(&self, event: &OutgoingEvent) -> WebhookDelivery {
        let (id, url) = self.shared.with_state(|state, now| {
            let id = state.start_delivery(
                event.event_name,
                event.msg_id.as_deref(),
                event.user_id.as_deref(),
                &event.body,
                now,
            );
            (id, state.webhook_url().map(str::to_owned))
        });
        let outcome = match url {
            None => DeliveryOutcome::NoWebhook,
            Some(url) => self.attempt_all(id, &url, event).await,
        };
        if outcome == DeliveryOutcome::Failed {
            tracing::warn!(event = event.event_name, "simulated Zalo could not deliver a webhook event");
        }
        let finished = self.shared.with_state(|state, _| state.finish_delivery(id, outcome));
        finished.unwrap_or_else(|| WebhookDelivery {
            id,
            event_name: event.event_name.to_owned(),
            msg_id: event.msg_id.clone(),
            user_id: event.user_id.clone(),
            body: String::from_utf8_lossy(&event.body).into_owned(),
            created_at: self.shared.now(),
            attempts: Vec::new(),
            outcome,
        })
    }

    /// Delivers in the background (the chat page does not wait for the service).
    pub fn spawn(&self, event: OutgoingEvent) {
        let sender = self.clone();
        tokio::spawn(async move {
            sender.deliver(&event).await;
        });
    }

    async fn attempt_all(&self, id: u64, url: &str, event: &OutgoingEvent) -> DeliveryOutcome {
        let signature = self.signature(event);
        let schedule = self.shared.config.webhook_retry_schedule.clone();
        for num_retry in 0..=schedule.len() {
            if num_retry > 0 {
                tokio::time::sleep(schedule[num_retry - 1]).await;
            }
            let mut request = self
                .client
                .post(url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header(SIGNATURE_HEADER, &signature)
                .body(event.body.clone());
            if num_retry > 0 {
                request = request.header("num_retry", num_retry.to_string());
            }
            let result = request.send().await;
            let retry_number = u32::try_from(num_retry).unwrap_or(u32::MAX);
            let (status, error) = match result {
                Ok(response) => (Some(response.status().as_u16()), None),
                Err(e) => (None, Some(describe_error(&e))),
            };
            let at = self.shared.now();
            self.shared.with_state(|state, _| {
                state.record_attempt(id, DeliveryAttempt { num_retry: retry_number, at, status, error });
            });
            if status == Some(200) {
                return DeliveryOutcome::Delivered;
            }
        }
        DeliveryOutcome::Failed
    }
}

fn describe_error(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "timed out".to_owned()
    } else if error.is_connect() {
        "connection refused or unreachable".to_owned()
    } else {
        "request failed".to_owned()
    }
}
