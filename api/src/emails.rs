//! The emails the API sends, rendered at enqueue time (see `souk_worker::email`).

use souk_worker::email::html_escape;
use souk_worker::Email;

fn render(to: &str, subject: &str, greeting: &str, lines: &[String], link: Option<&str>) -> Email {
    let mut text = format!("{greeting}\n\n");
    let mut html = format!(
        "<!doctype html><html><body><p>{}</p>",
        html_escape(greeting)
    );
    for l in lines {
        text.push_str(l);
        text.push_str("\n\n");
        html.push_str(&format!("<p>{}</p>", html_escape(l)));
    }
    if let Some(link) = link {
        text.push_str(&format!("{link}\n\n"));
        html.push_str(&format!(
            "<p><a href=\"{0}\">{0}</a></p>",
            html_escape(link)
        ));
    }
    text.push_str("-- souk");
    html.push_str("<p>-- souk</p></body></html>");
    Email {
        to: to.into(),
        subject: subject.into(),
        text,
        html,
    }
}

pub fn verify_email(public_url: &str, to: &str, name: &str, token: &str) -> Email {
    let link = format!("{public_url}/v1/auth/verify-email?token={token}");
    render(
        to,
        "Confirm your email / Confirmez votre adresse",
        &format!("Hello {name},"),
        &[
            "Confirm your email address by opening the link below (valid 48 hours).".into(),
            "Confirmez votre adresse en ouvrant le lien ci-dessous (valable 48 heures).".into(),
            "أكد بريدك الإلكتروني بفتح الرابط أدناه (صالح لمدة 48 ساعة).".into(),
        ],
        Some(&link),
    )
}

pub fn reset_password(to: &str, name: &str, token: &str) -> Email {
    render(
        to,
        "Reset your password / Réinitialiser votre mot de passe",
        &format!("Hello {name},"),
        &[
            "Someone asked to reset the password of your souk account. If it was you, use this code in the app (valid 1 hour):".into(),
            token.to_string(),
            "If it was not you, ignore this email: your password stays as it is.".into(),
        ],
        None,
    )
}
