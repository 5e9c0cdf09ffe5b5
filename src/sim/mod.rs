//! Zalo simulator: a fake Zalo (OA Open API, ZNS, OAuth, webhook sender and a phone-like chat
//! page) that the demo, the tests and the benchmarks use instead of the real one. State is in
//! memory; time comes from the injected clock. Mount [`Simulator::router`] at `/sim`.

use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use chrono::{DateTime, Utc};

use crate::clock::SharedClock;

pub mod api;
pub mod chat;
pub mod cli;
pub mod config;
pub mod control;
pub mod ids;
pub mod media;
pub mod oauth;
pub mod render;
pub mod request_body;
pub mod state;
pub mod webhook;

pub use config::SimConfig;
pub use state::{
    Action, Citizen, Content, DeliveryOutcome, Direction, Endpoint, Fault, InfoForm, NewCitizen, SimError, SimMessage,
    TemplateChannel, TemplateSend, TokenPair, WebhookDelivery,
};
pub use webhook::{EventFactory, OutgoingEvent, WebhookSender};

use state::{OAuthFailure, SimState};

/// Where a service finds the simulated hosts (the three `zalo.*` base URLs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrls {
    /// `zalo.api_base` (real: `https://openapi.zalo.me`).
    pub api_base: String,
    /// `zalo.oauth_base` (real: `https://oauth.zaloapp.com`).
    pub oauth_base: String,
    /// `zalo.business_api_base` (real: `https://business.openapi.zalo.me`).
    pub business_api_base: String,
}

impl BaseUrls {
    /// The base URLs below the URL at which the simulator is mounted.
    pub fn under(mount_url: &str) -> Self {
        let root = mount_url.trim_end_matches('/');
        Self {
            api_base: format!("{root}/openapi"),
            oauth_base: format!("{root}/oauth"),
            business_api_base: format!("{root}/business"),
        }
    }
}

/// Something a simulated citizen does in the Zalo app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CitizenAction {
    /// Types a message (`user_send_text`).
    Text(String),
    /// Taps a button or list element of an OA message.
    Tap {
        msg_id: String,
        target: TapTarget,
    },
    /// Taps the most recent button or list element with this title.
    TapTitle(String),
    /// Sends the sample photo (`user_send_image`).
    Image {
        caption: Option<String>,
    },
    /// Shares a location (`user_send_location`).
    Location {
        latitude: String,
        longitude: String,
        label: Option<String>,
    },
    /// Sends the sample sticker (`user_send_sticker`).
    Sticker,
    /// Sends the sample PDF (`user_send_file`).
    File,
    Follow,
    Unfollow,
    /// Taps "Nhắn tin" on the OA profile before ever chatting (`user_click_chatnow`).
    ChatNow,
    /// Answers a `request_user_info` form (`user_submit_info`).
    SubmitInfo(InfoForm),
    /// An OA message reached the phone (`user_received_message`).
    Received {
        msg_id: String,
    },
    /// OA messages were seen (`user_seen_message`); empty = every OA message.
    Seen {
        msg_ids: Vec<String>,
    },
}

/// Which part of an OA message is tapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TapTarget {
    Button(usize),
    Element(usize),
}

/// The simulated place of a shared location (People's Committee of Hậu Giang, Vị Thanh).
pub const SAMPLE_LOCATION: (&str, &str, &str) = ("9.7845", "105.4701", "UBND tỉnh Hậu Giang, Vị Thanh");

/// Called for every OA message the simulator accepted (chat message, ZBS or ZNS template),
/// with the endpoint and the citizen's user id when the send names one. Runs on the request's
/// task outside the state lock: keep it cheap (benchmarks take the time and return).
pub type SendObserver = Arc<dyn Fn(Endpoint, Option<&str>) + Send + Sync>;

/// What every part of the simulator shares.
pub(crate) struct Shared {
    pub(crate) config: SimConfig,
    clock: SharedClock,
    state: Mutex<SimState>,
    observer: std::sync::RwLock<Option<SendObserver>>,
}

impl Shared {
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    fn lock(&self) -> MutexGuard<'_, SimState> {
        // A poisoned lock only means a panic elsewhere; the in-memory state stays usable.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs `f` on the state with the current time; never hold it across an await.
    pub(crate) fn with_state<R>(&self, f: impl FnOnce(&mut SimState, DateTime<Utc>) -> R) -> R {
        let now = self.now();
        f(&mut self.lock(), now)
    }

    /// Tells the observer, if any, that an OA message was accepted.
    pub(crate) fn notify_send(&self, endpoint: Endpoint, user_id: Option<&str>) {
        let observer = self.observer.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(observer) = observer.as_ref() {
            observer(endpoint, user_id);
        }
    }
}

/// The Zalo simulator. Cheap to clone; all clones share one state.
#[derive(Clone)]
pub struct Simulator {
    shared: Arc<Shared>,
    sender: WebhookSender,
}

impl Simulator {
    /// A simulator with the configured OA, citizens and a first token pair.
    pub fn new(config: SimConfig, clock: SharedClock) -> anyhow::Result<Self> {
        let state = SimState::new(&config, clock.now());
        let shared =
            Arc::new(Shared { config, clock, state: Mutex::new(state), observer: std::sync::RwLock::new(None) });
        let sender = WebhookSender::new(shared.clone())?;
        Ok(Self { shared, sender })
    }

    pub fn config(&self) -> &SimConfig {
        &self.shared.config
    }

    /// The fake Zalo API, the chat page and the control API, to mount at `/sim` with
    /// `Router::nest` in a router of any state type (`S` is inferred there).
    pub fn router<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        api::routes().merge(chat::routes()).merge(control::routes()).with_state(self.clone())
    }

    pub fn webhook_sender(&self) -> WebhookSender {
        self.sender.clone()
    }

    /// The three base URLs below `config.public_url`.
    pub fn base_urls(&self) -> BaseUrls {
        BaseUrls::under(&self.shared.config.public_url)
    }

    pub(crate) fn with_state<R>(&self, f: impl FnOnce(&mut SimState, DateTime<Utc>) -> R) -> R {
        self.shared.with_state(f)
    }

    /// The simulator's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.shared.now()
    }

    fn factory(&self) -> EventFactory<'_> {
        EventFactory { app_id: &self.shared.config.app_id, oa_id: &self.shared.config.oa_id }
    }

    // ----- tokens -----

    /// The token pair issued at start (configure the service with its refresh token).
    pub fn initial_tokens(&self) -> TokenPair {
        self.with_state(|state, _| state.initial_tokens().clone())
    }

    /// Issues a new, independent token pair.
    pub fn issue_tokens(&self) -> TokenPair {
        self.with_state(SimState::issue_pair)
    }

    /// Makes every access token issued so far expired (the next API call gets -220).
    pub fn expire_access_token(&self) {
        self.with_state(SimState::expire_access_tokens);
    }

    /// Successful refresh-token grants so far.
    pub fn refresh_count(&self) -> u64 {
        self.with_state(|state, _| state.refresh_count())
    }

    /// `POST /oauth/v4/oa/access_token`: checks the app secret and app id, then grants.
    pub(crate) fn token_grant(
        &self,
        secret_key: Option<&str>,
        form: &std::collections::HashMap<String, String>,
    ) -> Result<TokenPair, OAuthFailure> {
        let config = &self.shared.config;
        let field = |key: &str| form.get(key).map(String::as_str).filter(|v| !v.is_empty());
        if field("app_id") != Some(config.app_id.as_str()) {
            return Err(OAuthFailure::for_code(-14002));
        }
        if secret_key != Some(config.app_secret.as_str()) {
            return Err(OAuthFailure::for_code(-14004));
        }
        match field("grant_type") {
            Some("refresh_token") => {
                let token = field("refresh_token").ok_or_else(|| OAuthFailure::for_code(-14001))?;
                self.with_state(|state, now| state.refresh(token, now))
            }
            Some("authorization_code") => {
                let code = field("code").ok_or_else(|| OAuthFailure::for_code(-14001))?;
                let verifier = field("code_verifier").ok_or_else(|| OAuthFailure::for_code(-14001))?;
                self.with_state(|state, now| state.redeem_code(code, verifier, now))
            }
            _ => Err(OAuthFailure::for_code(-14001)),
        }
    }

    pub(crate) fn issue_authorization_code(&self, code_challenge: &str) -> String {
        self.with_state(|state, now| state.issue_code(code_challenge, now))
    }

    /// Calls `observer` for every OA message accepted from now on (`None` stops it).
    pub fn observe_sends(&self, observer: Option<SendObserver>) {
        *self.shared.observer.write().unwrap_or_else(std::sync::PoisonError::into_inner) = observer;
    }

    pub(crate) fn notify_send(&self, endpoint: Endpoint, user_id: Option<&str>) {
        self.shared.notify_send(endpoint, user_id);
    }

    // ----- faults, counters, limits -----

    /// Queues a fault for the endpoint's next request (faults are consumed in order).
    pub fn inject_error(&self, endpoint: Endpoint, fault: Fault) {
        self.with_state(|state, _| state.inject(endpoint, fault));
    }

    /// Requests received by the endpoint so far (including refused ones).
    pub fn requests(&self, endpoint: Endpoint) -> u64 {
        self.with_state(|state, _| state.requests(endpoint))
    }

    /// Counts a request and takes the endpoint's next fault.
    pub(crate) fn begin_request(&self, endpoint: Endpoint) -> Option<Fault> {
        self.with_state(|state, _| {
            state.count_request(endpoint);
            state.take_fault(endpoint)
        })
    }

    /// OA API requests per minute, or `None` for no limit.
    pub fn set_rate_limit(&self, per_minute: Option<u32>) {
        self.with_state(|state, _| state.set_rate_limit(per_minute));
    }

    /// Where webhook events go from now on.
    pub fn set_webhook_url(&self, url: Option<String>) {
        self.with_state(|state, _| state.set_webhook_url(url));
    }

    pub fn webhook_url(&self) -> Option<String> {
        self.with_state(|state, _| state.webhook_url().map(str::to_owned))
    }

    pub fn template_sends(&self) -> Vec<TemplateSend> {
        self.with_state(|state, _| state.template_sends().to_vec())
    }

    /// Webhook deliveries, oldest first (the last 10,000).
    pub fn deliveries(&self) -> Vec<WebhookDelivery> {
        self.with_state(|state, _| state.deliveries().cloned().collect())
    }

    // ----- citizens -----

    /// Adds a simulated citizen.
    pub fn create_citizen(&self, display_name: &str, phone: Option<&str>) -> Citizen {
        self.with_state(|state, now| state.create_citizen(&NewCitizen::new(display_name, phone), now))
    }

    pub fn citizens(&self) -> Vec<Citizen> {
        self.with_state(|state, _| state.citizens())
    }

    pub fn citizen(&self, user_id: &str) -> Option<Citizen> {
        self.with_state(|state, _| state.citizen(user_id).cloned())
    }

    /// The citizen's conversation, oldest first (empty for an unknown user).
    pub fn messages_for(&self, user_id: &str) -> Vec<SimMessage> {
        self.with_state(|state, _| state.messages(user_id).map(<[SimMessage]>::to_vec).unwrap_or_default())
    }

    /// Messages the OA sent to the citizen, oldest first.
    pub fn oa_messages_for(&self, user_id: &str) -> Vec<SimMessage> {
        self.messages_for(user_id).into_iter().filter(|m| m.direction == Direction::FromOa).collect()
    }

    /// Changes whenever the citizen's conversation changes (0 for an unknown user).
    pub fn conversation_version(&self, user_id: &str) -> u64 {
        self.with_state(|state, _| state.version(user_id).unwrap_or(0))
    }

    /// Sets (or clears) the citizen's last interaction, e.g. 8 days ago to test -230.
    pub fn set_last_interaction(&self, user_id: &str, at: Option<DateTime<Utc>>) -> Result<(), SimError> {
        self.with_state(|state, _| state.set_last_interaction(user_id, at))
    }

    // ----- what citizens do -----

    /// Records what the citizen did and builds the webhook event, without sending it.
    pub fn prepare(&self, user_id: &str, action: CitizenAction) -> Result<OutgoingEvent, SimError> {
        let factory = self.factory();
        let public_url = self.shared.config.public_url.clone();
        let oa_name = self.shared.config.oa_name.clone();
        self.with_state(|state, now| actions::apply(state, &factory, &public_url, &oa_name, user_id, action, now))
    }

    /// Does the action and delivers its webhook event (waiting for every retry).
    pub async fn act(&self, user_id: &str, action: CitizenAction) -> Result<WebhookDelivery, SimError> {
        let event = self.prepare(user_id, action)?;
        Ok(self.sender.deliver(&event).await)
    }

    /// Does the action; its webhook event is delivered in the background.
    pub fn act_in_background(&self, user_id: &str, action: CitizenAction) -> Result<OutgoingEvent, SimError> {
        let event = self.prepare(user_id, action)?;
        self.sender.spawn(event.clone());
        Ok(event)
    }

    pub async fn send_text(&self, user_id: &str, text: &str) -> Result<WebhookDelivery, SimError> {
        self.act(user_id, CitizenAction::Text(text.to_owned())).await
    }

    /// Taps the most recent OA button or list element titled `title` (`oa.query.*` only).
    pub async fn tap_button(&self, user_id: &str, title: &str) -> Result<WebhookDelivery, SimError> {
        self.act(user_id, CitizenAction::TapTitle(title.to_owned())).await
    }

    pub async fn follow(&self, user_id: &str) -> Result<WebhookDelivery, SimError> {
        self.act(user_id, CitizenAction::Follow).await
    }

    pub async fn unfollow(&self, user_id: &str) -> Result<WebhookDelivery, SimError> {
        self.act(user_id, CitizenAction::Unfollow).await
    }

    pub async fn submit_info(&self, user_id: &str, info: InfoForm) -> Result<WebhookDelivery, SimError> {
        self.act(user_id, CitizenAction::SubmitInfo(info)).await
    }

    /// Records the answer to a rating template and builds its `user_feedback` event.
    pub fn prepare_rating(
        &self,
        msg_id: &str,
        rate: u8,
        note: Option<&str>,
        feedbacks: &[String],
    ) -> Result<OutgoingEvent, SimError> {
        let factory = self.factory();
        self.with_state(|state, now| {
            let note_text = note.map(str::trim).filter(|n| !n.is_empty());
            let send = state.rate_template(msg_id, rate, note_text.map(str::to_owned), now)?;
            if let Some(user_id) = &send.user_id {
                state.touch(user_id, now)?;
            }
            Ok(factory.user_feedback(&send, rate, note_text.unwrap_or(""), feedbacks, now))
        })
    }

    /// Answers a rating template (`user_feedback`) and delivers the event.
    pub async fn answer_rating(&self, msg_id: &str, rate: u8, note: Option<&str>) -> Result<WebhookDelivery, SimError> {
        let event = self.prepare_rating(msg_id, rate, note, &[])?;
        Ok(self.sender.deliver(&event).await)
    }

    /// Builds the template form of `user_received_message` (the template reached the phone).
    pub fn prepare_template_received(&self, msg_id: &str) -> Result<OutgoingEvent, SimError> {
        let factory = self.factory();
        self.with_state(|state, now| state.template(msg_id).map(|send| factory.template_received(send, now)))
    }

    /// The template reached the phone: delivers the template form of `user_received_message`.
    pub async fn deliver_template(&self, msg_id: &str) -> Result<WebhookDelivery, SimError> {
        let event = self.prepare_template_received(msg_id)?;
        Ok(self.sender.deliver(&event).await)
    }
}

/// The rules of each citizen action: what is recorded, and the event it produces.
mod actions {
    use chrono::{DateTime, Utc};

    use super::{CitizenAction, TapTarget};
    use crate::sim::ids;
    use crate::sim::media;
    use crate::sim::state::{Action, Content, Direction, SimError, SimState};
    use crate::sim::webhook::{EventFactory, OutgoingEvent};
    use crate::zalo::phone::normalize_vn_phone;

    pub(super) fn apply(
        state: &mut SimState,
        factory: &EventFactory<'_>,
        public_url: &str,
        oa_name: &str,
        user_id: &str,
        action: CitizenAction,
        now: DateTime<Utc>,
    ) -> Result<OutgoingEvent, SimError> {
        let citizen = state.require_citizen(user_id)?.clone();
        let msg_id = ids::message_id();
        let from_citizen = Direction::FromCitizen;
        let event = match action {
            CitizenAction::Text(text) => {
                if text.trim().is_empty() {
                    return Err(SimError::EmptyMessage);
                }
                state.push_message(user_id, &msg_id, from_citizen, Content::Text { text: text.clone() }, now)?;
                factory.user_send_text(&citizen, &msg_id, &text, now)
            }
            CitizenAction::Tap { msg_id: tapped, target } => {
                let (title, action) = find_target(state, user_id, &tapped, target)?;
                return tap(state, factory, user_id, &title, &action, now);
            }
            CitizenAction::TapTitle(title) => {
                let action = find_by_title(state, user_id, &title)?;
                return tap(state, factory, user_id, &title, &action, now);
            }
            CitizenAction::Image { caption } => {
                let url = format!("{public_url}/{}", media::PHOTO_PATH);
                let caption = caption.filter(|c| !c.trim().is_empty());
                let content = Content::Image { url: Some(url.clone()), attachment_id: None, caption: caption.clone() };
                state.push_message(user_id, &msg_id, from_citizen, content, now)?;
                factory.user_send_image(&citizen, &msg_id, &url, caption.as_deref(), now)
            }
            CitizenAction::Location { latitude, longitude, label } => {
                let valid = |v: &str, max: f64| v.trim().parse::<f64>().is_ok_and(|f| f.abs() <= max);
                if !valid(&latitude, 90.0) || !valid(&longitude, 180.0) {
                    return Err(SimError::InvalidLocation);
                }
                let content = Content::Location {
                    latitude: latitude.clone(),
                    longitude: longitude.clone(),
                    label: label.clone(),
                };
                state.push_message(user_id, &msg_id, from_citizen, content, now)?;
                factory.user_send_location(&citizen, &msg_id, &latitude, &longitude, label.as_deref(), now)
            }
            CitizenAction::Sticker => {
                let url = format!("{public_url}/{}", media::STICKER_PATH);
                let content = Content::Sticker { id: media::STICKER_ID.to_owned(), url: url.clone() };
                state.push_message(user_id, &msg_id, from_citizen, content, now)?;
                factory.user_send_sticker(&citizen, &msg_id, media::STICKER_ID, &url, now)
            }
            CitizenAction::File => {
                let file = media::sample_file(public_url);
                let content = Content::File { name: Some(file.name.clone()), url: Some(file.url.clone()), token: None };
                state.push_message(user_id, &msg_id, from_citizen, content, now)?;
                factory.user_send_file(&citizen, &msg_id, &file, now)
            }
            CitizenAction::Follow => {
                state.set_follower(user_id, true)?;
                let text = format!("Bạn đã quan tâm {oa_name}");
                state.push_message(user_id, &msg_id, from_citizen, Content::Notice { text }, now)?;
                factory.follow(&citizen, now)
            }
            CitizenAction::Unfollow => {
                state.set_follower(user_id, false)?;
                let text = format!("Bạn đã bỏ quan tâm {oa_name}");
                state.push_message(user_id, &msg_id, from_citizen, Content::Notice { text }, now)?;
                // Unfollowing is not an interaction that opens the window.
                return Ok(factory.unfollow(&citizen, now));
            }
            CitizenAction::ChatNow => {
                if state.messages(user_id)?.iter().any(|m| !matches!(m.content, Content::Notice { .. })) {
                    return Err(SimError::AlreadyChatted);
                }
                let text = "Bạn đã bấm «Nhắn tin» trên trang của Official Account".to_owned();
                state.push_message(user_id, &msg_id, from_citizen, Content::Notice { text }, now)?;
                factory.user_click_chatnow(&citizen, now)
            }
            CitizenAction::SubmitInfo(mut info) => {
                if info.name.trim().is_empty() || info.phone.trim().is_empty() {
                    return Err(SimError::IncompleteInfo);
                }
                info.phone = normalize_vn_phone(&info.phone).unwrap_or_else(|_| info.phone.trim().to_owned());
                state.mark_info_answered(user_id, None)?;
                state.set_shared_info(user_id, info.clone())?;
                state.push_message(
                    user_id,
                    &msg_id,
                    from_citizen,
                    Content::SubmittedInfo { info: info.clone() },
                    now,
                )?;
                factory.user_submit_info(&citizen, &info, now)
            }
            CitizenAction::Received { msg_id: received } => {
                state.oa_message(user_id, &received)?;
                return Ok(factory.user_received_message(&citizen, &received, now));
            }
            CitizenAction::Seen { msg_ids } => {
                let msg_ids = if msg_ids.is_empty() {
                    state
                        .messages(user_id)?
                        .iter()
                        .filter(|m| m.direction == Direction::FromOa)
                        .map(|m| m.msg_id.clone())
                        .collect()
                } else {
                    for id in &msg_ids {
                        state.oa_message(user_id, id)?;
                    }
                    msg_ids
                };
                return Ok(factory.user_seen_message(&citizen, &msg_ids, now));
            }
        };
        state.touch(user_id, now)?;
        Ok(event)
    }

    /// A tap on a query button sends its payload as `user_send_text` (reference §2).
    fn tap(
        state: &mut SimState,
        factory: &EventFactory<'_>,
        user_id: &str,
        title: &str,
        action: &Action,
        now: DateTime<Utc>,
    ) -> Result<OutgoingEvent, SimError> {
        let Some((payload, visible)) = action.query() else {
            return Err(SimError::NotAQuery(title.to_owned()));
        };
        let msg_id = ids::message_id();
        let content = Content::Tap { title: title.to_owned(), payload: payload.to_owned(), visible };
        state.push_message(user_id, &msg_id, Direction::FromCitizen, content, now)?;
        state.touch(user_id, now)?;
        let citizen = state.require_citizen(user_id)?;
        Ok(factory.user_send_text(citizen, &msg_id, payload, now))
    }

    /// Buttons and list elements of a message, with their titles and actions.
    fn tappables(content: &Content) -> Vec<(TapTarget, &str, Option<&Action>)> {
        match content {
            Content::Buttons { buttons, .. } => buttons
                .iter()
                .enumerate()
                .map(|(i, b)| (TapTarget::Button(i), b.title.as_str(), Some(&b.action)))
                .collect(),
            Content::List { elements, buttons, .. } => elements
                .iter()
                .enumerate()
                .map(|(i, e)| (TapTarget::Element(i), e.title.as_str(), e.action.as_ref()))
                .chain(
                    buttons.iter().enumerate().map(|(i, b)| (TapTarget::Button(i), b.title.as_str(), Some(&b.action))),
                )
                .collect(),
            _ => Vec::new(),
        }
    }

    fn find_target(
        state: &SimState,
        user_id: &str,
        msg_id: &str,
        target: TapTarget,
    ) -> Result<(String, Action), SimError> {
        let message = state.oa_message(user_id, msg_id)?;
        tappables(&message.content)
            .into_iter()
            .find(|(t, _, _)| *t == target)
            .and_then(|(_, title, action)| action.map(|a| (title.to_owned(), a.clone())))
            .ok_or_else(|| SimError::NoSuchTarget { msg_id: msg_id.to_owned(), target: format!("{target:?}") })
    }

    fn find_by_title(state: &SimState, user_id: &str, title: &str) -> Result<Action, SimError> {
        let wanted = title.trim();
        state
            .messages(user_id)?
            .iter()
            .rev()
            .filter(|m| m.direction == Direction::FromOa)
            .find_map(|m| {
                tappables(&m.content)
                    .into_iter()
                    .find(|(_, t, a)| t.trim() == wanted && a.is_some())
                    .and_then(|(_, _, a)| a.cloned())
            })
            .ok_or_else(|| SimError::NoSuchButton(title.to_owned()))
    }
}
