//! In-memory state of the Zalo simulator: simulated citizens and their conversations with the
//! OA, issued tokens (access, single-use refresh, authorization codes with PKCE), the fault
//! injection queues, request counters, the rate limit, quotas, template sends and the log of
//! webhook deliveries. Plain data and rules; every method takes `now`, nothing does I/O.

use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Asia::Ho_Chi_Minh;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::sim::config::SimConfig;
use crate::sim::ids;
use crate::zalo::phone::normalize_vn_phone;

/// Webhook deliveries kept for inspection (oldest dropped first).
const MAX_DELIVERIES: usize = 10_000;

/// A citizen to create.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct NewCitizen {
    pub display_name: String,
    #[serde(default)]
    pub phone: Option<String>,
}

impl NewCitizen {
    pub fn new(display_name: &str, phone: Option<&str>) -> Self {
        Self { display_name: display_name.to_owned(), phone: phone.map(str::to_owned) }
    }
}

/// A simulated Zalo user as the OA sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Citizen {
    /// OA-scoped user id (`sender.id`, `recipient.user_id`).
    pub user_id: String,
    pub user_id_by_app: String,
    pub display_name: String,
    /// `84…` when the number given was a valid Vietnamese mobile, otherwise as given.
    pub phone: Option<String>,
    pub follower: bool,
    /// Last interaction with the OA (follow, a message, a button tap, …).
    pub last_interaction: Option<DateTime<Utc>>,
    /// What the citizen shared through a `request_user_info` form.
    pub shared_info: Option<InfoForm>,
    pub created_at: DateTime<Utc>,
}

/// The `request_user_info` form as the citizen fills it (→ `user_submit_info`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct InfoForm {
    pub name: String,
    pub phone: String,
    pub address: String,
    pub ward: String,
    pub city: String,
    /// "DD/MM/YYYY".
    pub user_dob: Option<String>,
    pub gender: Option<String>,
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    FromCitizen,
    FromOa,
}

/// One entry of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SimMessage {
    /// Increases with every message of the simulator (for polling with `after`).
    pub seq: u64,
    /// Zalo's message id (`message_id` of a send, `msg_id` of an event).
    pub msg_id: String,
    pub direction: Direction,
    pub at: DateTime<Utc>,
    pub content: Content,
}

/// What a message holds, with the OA's templates kept structured.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Content {
    Text {
        text: String,
    },
    /// Text with up to 5 buttons (CS message without `template_type`).
    Buttons {
        text: Option<String>,
        buttons: Vec<SimButton>,
    },
    /// List template.
    List {
        text: Option<String>,
        elements: Vec<SimElement>,
        buttons: Vec<SimButton>,
    },
    /// The OA asks for name, phone and address; `answered` once the citizen submitted.
    RequestUserInfo {
        text: Option<String>,
        title: String,
        subtitle: Option<String>,
        image_url: Option<String>,
        answered: bool,
    },
    /// An image (OA media template, or a photo the citizen sent).
    Image {
        url: Option<String>,
        attachment_id: Option<String>,
        caption: Option<String>,
    },
    /// An OA gif or sticker media template.
    Media {
        media_type: String,
        url: Option<String>,
        attachment_id: Option<String>,
        caption: Option<String>,
    },
    /// A file (OA: the upload token; citizen: name and URL).
    File {
        name: Option<String>,
        url: Option<String>,
        token: Option<String>,
    },
    /// A ZNS (by phone) or ZBS (by user id) template message; `rating` once answered.
    Template {
        channel: TemplateChannel,
        template_id: String,
        template_data: Value,
        tracking_id: Option<String>,
        rating: Option<u8>,
    },
    /// A button or list element the citizen tapped; `visible` for `oa.query.show`.
    Tap {
        title: String,
        payload: String,
        visible: bool,
    },
    Location {
        latitude: String,
        longitude: String,
        label: Option<String>,
    },
    Sticker {
        id: String,
        url: String,
    },
    SubmittedInfo {
        info: InfoForm,
    },
    /// The citizen's answer to a rating template.
    Rating {
        template_msg_id: String,
        rate: u8,
        note: Option<String>,
    },
    /// Follow, unfollow, "Nhắn tin" tap: shown as a note in the conversation.
    Notice {
        text: String,
    },
}

/// A button of an OA message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SimButton {
    pub title: String,
    pub action: Action,
}

/// An element of a list template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SimElement {
    pub title: String,
    pub subtitle: Option<String>,
    pub image_url: Option<String>,
    pub action: Option<Action>,
}

/// What tapping a button or list element does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Action {
    /// `oa.query.show`: the payload is sent and shown in the chat.
    QueryShow(String),
    /// `oa.query.hide`: the payload is sent, hidden.
    QueryHide(String),
    /// `oa.open.url`.
    OpenUrl(String),
    /// `oa.open.phone`.
    OpenPhone(String),
    /// `oa.open.sms`.
    OpenSms { phone: String, content: String },
}

impl Action {
    /// The text sent to the OA as `user_send_text` when tapped, and whether it shows.
    pub fn query(&self) -> Option<(&str, bool)> {
        match self {
            Action::QueryShow(payload) => Some((payload, true)),
            Action::QueryHide(payload) => Some((payload, false)),
            _ => None,
        }
    }
}

/// How a template message was addressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TemplateChannel {
    /// `POST /v3.0/oa/message/template` with `user_id` (ZBS).
    Uid,
    /// `POST business…/message/template` with `phone` and `tracking_id` (ZNS).
    Phone,
}

/// A template message the OA sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TemplateSend {
    pub msg_id: String,
    pub channel: TemplateChannel,
    pub user_id: Option<String>,
    /// Normalized `84…` (phone channel).
    pub phone: Option<String>,
    pub template_id: String,
    pub template_data: Value,
    pub tracking_id: Option<String>,
    /// `"mode":"development"` was set.
    pub development: bool,
    pub sent_at: DateTime<Utc>,
    pub rating: Option<u8>,
}

/// The simulated API endpoints (for counters and fault injection).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Endpoint {
    #[serde(rename = "oa/message/cs")]
    MessageCs,
    #[serde(rename = "oa/message/template")]
    MessageTemplate,
    #[serde(rename = "oa/user/detail")]
    UserDetail,
    #[serde(rename = "oa/quota/message")]
    QuotaMessage,
    #[serde(rename = "zns/message/template")]
    ZnsTemplate,
    #[serde(rename = "oauth/access_token")]
    AccessToken,
    #[serde(rename = "oauth/permission")]
    Permission,
}

/// Which Zalo host an endpoint belongs to (their error families differ).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Host {
    OpenApi,
    Business,
    OAuth,
}

impl Endpoint {
    pub const ALL: [Endpoint; 7] = [
        Endpoint::MessageCs,
        Endpoint::MessageTemplate,
        Endpoint::UserDetail,
        Endpoint::QuotaMessage,
        Endpoint::ZnsTemplate,
        Endpoint::AccessToken,
        Endpoint::Permission,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Endpoint::MessageCs => "oa/message/cs",
            Endpoint::MessageTemplate => "oa/message/template",
            Endpoint::UserDetail => "oa/user/detail",
            Endpoint::QuotaMessage => "oa/quota/message",
            Endpoint::ZnsTemplate => "zns/message/template",
            Endpoint::AccessToken => "oauth/access_token",
            Endpoint::Permission => "oauth/permission",
        }
    }

    /// Whether a successful call is an OA message reaching a citizen (chat or template).
    pub fn is_send(self) -> bool {
        matches!(self, Endpoint::MessageCs | Endpoint::MessageTemplate | Endpoint::ZnsTemplate)
    }

    pub fn host(self) -> Host {
        match self {
            Endpoint::MessageCs | Endpoint::MessageTemplate | Endpoint::UserDetail | Endpoint::QuotaMessage => {
                Host::OpenApi
            }
            Endpoint::ZnsTemplate => Host::Business,
            Endpoint::AccessToken | Endpoint::Permission => Host::OAuth,
        }
    }
}

/// A failure injected into the next request of an endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// Answer HTTP 200 with this Zalo error code (OAuth: an OAuth error body).
    Code(i64),
    /// Answer this HTTP status (a 5xx) with no Zalo body.
    Http(u16),
    /// Wait this many milliseconds, then handle the request normally.
    DelayMs(u64),
}

impl Fault {
    /// -216 "Access token is invalid".
    pub fn invalid_token() -> Self {
        Fault::Code(-216)
    }

    /// -220 "access_token is expired or removed".
    pub fn expired_token() -> Self {
        Fault::Code(-220)
    }

    /// -32 rate limit.
    pub fn rate_limited() -> Self {
        Fault::Code(-32)
    }

    /// -230 outside the 7-day window.
    pub fn outside_window() -> Self {
        Fault::Code(-230)
    }

    pub fn delay(duration: std::time::Duration) -> Self {
        Fault::DelayMs(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX))
    }
}

/// An error answer of the OA Open API or ZNS host (`{"error":code,"message":…}`, HTTP 200).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZaloFailure {
    pub code: i64,
    pub message: String,
}

impl ZaloFailure {
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }

    /// -201 "`field` is invalid!".
    pub fn invalid(field: &str) -> Self {
        Self::new(-201, format!("{field} is invalid!"))
    }

    /// The failure for an error code, with Zalo's English message for it.
    pub fn for_code(code: i64) -> Self {
        Self::new(code, api_error_message(code))
    }
}

/// Zalo's messages for the codes the simulator produces (reference §4; ✓ ones verbatim).
pub fn api_error_message(code: i64) -> &'static str {
    match code {
        -32 => "Your application reached limit call api",
        -108 => "Phone number is invalid",
        -109 => "Template id is invalid",
        -111 => "Template data is empty",
        -1121 => "Parameter exceeds max length",
        -124 => "Access token is invalid",
        -144 => "OA has reached the daily limit of template messages",
        -201 => "Parameters are invalid!",
        -211 => "Out of quota",
        -216 => "Access token is invalid",
        -220 => "access_token is expired or removed",
        -230 => "User has not interacted with the OA in the past 7 days",
        -232 => "User has not interacted with the OA, or the last interaction has expired",
        -233 => "message type is invalid or not support",
        _ => "Error",
    }
}

/// An error answer of the OAuth host (`{"error","error_name","error_reason",…}`, HTTP 200).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthFailure {
    pub code: i64,
    pub name: String,
    pub reason: String,
}

impl OAuthFailure {
    /// The failure for an OAuth error code. -14002, -14003, -14014 and -14020 come from the
    /// reference; -14001, -14004, -14005 and -14019 are the simulator's own (UNVERIFIED).
    pub fn for_code(code: i64) -> Self {
        let (name, reason) = match code {
            -14001 => ("Invalid parameter", "A required parameter is missing or malformed"),
            -14002 => ("Invalid appId", "The app_id is not the app of this Official Account"),
            -14003 => ("Invalid redirect uri", "The redirect_uri is missing or invalid"),
            -14004 => ("Invalid secret key", "The secret_key header is not the app secret"),
            -14005 => ("Invalid authorization code", "The code is unknown, expired or already used"),
            -14014 => ("Invalid refresh token", "The refresh token is unknown or expired"),
            -14019 => ("Invalid code verifier", "The code_verifier does not match the code_challenge"),
            -14020 => ("Refresh token was used", "A refresh token can be used only once"),
            _ => ("Error", "The request failed"),
        };
        Self { code, name: name.to_owned(), reason: reason.to_owned() }
    }
}

/// A phone number as ZNS accepts it (reference §6: `84…`, `+84…`, `0…`, or the bare
/// subscriber number), normalized to `84…`; `None` when it is not a Vietnamese mobile.
pub fn zns_phone(input: &str) -> Option<String> {
    normalize_vn_phone(input).ok().or_else(|| {
        let digits = input.trim();
        let bare = digits.len() == 9 && digits.bytes().all(|b| b.is_ascii_digit());
        bare.then(|| normalize_vn_phone(&format!("0{digits}")).ok()).flatten()
    })
}

/// A freshly issued token pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds, as the OAuth response carries them (as a string on the wire).
    pub expires_in: i64,
    pub access_expires_at: DateTime<Utc>,
}

/// Why an access token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenProblem {
    MissingOrUnknown,
    Expired,
}

/// Where the citizen stands in the consultation windows (reference §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    /// ≤ 48 h since the last interaction: free.
    Free,
    /// 48 h – 7 days: allowed, billed.
    Billed,
    /// > 7 days: -230.
    Closed,
    /// No interaction ever: -232.
    Never,
}

/// Result of the rate limiter for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateDecision {
    Unlimited,
    Allowed { limit: u32, remain: u32 },
    Limited { limit: u32 },
}

/// `data.quota` of a consultation send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendQuota {
    pub quota_type: &'static str,
    pub remain: u32,
    pub total: u32,
}

/// A successful consultation or ZBS send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub message_id: String,
    pub user_id: String,
    pub sent_time_ms: i64,
    pub quota: SendQuota,
}

/// A successful ZNS send by phone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZnsSent {
    pub msg_id: String,
    pub sent_time_ms: i64,
    pub daily_quota: u32,
    pub remaining_quota: u32,
}

/// Outcome of one webhook delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryOutcome {
    Pending,
    /// The receiver answered HTTP 200.
    Delivered,
    /// Every attempt failed.
    Failed,
    /// No webhook URL is configured.
    NoWebhook,
}

/// One POST of a webhook event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeliveryAttempt {
    /// 0 for the first attempt; the `num_retry` header value of a retry.
    pub num_retry: u32,
    pub at: DateTime<Utc>,
    pub status: Option<u16>,
    pub error: Option<String>,
}

/// A webhook event and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebhookDelivery {
    pub id: u64,
    pub event_name: String,
    pub msg_id: Option<String>,
    pub user_id: Option<String>,
    /// The exact signed body.
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub attempts: Vec<DeliveryAttempt>,
    pub outcome: DeliveryOutcome,
}

/// Why a control action could not be done.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    #[error("no simulated citizen with user id {0}")]
    UnknownCitizen(String),
    #[error("no message {0} in this conversation")]
    UnknownMessage(String),
    #[error("no button or list element titled \"{0}\" in the OA's messages")]
    NoSuchButton(String),
    #[error("no template message with id {0}")]
    UnknownTemplate(String),
    #[error("the template message {0} was already rated")]
    AlreadyRated(String),
    #[error("a rating is 1 to 5, not {0}")]
    InvalidRating(u8),
    #[error("an empty message cannot be sent")]
    EmptyMessage,
    #[error("the information form needs a name and a phone number")]
    IncompleteInfo,
    #[error("latitude and longitude must be decimal degrees")]
    InvalidLocation,
    #[error("Zalo sends user_click_chatnow only to users who never chatted with the OA")]
    AlreadyChatted,
    #[error("\"{0}\" opens a link, the dialer or SMS in the app; it sends nothing to the OA")]
    NotAQuery(String),
    #[error("no citizen action `{0}`")]
    UnknownAction(String),
    #[error("message {msg_id} has no button or element {target}")]
    NoSuchTarget { msg_id: String, target: String },
}

#[derive(Debug, Clone, Default)]
struct Conversation {
    messages: Vec<SimMessage>,
    version: u64,
}

#[derive(Debug, Clone)]
struct RefreshRecord {
    expires_at: DateTime<Utc>,
    used: bool,
}

#[derive(Debug, Clone)]
struct AuthCode {
    challenge: String,
    expires_at: DateTime<Utc>,
    used: bool,
}

/// Lifetimes, windows and quotas copied from the configuration.
#[derive(Debug, Clone)]
struct Limits {
    access_token_ttl: Duration,
    refresh_token_ttl: Duration,
    authorization_code_ttl: Duration,
    free_window: Duration,
    cs_window: Duration,
    billed_cs_quota: u32,
    template_daily_quota: u32,
}

/// Everything the simulator remembers.
#[derive(Debug)]
pub struct SimState {
    limits: Limits,
    citizens: HashMap<String, Citizen>,
    citizen_order: Vec<String>,
    conversations: HashMap<String, Conversation>,
    next_seq: u64,
    access_tokens: HashMap<String, DateTime<Utc>>,
    refresh_tokens: HashMap<String, RefreshRecord>,
    codes: HashMap<String, AuthCode>,
    initial_tokens: TokenPair,
    faults: HashMap<Endpoint, VecDeque<Fault>>,
    requests: HashMap<Endpoint, u64>,
    refreshes: u64,
    rate_limit: Option<u32>,
    rate_window: i64,
    rate_count: u32,
    billed_remain: u32,
    template_day: Option<NaiveDate>,
    templates_today: u32,
    templates: Vec<TemplateSend>,
    template_index: HashMap<String, usize>,
    deliveries: VecDeque<WebhookDelivery>,
    next_delivery: u64,
    webhook_url: Option<String>,
}

impl SimState {
    /// State at start: the initial token pair and the configured citizens.
    pub fn new(config: &SimConfig, now: DateTime<Utc>) -> Self {
        let limits = Limits {
            access_token_ttl: config.access_token_ttl,
            refresh_token_ttl: config.refresh_token_ttl,
            authorization_code_ttl: config.authorization_code_ttl,
            free_window: config.free_window,
            cs_window: config.cs_window,
            billed_cs_quota: config.billed_cs_quota,
            template_daily_quota: config.template_daily_quota,
        };
        let mut state = Self {
            limits,
            citizens: HashMap::new(),
            citizen_order: Vec::new(),
            conversations: HashMap::new(),
            next_seq: 1,
            access_tokens: HashMap::new(),
            refresh_tokens: HashMap::new(),
            codes: HashMap::new(),
            initial_tokens: TokenPair {
                access_token: String::new(),
                refresh_token: String::new(),
                expires_in: 0,
                access_expires_at: now,
            },
            faults: HashMap::new(),
            requests: HashMap::new(),
            refreshes: 0,
            rate_limit: config.rate_limit_per_minute,
            rate_window: 0,
            rate_count: 0,
            billed_remain: config.billed_cs_quota,
            template_day: None,
            templates_today: 0,
            templates: Vec::new(),
            template_index: HashMap::new(),
            deliveries: VecDeque::new(),
            next_delivery: 1,
            webhook_url: config.webhook_url.clone(),
        };
        state.initial_tokens =
            state.issue_pair_with(config.initial_access_token.clone(), config.initial_refresh_token.clone(), now);
        for citizen in &config.citizens {
            state.create_citizen(citizen, now);
        }
        state
    }

    // ----- citizens and conversations -----

    /// Adds a citizen with fresh ids. A valid Vietnamese mobile is stored as `84…`.
    pub fn create_citizen(&mut self, new: &NewCitizen, now: DateTime<Utc>) -> Citizen {
        let phone = new
            .phone
            .as_deref()
            .map(str::trim)
            .filter(|phone| !phone.is_empty())
            .map(|phone| normalize_vn_phone(phone).unwrap_or_else(|_| phone.to_owned()));
        let name = new.display_name.trim();
        let citizen = Citizen {
            user_id: ids::digit_id(),
            user_id_by_app: ids::digit_id(),
            display_name: if name.is_empty() { "Người dùng Zalo".to_owned() } else { name.to_owned() },
            phone,
            follower: false,
            last_interaction: None,
            shared_info: None,
            created_at: now,
        };
        self.citizen_order.push(citizen.user_id.clone());
        self.conversations.insert(citizen.user_id.clone(), Conversation::default());
        self.citizens.insert(citizen.user_id.clone(), citizen.clone());
        citizen
    }

    pub fn citizen(&self, user_id: &str) -> Option<&Citizen> {
        self.citizens.get(user_id)
    }

    /// The citizen or [`SimError::UnknownCitizen`].
    pub fn require_citizen(&self, user_id: &str) -> Result<&Citizen, SimError> {
        self.citizens.get(user_id).ok_or_else(|| SimError::UnknownCitizen(user_id.to_owned()))
    }

    /// Citizens in creation order.
    pub fn citizens(&self) -> Vec<Citizen> {
        self.citizen_order.iter().filter_map(|id| self.citizens.get(id)).cloned().collect()
    }

    fn citizen_mut(&mut self, user_id: &str) -> Result<&mut Citizen, SimError> {
        self.citizens.get_mut(user_id).ok_or_else(|| SimError::UnknownCitizen(user_id.to_owned()))
    }

    pub fn set_last_interaction(&mut self, user_id: &str, at: Option<DateTime<Utc>>) -> Result<(), SimError> {
        self.citizen_mut(user_id)?.last_interaction = at;
        self.bump(user_id);
        Ok(())
    }

    pub fn set_follower(&mut self, user_id: &str, follower: bool) -> Result<(), SimError> {
        self.citizen_mut(user_id)?.follower = follower;
        Ok(())
    }

    /// Records an interaction (§3.2) of the citizen at `now`.
    pub fn touch(&mut self, user_id: &str, now: DateTime<Utc>) -> Result<(), SimError> {
        self.citizen_mut(user_id)?.last_interaction = Some(now);
        Ok(())
    }

    pub fn set_shared_info(&mut self, user_id: &str, info: InfoForm) -> Result<(), SimError> {
        self.citizen_mut(user_id)?.shared_info = Some(info);
        Ok(())
    }

    /// Appends a message to the citizen's conversation.
    pub fn push_message(
        &mut self,
        user_id: &str,
        msg_id: &str,
        direction: Direction,
        content: Content,
        now: DateTime<Utc>,
    ) -> Result<SimMessage, SimError> {
        self.require_citizen(user_id)?;
        let message = SimMessage { seq: self.next_seq, msg_id: msg_id.to_owned(), direction, at: now, content };
        self.next_seq += 1;
        let conversation = self.conversations.entry(user_id.to_owned()).or_default();
        conversation.messages.push(message.clone());
        conversation.version += 1;
        Ok(message)
    }

    /// The conversation, oldest first.
    pub fn messages(&self, user_id: &str) -> Result<&[SimMessage], SimError> {
        self.require_citizen(user_id)?;
        Ok(self.conversations.get(user_id).map_or(&[][..], |c| c.messages.as_slice()))
    }

    /// Changes whenever the conversation or the citizen's visible state changes.
    pub fn version(&self, user_id: &str) -> Result<u64, SimError> {
        self.require_citizen(user_id)?;
        Ok(self.conversations.get(user_id).map_or(0, |c| c.version))
    }

    fn bump(&mut self, user_id: &str) {
        if let Some(conversation) = self.conversations.get_mut(user_id) {
            conversation.version += 1;
        }
    }

    /// Finds an OA message of the conversation.
    pub fn oa_message(&self, user_id: &str, msg_id: &str) -> Result<&SimMessage, SimError> {
        self.messages(user_id)?
            .iter()
            .find(|m| m.msg_id == msg_id && m.direction == Direction::FromOa)
            .ok_or_else(|| SimError::UnknownMessage(msg_id.to_owned()))
    }

    /// Marks the citizen's `request_user_info` message answered (the latest one when
    /// `msg_id` is `None`).
    pub fn mark_info_answered(&mut self, user_id: &str, msg_id: Option<&str>) -> Result<(), SimError> {
        self.require_citizen(user_id)?;
        if let Some(conversation) = self.conversations.get_mut(user_id) {
            let target = conversation.messages.iter_mut().rev().find(|m| {
                matches!(m.content, Content::RequestUserInfo { .. }) && msg_id.is_none_or(|id| m.msg_id == id)
            });
            if let Some(SimMessage { content: Content::RequestUserInfo { answered, .. }, .. }) = target {
                *answered = true;
            }
            conversation.version += 1;
        }
        Ok(())
    }

    // ----- windows, quotas, sends -----

    /// The citizen's consultation window at `now`.
    pub fn window(&self, citizen: &Citizen, now: DateTime<Utc>) -> Window {
        match citizen.last_interaction {
            None => Window::Never,
            Some(at) if now - at <= self.limits.free_window => Window::Free,
            Some(at) if now - at <= self.limits.cs_window => Window::Billed,
            Some(_) => Window::Closed,
        }
    }

    /// A consultation message: unknown user → -201, window closed → -230 / never → -232,
    /// billed quota used up → -211; otherwise recorded in the conversation.
    pub fn send_cs(&mut self, user_id: &str, content: Content, now: DateTime<Utc>) -> Result<Sent, ZaloFailure> {
        let citizen = self.citizens.get(user_id).ok_or_else(|| ZaloFailure::invalid("user_id"))?;
        let quota = match self.window(citizen, now) {
            Window::Never => return Err(ZaloFailure::for_code(-232)),
            Window::Closed => return Err(ZaloFailure::for_code(-230)),
            Window::Free => SendQuota { quota_type: "reply", remain: 8, total: 8 },
            Window::Billed => {
                if self.billed_remain == 0 {
                    return Err(ZaloFailure::for_code(-211));
                }
                self.billed_remain -= 1;
                SendQuota { quota_type: "sub_quota", remain: self.billed_remain, total: self.limits.billed_cs_quota }
            }
        };
        let message_id = ids::message_id();
        self.push_message(user_id, &message_id, Direction::FromOa, content, now)
            .map_err(|_| ZaloFailure::invalid("user_id"))?;
        Ok(Sent { message_id, user_id: user_id.to_owned(), sent_time_ms: now.timestamp_millis(), quota })
    }

    /// A ZBS template by user id (no window): unknown user → -201, daily quota → -144.
    pub fn send_template_by_uid(
        &mut self,
        user_id: &str,
        template_id: &str,
        template_data: Value,
        now: DateTime<Utc>,
    ) -> Result<Sent, ZaloFailure> {
        if !self.citizens.contains_key(user_id) {
            return Err(ZaloFailure::invalid("user_id"));
        }
        let remaining = self.take_template_quota(now)?;
        let send = TemplateSend {
            msg_id: ids::message_id(),
            channel: TemplateChannel::Uid,
            user_id: Some(user_id.to_owned()),
            phone: None,
            template_id: template_id.to_owned(),
            template_data,
            tracking_id: None,
            development: false,
            sent_at: now,
            rating: None,
        };
        let message_id = send.msg_id.clone();
        self.record_template(send, now);
        Ok(Sent {
            message_id,
            user_id: user_id.to_owned(),
            sent_time_ms: now.timestamp_millis(),
            quota: SendQuota { quota_type: "template", remain: remaining, total: self.limits.template_daily_quota },
        })
    }

    /// A ZNS template by phone: invalid phone → -108, daily quota → -144. Shown in the
    /// conversation of the citizen with that phone, if there is one.
    pub fn send_template_by_phone(
        &mut self,
        phone: &str,
        template_id: &str,
        template_data: Value,
        tracking_id: &str,
        development: bool,
        now: DateTime<Utc>,
    ) -> Result<ZnsSent, ZaloFailure> {
        let phone = zns_phone(phone).ok_or_else(|| ZaloFailure::for_code(-108))?;
        let remaining = self.take_template_quota(now)?;
        let user_id = self.citizen_order.iter().find(|id| self.citizens[*id].phone.as_deref() == Some(&phone)).cloned();
        let send = TemplateSend {
            msg_id: ids::message_id(),
            channel: TemplateChannel::Phone,
            user_id,
            phone: Some(phone),
            template_id: template_id.to_owned(),
            template_data,
            tracking_id: Some(tracking_id.to_owned()),
            development,
            sent_at: now,
            rating: None,
        };
        let msg_id = send.msg_id.clone();
        self.record_template(send, now);
        Ok(ZnsSent {
            msg_id,
            sent_time_ms: now.timestamp_millis(),
            daily_quota: self.limits.template_daily_quota,
            remaining_quota: remaining,
        })
    }

    /// Counts one template against the daily quota (days in Vietnam time); returns what remains.
    fn take_template_quota(&mut self, now: DateTime<Utc>) -> Result<u32, ZaloFailure> {
        let today = now.with_timezone(&Ho_Chi_Minh).date_naive();
        if self.template_day != Some(today) {
            self.template_day = Some(today);
            self.templates_today = 0;
        }
        if self.templates_today >= self.limits.template_daily_quota {
            return Err(ZaloFailure::for_code(-144));
        }
        self.templates_today += 1;
        Ok(self.limits.template_daily_quota - self.templates_today)
    }

    fn record_template(&mut self, send: TemplateSend, now: DateTime<Utc>) {
        if let Some(user_id) = send.user_id.clone() {
            let content = Content::Template {
                channel: send.channel,
                template_id: send.template_id.clone(),
                template_data: send.template_data.clone(),
                tracking_id: send.tracking_id.clone(),
                rating: None,
            };
            // The user id was checked or looked up just before.
            let _ = self.push_message(&user_id, &send.msg_id, Direction::FromOa, content, now);
        }
        self.template_index.insert(send.msg_id.clone(), self.templates.len());
        self.templates.push(send);
    }

    pub fn template_sends(&self) -> &[TemplateSend] {
        &self.templates
    }

    pub fn template(&self, msg_id: &str) -> Result<&TemplateSend, SimError> {
        self.template_index
            .get(msg_id)
            .and_then(|index| self.templates.get(*index))
            .ok_or_else(|| SimError::UnknownTemplate(msg_id.to_owned()))
    }

    /// Records the rating of a template (once) and shows it in the conversation.
    pub fn rate_template(
        &mut self,
        msg_id: &str,
        rate: u8,
        note: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<TemplateSend, SimError> {
        if !(1..=5).contains(&rate) {
            return Err(SimError::InvalidRating(rate));
        }
        let index = *self.template_index.get(msg_id).ok_or_else(|| SimError::UnknownTemplate(msg_id.to_owned()))?;
        let send = &mut self.templates[index];
        if send.rating.is_some() {
            return Err(SimError::AlreadyRated(msg_id.to_owned()));
        }
        send.rating = Some(rate);
        let send = send.clone();
        if let Some(user_id) = &send.user_id {
            if let Some(conversation) = self.conversations.get_mut(user_id) {
                for message in &mut conversation.messages {
                    if let Content::Template { rating, .. } = &mut message.content {
                        if message.msg_id == msg_id {
                            *rating = Some(rate);
                        }
                    }
                }
            }
            let content = Content::Rating { template_msg_id: msg_id.to_owned(), rate, note };
            self.push_message(user_id, &ids::message_id(), Direction::FromCitizen, content, now)?;
        }
        Ok(send)
    }

    // ----- tokens -----

    fn issue_pair_with(&mut self, access: Option<String>, refresh: Option<String>, now: DateTime<Utc>) -> TokenPair {
        let access_token = access.unwrap_or_else(|| ids::token(64));
        let refresh_token = refresh.unwrap_or_else(|| ids::token(64));
        let access_expires_at = now + self.limits.access_token_ttl;
        self.access_tokens.insert(access_token.clone(), access_expires_at);
        self.refresh_tokens.insert(
            refresh_token.clone(),
            RefreshRecord { expires_at: now + self.limits.refresh_token_ttl, used: false },
        );
        TokenPair {
            access_token,
            refresh_token,
            expires_in: self.limits.access_token_ttl.num_seconds(),
            access_expires_at,
        }
    }

    /// A new access + refresh token pair (as after an OAuth grant).
    pub fn issue_pair(&mut self, now: DateTime<Utc>) -> TokenPair {
        self.issue_pair_with(None, None, now)
    }

    /// The pair issued at start.
    pub fn initial_tokens(&self) -> &TokenPair {
        &self.initial_tokens
    }

    /// Checks the bare `access_token` header value.
    pub fn check_access_token(&self, token: Option<&str>, now: DateTime<Utc>) -> Result<(), TokenProblem> {
        let expires_at = token
            .filter(|t| !t.is_empty())
            .and_then(|t| self.access_tokens.get(t))
            .ok_or(TokenProblem::MissingOrUnknown)?;
        if now >= *expires_at {
            Err(TokenProblem::Expired)
        } else {
            Ok(())
        }
    }

    /// Makes every access token issued so far expired.
    pub fn expire_access_tokens(&mut self, now: DateTime<Utc>) {
        for expires_at in self.access_tokens.values_mut() {
            *expires_at = (*expires_at).min(now - Duration::seconds(1));
        }
    }

    /// `grant_type=refresh_token`: the refresh token is single-use; a reused one gives -14020,
    /// an unknown or expired one -14014.
    pub fn refresh(&mut self, refresh_token: &str, now: DateTime<Utc>) -> Result<TokenPair, OAuthFailure> {
        let record = self.refresh_tokens.get_mut(refresh_token).ok_or_else(|| OAuthFailure::for_code(-14014))?;
        if record.used {
            return Err(OAuthFailure::for_code(-14020));
        }
        if now >= record.expires_at {
            return Err(OAuthFailure::for_code(-14014));
        }
        record.used = true;
        self.refreshes += 1;
        Ok(self.issue_pair(now))
    }

    pub fn refresh_count(&self) -> u64 {
        self.refreshes
    }

    /// Issues an authorization code bound to a PKCE challenge (valid once, for 10 minutes).
    pub fn issue_code(&mut self, code_challenge: &str, now: DateTime<Utc>) -> String {
        let code = ids::token(43);
        self.codes.insert(
            code.clone(),
            AuthCode {
                challenge: code_challenge.to_owned(),
                expires_at: now + self.limits.authorization_code_ttl,
                used: false,
            },
        );
        code
    }

    /// `grant_type=authorization_code`: the code must be fresh and unused, and the verifier's
    /// challenge must match the one given on the permission page.
    pub fn redeem_code(&mut self, code: &str, verifier: &str, now: DateTime<Utc>) -> Result<TokenPair, OAuthFailure> {
        let record = self.codes.get_mut(code).ok_or_else(|| OAuthFailure::for_code(-14005))?;
        if record.used || now >= record.expires_at {
            return Err(OAuthFailure::for_code(-14005));
        }
        if crate::sim::oauth::pkce_challenge(verifier) != record.challenge {
            return Err(OAuthFailure::for_code(-14019));
        }
        record.used = true;
        Ok(self.issue_pair(now))
    }

    // ----- faults, counters, rate limit -----

    pub fn inject(&mut self, endpoint: Endpoint, fault: Fault) {
        self.faults.entry(endpoint).or_default().push_back(fault);
    }

    /// The next injected fault of the endpoint, if any (consumed).
    pub fn take_fault(&mut self, endpoint: Endpoint) -> Option<Fault> {
        self.faults.get_mut(&endpoint).and_then(VecDeque::pop_front)
    }

    pub fn pending_faults(&self, endpoint: Endpoint) -> usize {
        self.faults.get(&endpoint).map_or(0, VecDeque::len)
    }

    pub fn count_request(&mut self, endpoint: Endpoint) {
        *self.requests.entry(endpoint).or_default() += 1;
    }

    pub fn requests(&self, endpoint: Endpoint) -> u64 {
        self.requests.get(&endpoint).copied().unwrap_or(0)
    }

    pub fn set_rate_limit(&mut self, per_minute: Option<u32>) {
        self.rate_limit = per_minute;
    }

    pub fn rate_limit(&self) -> Option<u32> {
        self.rate_limit
    }

    /// Admits one OA API request in the current clock minute, or refuses it (-32).
    pub fn admit(&mut self, now: DateTime<Utc>) -> RateDecision {
        let Some(limit) = self.rate_limit else {
            return RateDecision::Unlimited;
        };
        let minute = now.timestamp().div_euclid(60);
        if minute != self.rate_window {
            self.rate_window = minute;
            self.rate_count = 0;
        }
        if self.rate_count >= limit {
            return RateDecision::Limited { limit };
        }
        self.rate_count += 1;
        RateDecision::Allowed { limit, remain: limit - self.rate_count }
    }

    // ----- webhook deliveries -----

    pub fn webhook_url(&self) -> Option<&str> {
        self.webhook_url.as_deref()
    }

    pub fn set_webhook_url(&mut self, url: Option<String>) {
        self.webhook_url = url;
    }

    /// Logs a new delivery and returns its id.
    pub fn start_delivery(
        &mut self,
        event_name: &str,
        msg_id: Option<&str>,
        user_id: Option<&str>,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> u64 {
        let id = self.next_delivery;
        self.next_delivery += 1;
        if self.deliveries.len() >= MAX_DELIVERIES {
            self.deliveries.pop_front();
        }
        self.deliveries.push_back(WebhookDelivery {
            id,
            event_name: event_name.to_owned(),
            msg_id: msg_id.map(str::to_owned),
            user_id: user_id.map(str::to_owned),
            body: String::from_utf8_lossy(body).into_owned(),
            created_at: now,
            attempts: Vec::new(),
            outcome: DeliveryOutcome::Pending,
        });
        id
    }

    fn delivery_mut(&mut self, id: u64) -> Option<&mut WebhookDelivery> {
        let first = self.deliveries.front()?.id;
        let offset = usize::try_from(id.checked_sub(first)?).ok()?;
        self.deliveries.get_mut(offset)
    }

    pub fn record_attempt(&mut self, id: u64, attempt: DeliveryAttempt) {
        if let Some(delivery) = self.delivery_mut(id) {
            delivery.attempts.push(attempt);
        }
    }

    /// Sets the outcome and returns the finished record.
    pub fn finish_delivery(&mut self, id: u64, outcome: DeliveryOutcome) -> Option<WebhookDelivery> {
        let delivery = self.delivery_mut(id)?;
        delivery.outcome = outcome;
        Some(delivery.clone())
    }

    pub fn deliveries(&self) -> impl Iterator<Item = &WebhookDelivery> {
        self.deliveries.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, hour, 0, 0).single().expect("valid time")
    }

    fn state() -> SimState {
        SimState::new(&SimConfig::default().without_citizens(), at(1))
    }

    fn text(t: &str) -> Content {
        Content::Text { text: t.to_owned() }
    }

    #[test]
    fn windows_follow_the_last_interaction() {
        let mut s = state();
        let c = s.create_citizen(&NewCitizen::new("An", Some("0912 345 678")), at(1));
        assert_eq!(c.phone.as_deref(), Some("84912345678"));
        let now = at(1);
        assert_eq!(s.send_cs(&c.user_id, text("x"), now).expect_err("never").code, -232);
        s.touch(&c.user_id, now).expect("known");
        let sent = s.send_cs(&c.user_id, text("x"), now).expect("free");
        assert_eq!(sent.quota.quota_type, "reply");
        let billed = s.send_cs(&c.user_id, text("x"), now + Duration::hours(49)).expect("billed");
        assert_eq!(billed.quota, SendQuota { quota_type: "sub_quota", remain: 1999, total: 2000 });
        let closed = s.send_cs(&c.user_id, text("x"), now + Duration::days(7) + Duration::seconds(1));
        assert_eq!(closed.expect_err("closed").code, -230);
        assert_eq!(s.send_cs("123", text("x"), now).expect_err("unknown").code, -201);
        assert_eq!(s.messages(&c.user_id).expect("known").len(), 2);
    }

    #[test]
    fn refresh_tokens_are_single_use_and_access_tokens_expire() {
        let mut s = state();
        let first = s.initial_tokens().clone();
        assert_eq!(first.expires_in, 90_000);
        assert_eq!(s.check_access_token(Some(&first.access_token), at(2)), Ok(()));
        assert_eq!(s.check_access_token(None, at(2)), Err(TokenProblem::MissingOrUnknown));
        assert_eq!(s.check_access_token(Some("nope"), at(2)), Err(TokenProblem::MissingOrUnknown));
        assert_eq!(
            s.check_access_token(Some(&first.access_token), at(1) + Duration::hours(25)),
            Err(TokenProblem::Expired)
        );
        let second = s.refresh(&first.refresh_token, at(2)).expect("first use");
        assert_ne!(second.refresh_token, first.refresh_token);
        assert_eq!(s.refresh(&first.refresh_token, at(2)).expect_err("reuse").code, -14020);
        assert_eq!(s.refresh("unknown", at(2)).expect_err("unknown").code, -14014);
        assert_eq!(s.refresh_count(), 1);
        s.expire_access_tokens(at(3));
        assert_eq!(s.check_access_token(Some(&second.access_token), at(3)), Err(TokenProblem::Expired));
    }

    #[test]
    fn rate_limit_per_clock_minute() {
        let mut s = state();
        s.set_rate_limit(Some(2));
        let now = at(4);
        assert_eq!(s.admit(now), RateDecision::Allowed { limit: 2, remain: 1 });
        assert_eq!(s.admit(now), RateDecision::Allowed { limit: 2, remain: 0 });
        assert_eq!(s.admit(now + Duration::seconds(59)), RateDecision::Limited { limit: 2 });
        assert_eq!(s.admit(now + Duration::seconds(60)), RateDecision::Allowed { limit: 2, remain: 1 });
        s.set_rate_limit(None);
        assert_eq!(s.admit(now), RateDecision::Unlimited);
    }

    #[test]
    fn faults_are_consumed_in_order_per_endpoint() {
        let mut s = state();
        s.inject(Endpoint::MessageCs, Fault::invalid_token());
        s.inject(Endpoint::MessageCs, Fault::Http(503));
        s.inject(Endpoint::ZnsTemplate, Fault::rate_limited());
        assert_eq!(s.take_fault(Endpoint::MessageCs), Some(Fault::Code(-216)));
        assert_eq!(s.take_fault(Endpoint::MessageCs), Some(Fault::Http(503)));
        assert_eq!(s.take_fault(Endpoint::MessageCs), None);
        assert_eq!(s.pending_faults(Endpoint::ZnsTemplate), 1);
    }

    #[test]
    fn template_quota_resets_each_vietnamese_day_and_phones_are_validated() {
        let mut config = SimConfig::default().without_citizens();
        config.template_daily_quota = 1;
        let mut s = SimState::new(&config, at(1));
        let sent = s.send_template_by_phone("0987654321", "t", Value::Null, "k1", false, at(1)).expect("first");
        assert_eq!(sent.remaining_quota, 0);
        assert_eq!(
            s.send_template_by_phone("0987654321", "t", Value::Null, "k2", false, at(2)).expect_err("quota").code,
            -144
        );
        // 17:00 UTC is midnight in Vietnam.
        assert!(s.send_template_by_phone("0987654321", "t", Value::Null, "k3", false, at(17)).is_ok());
        assert_eq!(
            s.send_template_by_phone("024 3825 1234", "t", Value::Null, "k", false, at(18)).expect_err("landline").code,
            -108
        );
        assert_eq!(s.template_sends()[0].phone.as_deref(), Some("84987654321"));
        assert_eq!(zns_phone("987654321").as_deref(), Some("84987654321"));
        assert_eq!(zns_phone("+84 987 654 321").as_deref(), Some("84987654321"));
        assert_eq!(zns_phone("12345"), None);
        assert_eq!(zns_phone("287654321"), None);
    }

    #[test]
    fn ratings_are_recorded_once_and_shown_in_the_conversation() {
        let mut s = state();
        let c = s.create_citizen(&NewCitizen::new("Bích", Some("0987654321")), at(1));
        let sent =
            s.send_template_by_phone("+84987654321", "rate", Value::Null, "dossier-1", false, at(1)).expect("sent");
        let rated = s.rate_template(&sent.msg_id, 4, Some("Tốt".into()), at(2)).expect("rated");
        assert_eq!(rated.tracking_id.as_deref(), Some("dossier-1"));
        assert_eq!(s.rate_template(&sent.msg_id, 5, None, at(2)), Err(SimError::AlreadyRated(sent.msg_id.clone())));
        assert!(matches!(s.rate_template(&sent.msg_id, 6, None, at(2)), Err(SimError::InvalidRating(6))));
        let messages = s.messages(&c.user_id).expect("known");
        assert!(matches!(messages[0].content, Content::Template { rating: Some(4), .. }));
        assert!(matches!(messages[1].content, Content::Rating { rate: 4, .. }));
    }

    #[test]
    fn authorization_codes_check_pkce_and_are_single_use() {
        let mut s = state();
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let code = s.issue_code(&crate::sim::oauth::pkce_challenge(verifier), at(1));
        assert_eq!(s.redeem_code(&code, "wrong", at(1)).expect_err("verifier").code, -14019);
        assert!(s.redeem_code(&code, verifier, at(1)).is_ok());
        assert_eq!(s.redeem_code(&code, verifier, at(1)).expect_err("used").code, -14005);
        let late = s.issue_code(&crate::sim::oauth::pkce_challenge(verifier), at(1));
        assert_eq!(s.redeem_code(&late, verifier, at(1) + Duration::minutes(11)).expect_err("late").code, -14005);
    }
}
