//! How the console refuses: to the sign-in page when there is no valid session, otherwise an
//! HTML page with the API's status and a sentence (the same refusals as problem+json, for a
//! person in a browser).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

use super::i18n::Lang;
use crate::error::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// No live session (or the account may no longer moderate): sign in.
    #[error("sign in")]
    SignIn,
    /// A form without the token of its session: not sent by our page.
    #[error("the form's token is missing or stale; reload the page")]
    Csrf(Lang),
    /// A refusal to show as it is (wrong password, not a moderator).
    #[error("{1}")]
    Refused(Lang, &'static str),
    /// Another moderator holds the item.
    #[error("another moderator is working on this item")]
    Claimed(Lang),
    #[error("{0}")]
    Api(ApiError, Lang),
}

impl ResponseError for ConsoleError {
    fn status_code(&self) -> StatusCode {
        match self {
            ConsoleError::SignIn => StatusCode::SEE_OTHER,
            ConsoleError::Csrf(_) => StatusCode::FORBIDDEN,
            ConsoleError::Refused(..) => StatusCode::UNAUTHORIZED,
            ConsoleError::Claimed(_) => StatusCode::CONFLICT,
            ConsoleError::Api(e, _) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ConsoleError::SignIn = self {
            return super::pages::see_other("/mod/login");
        }
        let lang = match self {
            ConsoleError::Csrf(l)
            | ConsoleError::Refused(l, _)
            | ConsoleError::Claimed(l)
            | ConsoleError::Api(_, l) => *l,
            ConsoleError::SignIn => Lang::Ar,
        };
        let sentence = match self {
            // A fault of ours says no more than that.
            ConsoleError::Api(e, _) if e.status_code().is_server_error() => {
                "something went wrong; try again".to_string()
            }
            other => other.to_string(),
        };
        super::pages::refusal(lang, self.status_code(), &sentence)
    }
}
