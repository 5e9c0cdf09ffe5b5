//! The OA's first authorisation (OAuth v4 with PKCE): the consent URL of /zalo/oauth/start and the
//! completion of /zalo/oauth/callback. The verifier never leaves the server; only its challenge is
//! sent. Zalo may not echo `state` (reference §5, UNVERIFIED): then the most recent pending
//! verifier is used — safe, because a code only exchanges together with the verifier whose
//! challenge it was issued for.

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::RngCore;
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::config::ZaloConfig;
use crate::zalo::client::ZaloError;
use crate::zalo::tokens::{ExchangeError, TokenError, TokenManager};

/// A PKCE pair: verifier = base64url(32 random bytes) (43 characters), challenge =
/// base64url(SHA-256(verifier)), both without padding.
pub fn pkce_pair() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let verifier = URL_SAFE_NO_PAD.encode(bytes);
    let challenge = code_challenge(&verifier);
    (verifier, challenge)
}

/// base64url(SHA-256(verifier)) without padding.
pub fn code_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// A random `state` (base64url of 16 bytes).
pub fn random_state() -> String {
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Why the authorisation could not start or complete. Never carries a token or verifier.
#[derive(Debug, Error)]
pub enum OAuthFlowError {
    #[error("Zalo is not configured: set {0}")]
    NotConfigured(&'static str),
    #[error("Zalo did not send an authorisation code")]
    MissingCode,
    #[error("the authorisation is for Official Account {got}, but zalo.oa_id is {expected}")]
    WrongOfficialAccount { got: String, expected: String },
    #[error("no authorisation in progress matches (unknown, already used or older than 10 minutes)")]
    NoPendingAuthorization,
    #[error("Zalo refused the authorisation code: {0}")]
    Refused(ZaloError),
    #[error("Zalo could not be reached to exchange the code: {0}")]
    Unreachable(ZaloError),
    #[error(transparent)]
    Tokens(#[from] TokenError),
}

/// What the callback received.
#[derive(Debug, Clone, Default)]
pub struct Callback {
    pub code: Option<String>,
    pub oa_id: Option<String>,
    pub state: Option<String>,
}

/// The authorisation flow over the token manager.
pub struct OAuthFlow {
    tokens: Arc<TokenManager>,
    app_id: String,
    oa_id: String,
    oauth_base: String,
    redirect_url: String,
    has_app_secret: bool,
}

impl OAuthFlow {
    pub fn new(tokens: Arc<TokenManager>, zalo: &ZaloConfig) -> Self {
        Self {
            tokens,
            app_id: zalo.app_id.trim().to_owned(),
            oa_id: zalo.oa_id.trim().to_owned(),
            oauth_base: zalo.oauth_base.trim_end_matches('/').to_owned(),
            redirect_url: zalo.oauth_redirect_url.trim().to_owned(),
            has_app_secret: !zalo.app_secret.trim().is_empty(),
        }
    }

    fn check_configured(&self) -> Result<(), OAuthFlowError> {
        if self.app_id.is_empty() {
            return Err(OAuthFlowError::NotConfigured("zalo.app_id"));
        }
        if self.redirect_url.is_empty() {
            return Err(OAuthFlowError::NotConfigured("zalo.oauth_redirect_url"));
        }
        if !self.has_app_secret {
            return Err(OAuthFlowError::NotConfigured("zalo.app_secret"));
        }
        Ok(())
    }

    /// The consent page URL: `{oauth_base}/v4/oa/permission?app_id=…&redirect_uri=…&code_challenge=…&state=…`.
    pub async fn start(&self) -> Result<String, OAuthFlowError> {
        self.check_configured()?;
        let (state, challenge) = self.tokens.begin_authorization().await?;
        let mut url = reqwest::Url::parse(&format!("{}/v4/oa/permission", self.oauth_base))
            .map_err(|_| OAuthFlowError::NotConfigured("zalo.oauth_base (a valid URL)"))?;
        url.query_pairs_mut()
            .append_pair("app_id", &self.app_id)
            .append_pair("redirect_uri", &self.redirect_url)
            .append_pair("code_challenge", &challenge)
            .append_pair("state", &state);
        Ok(url.into())
    }

    /// Exchanges the callback's code with the pending verifier and stores the pair.
    pub async fn complete(&self, callback: &Callback) -> Result<(), OAuthFlowError> {
        self.check_configured()?;
        let code = callback.code.as_deref().map(str::trim).filter(|c| !c.is_empty());
        let code = code.ok_or(OAuthFlowError::MissingCode)?;
        if let Some(got) = callback.oa_id.as_deref().map(str::trim).filter(|id| !id.is_empty()) {
            if !self.oa_id.is_empty() && got != self.oa_id {
                return Err(OAuthFlowError::WrongOfficialAccount { got: got.to_owned(), expected: self.oa_id.clone() });
            }
        }
        let state = callback.state.as_deref().map(str::trim).filter(|s| !s.is_empty());
        let verifier = self.tokens.take_verifier(state).await?.ok_or(OAuthFlowError::NoPendingAuthorization)?;
        match self.tokens.exchange_code(code, &verifier).await {
            Ok(_) => Ok(()),
            Err(ExchangeError::Token(e)) => Err(e.into()),
            Err(ExchangeError::Zalo(e)) if e.kind == crate::zalo::client::FailureKind::OAuth => {
                Err(OAuthFlowError::Refused(e))
            }
            Err(ExchangeError::Zalo(e)) => Err(OAuthFlowError::Unreachable(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_matches_the_rfc_7636_example_and_has_the_right_shape() {
        // RFC 7636 appendix B.
        assert_eq!(
            code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let (verifier, challenge) = pkce_pair();
        assert_eq!(verifier.len(), 43);
        assert_eq!(challenge.len(), 43);
        assert!(!verifier.contains('=') && !challenge.contains('='));
        assert!(verifier.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        assert_eq!(code_challenge(&verifier), challenge);
        assert_ne!(pkce_pair().0, verifier);
    }
}
