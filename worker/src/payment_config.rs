//! Which payment provider the site uses and its merchant account (`SOUK_PAYMENT_PROVIDER`,
//! `SOUK_SATIM_*`): read with the rest of the configuration, used by the payment jobs.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderKind {
    /// No payments: credits come from admins' grants only.
    None,
    Local,
    Satim,
}

#[derive(Debug, Clone)]
pub struct PaymentConfig {
    /// `SOUK_PAYMENT_PROVIDER`: `satim`, `local` (tests and demos), or unset: none.
    pub provider: ProviderKind,
    /// `SOUK_SATIM_URL`, e.g. `https://test2.satim.dz` (certification) or `https://cib.satim.dz`.
    pub satim_url: String,
    /// `SOUK_SATIM_USERNAME`, `SOUK_SATIM_PASSWORD`: the merchant's API account.
    pub satim_username: String,
    pub satim_password: String,
    /// `SOUK_SATIM_TERMINAL_ID`: sent as `force_terminal_id`.
    pub satim_terminal_id: String,
}

impl Default for PaymentConfig {
    fn default() -> Self {
        PaymentConfig {
            provider: ProviderKind::None,
            satim_url: String::new(),
            satim_username: String::new(),
            satim_password: String::new(),
            satim_terminal_id: String::new(),
        }
    }
}

impl PaymentConfig {
    pub fn from_env() -> Result<PaymentConfig, String> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// The configuration from variables looked up by `lookup` (the environment, or a test's).
    pub fn from_vars(lookup: impl Fn(&str) -> Option<String>) -> Result<PaymentConfig, String> {
        let var = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let provider = match var("SOUK_PAYMENT_PROVIDER").as_deref() {
            None | Some("none") => ProviderKind::None,
            // Its buyers pay by clicking: on a real site it would hand out credits for free.
            Some("local") if var("SOUK_ALLOW_TEST_PAYMENTS").as_deref() != Some("true") => {
                return Err("local is the test provider (credits without money): set \
                            SOUK_ALLOW_TEST_PAYMENTS=true to run it, never on a real site"
                    .into())
            }
            Some("local") => {
                tracing::warn!(
                    "payments: the local TEST provider is on; its checkout credits without money"
                );
                ProviderKind::Local
            }
            Some("satim") => ProviderKind::Satim,
            Some(other) => return Err(format!("{other:?}: satim, local or none")),
        };
        let cfg = PaymentConfig {
            provider,
            satim_url: var("SOUK_SATIM_URL").unwrap_or_default(),
            satim_username: var("SOUK_SATIM_USERNAME").unwrap_or_default(),
            satim_password: var("SOUK_SATIM_PASSWORD").unwrap_or_default(),
            satim_terminal_id: var("SOUK_SATIM_TERMINAL_ID").unwrap_or_default(),
        };
        if cfg.provider == ProviderKind::Satim
            && [
                &cfg.satim_url,
                &cfg.satim_username,
                &cfg.satim_password,
                &cfg.satim_terminal_id,
            ]
            .iter()
            .any(|v| v.is_empty())
        {
            return Err(
                "SOUK_PAYMENT_PROVIDER=satim needs SOUK_SATIM_URL, SOUK_SATIM_USERNAME, \
                        SOUK_SATIM_PASSWORD and SOUK_SATIM_TERMINAL_ID"
                    .into(),
            );
        }
        Ok(cfg)
    }

    pub fn name(&self) -> &'static str {
        match self.provider {
            ProviderKind::None => "none",
            ProviderKind::Local => "local",
            ProviderKind::Satim => "satim",
        }
    }
}
