//! The one place where failures become HTTP: every error leaves as `application/problem+json`
//! (RFC 9457) with a stable `type`. Server faults are logged here and never detailed outward.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use souk_domain::{FieldError, ValidationErrors};
use souk_store::StoreError;
use utoipa::ToSchema;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("invalid input")]
    Validation(ValidationErrors),
    #[error("{detail}")]
    BadRequest { code: &'static str, detail: String },
    /// The body has the wrong shape: a missing, unknown or mistyped field.
    #[error("the body does not have the expected shape")]
    BadFields(Vec<ProblemField>),
    #[error("{detail}")]
    Unauthorized {
        code: &'static str,
        detail: &'static str,
    },
    #[error("{0}")]
    Forbidden(&'static str),
    /// Forbidden for a reason the client can act on (`email_not_confirmed`).
    #[error("{detail}")]
    NotAllowed {
        code: &'static str,
        detail: &'static str,
    },
    /// The account is banned: login, refresh and writes are refused.
    #[error("this account is banned: {0}")]
    Banned(String),
    #[error("not found")]
    NotFound,
    #[error("this method is not allowed here")]
    MethodNotAllowed,
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    /// Not enough credits for what was bought (402).
    #[error("{detail}")]
    PaymentRequired { code: &'static str, detail: String },
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

/// The problem document. `errors` lists field-level details for validation failures.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// Stable identifier of the kind of problem, e.g. `/problems/validation`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemField {
    /// JSON path of the offending field, e.g. `attributes.year`.
    pub field: String,
    pub code: String,
    pub message: String,
}

impl From<FieldError> for ProblemField {
    fn from(f: FieldError) -> Self {
        ProblemField {
            field: f.field,
            code: f.code.to_string(),
            message: f.message,
        }
    }
}

impl ApiError {
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        ApiError::BadRequest {
            code,
            detail: detail.into(),
        }
    }

    pub fn field(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        ApiError::Validation(ValidationErrors::single(field, code, message))
    }

    fn code(&self) -> &'static str {
        match self {
            ApiError::Validation(_) => "validation",
            ApiError::BadRequest { code, .. } => code,
            ApiError::BadFields(_) => "invalid_body",
            ApiError::Unauthorized { code, .. } => code,
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotAllowed { code, .. } => code,
            ApiError::Banned(_) => "account_banned",
            ApiError::NotFound => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::Conflict { code, .. } => code,
            ApiError::PaymentRequired { code, .. } => code,
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::TooManyRequests { .. } => "rate_limited",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            ApiError::Validation(_) => "Some fields are invalid",
            ApiError::BadRequest { .. } | ApiError::BadFields(_) => {
                "The request could not be understood"
            }
            ApiError::Unauthorized { .. } => "Authentication is required",
            ApiError::Forbidden(_) | ApiError::NotAllowed { .. } => "This action is not allowed",
            ApiError::Banned(_) => "This account is banned",
            ApiError::NotFound => "Not found",
            ApiError::MethodNotAllowed => "Method not allowed",
            ApiError::Conflict { .. } => "Conflict with the current state",
            ApiError::PaymentRequired { .. } => "Not enough credits",
            ApiError::PayloadTooLarge(_) => "The request body is too large",
            ApiError::UnsupportedMediaType(_) => "Unsupported media type",
            ApiError::TooManyRequests { .. } => "Too many requests",
            ApiError::Unavailable(_) => "Service unavailable",
            ApiError::Internal(_) => "Internal server error",
        }
    }

    pub fn problem(&self) -> Problem {
        let detail = match self {
            ApiError::Validation(e) => format!("{} field(s) are invalid; see `errors`", e.0.len()),
            ApiError::NotFound => "nothing exists at this address".into(),
            ApiError::TooManyRequests { retry_after_secs } => {
                format!("try again in {retry_after_secs} s")
            }
            ApiError::Internal(_) => "something went wrong on our side; it has been logged".into(),
            other => other.to_string(),
        };
        let errors = match self {
            ApiError::Validation(e) => e.0.iter().cloned().map(ProblemField::from).collect(),
            ApiError::BadFields(f) => f.clone(),
            _ => Vec::new(),
        };
        Problem {
            kind: format!("/problems/{}", self.code()),
            title: self.title().into(),
            status: self.status_code().as_u16(),
            detail,
            errors,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::BadRequest { .. } | ApiError::BadFields(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) | ApiError::NotAllowed { .. } | ApiError::Banned(_) => {
                StatusCode::FORBIDDEN
            }
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PaymentRequired { .. } => StatusCode::PAYMENT_REQUIRED,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(cause) = self {
            tracing::error!(%cause, "internal error");
        }
        let mut res = HttpResponse::build(self.status_code());
        res.content_type("application/problem+json");
        match self {
            ApiError::TooManyRequests { retry_after_secs } => {
                res.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            ApiError::Unauthorized { .. } => {
                res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            // Every 503 is a moment's overload or a dependency coming back: clients (and the
            // apps' retry loops) wait a few seconds rather than hammering.
            ApiError::Unavailable(_) => {
                res.insert_header((header::RETRY_AFTER, "5"));
            }
            _ => {}
        }
        res.json(self.problem())
    }
}

impl From<ValidationErrors> for ApiError {
    fn from(e: ValidationErrors) -> Self {
        ApiError::Validation(e)
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        ApiError::from(StoreError::Database(e))
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::Conflict(code) => ApiError::Conflict {
                code,
                detail: conflict_detail(code).into(),
            },
            // The bucket (or folder) is down: a moment's outage, not a fault of the request.
            StoreError::Files(e) => {
                tracing::warn!(error = %e, "file storage unavailable");
                ApiError::Unavailable("file storage is unavailable, try again shortly".into())
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}

fn conflict_detail(code: &str) -> &'static str {
    match code {
        "email_taken" => {
            "an account with this email (or another spelling of the same mailbox) already exists"
        }
        "phone_taken" => "another account has confirmed this number",
        _ => "the request conflicts with existing data",
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
