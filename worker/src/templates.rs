//! Every email souk sends, in the recipient's language (ar, fr, en). Arabic mails are laid out
//! right to left. Rendering happens when the email is queued, so a job carries finished text.

use souk_domain::Language;

use crate::email::{html_escape, Email};

mod moderation;
pub use moderation::{appeal_decided, listing_hidden, listings_hidden};

/// Who an email goes to; the address never appears in the body.
#[derive(Debug, Clone, Copy)]
pub struct Recipient<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub language: Language,
}

impl<'a> From<&'a souk_store::users::User> for Recipient<'a> {
    fn from(u: &'a souk_store::users::User) -> Self {
        Recipient {
            email: &u.email,
            name: &u.display_name,
            language: Language::parse_or_default(&u.language),
        }
    }
}

/// One line of an alert: an ad's title and price, with its link.
#[derive(Debug, Clone)]
pub struct AdLine {
    pub title: String,
    pub price: Option<i64>,
    pub url: String,
}

#[derive(Default)]
pub(crate) struct Body {
    pub(crate) subject: String,
    pub(crate) paragraphs: Vec<String>,
    /// Text written by another user, shown set apart (never mixed with our own words).
    pub(crate) quote: Option<String>,
    pub(crate) ads: Vec<AdLine>,
    pub(crate) action: Option<(String, String)>,
    pub(crate) unsubscribe: Option<String>,
}

pub(crate) fn pick<'a>(lang: Language, ar: &'a str, fr: &'a str, en: &'a str) -> &'a str {
    match lang {
        Language::Ar => ar,
        Language::Fr => fr,
        Language::En => en,
    }
}

/// `2450000` → `2 450 000 DA` (دج in Arabic).
pub fn price_text(lang: Language, price: Option<i64>) -> String {
    let Some(p) = price else {
        return pick(
            lang,
            "السعر عند الاتصال",
            "Prix à débattre",
            "Price on request",
        )
        .into();
    };
    format!(
        "{} {}",
        souk_domain::price::group_digits(p),
        pick(lang, "دج", "DA", "DZD")
    )
}

/// One line of the text part: names and titles come from users, and a line break inside one
/// (stored before one-line fields refused them) must not start a line of its own, where it
/// could pass for a paragraph written by souk.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
                ' '
            } else {
                c
            }
        })
        .collect()
}

pub(crate) fn render(to: &Recipient<'_>, b: Body) -> Email {
    let lang = to.language;
    let name = one_line(to.name);
    let greeting = match lang {
        Language::Ar => format!("مرحبا {name}،"),
        Language::Fr => format!("Bonjour {name},"),
        Language::En => format!("Hello {name},"),
    };
    let dir = if lang.is_rtl() { "rtl" } else { "ltr" };
    let align = if lang.is_rtl() { "right" } else { "left" };
    let mut text = format!("{greeting}\n\n");
    let mut html = format!(
        "<!doctype html><html lang=\"{}\" dir=\"{dir}\"><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body dir=\"{dir}\" style=\"text-align:{align};font-family:sans-serif\"><p>{}</p>",
        lang.as_str(),
        html_escape(&b.subject),
        html_escape(&greeting)
    );
    for p in &b.paragraphs {
        let p = &one_line(p);
        text.push_str(p);
        text.push_str("\n\n");
        html.push_str(&format!("<p>{}</p>", html_escape(p)));
    }
    if let Some(q) = &b.quote {
        // Every kind of line break starts a quoted line: none may escape the `> ` prefix.
        for line in q.split([
            '\n', '\r', '\u{0B}', '\u{0C}', '\u{85}', '\u{2028}', '\u{2029}',
        ]) {
            text.push_str(&format!("> {line}\n"));
        }
        text.push('\n');
        html.push_str(&format!(
            "<blockquote dir=\"auto\" style=\"border-{align}:3px solid #ccc;margin:0;padding:0 1em;white-space:pre-wrap\">{}</blockquote>",
            html_escape(q)
        ));
    }
    if !b.ads.is_empty() {
        html.push_str("<ul>");
        for ad in &b.ads {
            let price = price_text(lang, ad.price);
            text.push_str(&format!(
                "- {} ({price})\n  {}\n",
                one_line(&ad.title),
                ad.url
            ));
            html.push_str(&format!(
                "<li><a href=\"{}\" dir=\"auto\">{}</a> ({})</li>",
                html_escape(&ad.url),
                html_escape(&ad.title),
                html_escape(&price)
            ));
        }
        text.push('\n');
        html.push_str("</ul>");
    }
    if let Some((label, url)) = &b.action {
        text.push_str(&format!("{label}: {url}\n\n"));
        html.push_str(&format!(
            "<p><a href=\"{}\">{}</a></p>",
            html_escape(url),
            html_escape(label)
        ));
    }
    text.push_str("-- souk");
    html.push_str("<p>-- souk</p>");
    if let Some(url) = &b.unsubscribe {
        let label = pick(
            lang,
            "إلغاء الاشتراك في هذه التنبيهات",
            "Se désabonner de ces alertes",
            "Unsubscribe from these alerts",
        );
        text.push_str(&format!("\n{label}: {url}\n"));
        html.push_str(&format!(
            "<p style=\"font-size:small\"><a href=\"{}\">{}</a></p>",
            html_escape(url),
            html_escape(label)
        ));
    }
    html.push_str("</body></html>");
    Email {
        to: to.email.into(),
        subject: one_line(&b.subject),
        text,
        html,
        unsubscribe_url: b.unsubscribe,
    }
}

pub fn verify_email(to: &Recipient<'_>, link: &str) -> Email {
    let l = to.language;
    render(
        to,
        Body {
            subject: pick(
                l,
                "أكد بريدك الإلكتروني",
                "Confirmez votre adresse e-mail",
                "Confirm your email",
            )
            .into(),
            paragraphs: vec![pick(
                l,
                "أكد بريدك الإلكتروني بفتح الرابط أدناه (صالح لمدة 48 ساعة).",
                "Confirmez votre adresse en ouvrant le lien ci-dessous (valable 48 heures).",
                "Confirm your email address by opening the link below (valid 48 hours).",
            )
            .into()],
            action: Some((pick(l, "تأكيد", "Confirmer", "Confirm").into(), link.into())),
            ..Body::default()
        },
    )
}

pub fn reset_password(to: &Recipient<'_>, code: &str) -> Email {
    let l = to.language;
    render(
        to,
        Body {
            subject: pick(l, "إعادة تعيين كلمة المرور", "Réinitialiser votre mot de passe", "Reset your password").into(),
            paragraphs: vec![
                pick(
                    l,
                    "طلب أحدهم إعادة تعيين كلمة مرور حسابك. إذا كنت أنت، استعمل هذا الرمز في التطبيق (صالح لمدة ساعة):",
                    "Quelqu'un a demandé à réinitialiser le mot de passe de votre compte. Si c'est vous, utilisez ce code dans l'application (valable 1 heure) :",
                    "Someone asked to reset the password of your souk account. If it was you, use this code in the app (valid 1 hour):",
                )
                .into(),
                code.into(),
                pick(
                    l,
                    "إذا لم تكن أنت، تجاهل هذه الرسالة: تبقى كلمة مرورك كما هي.",
                    "Si ce n'est pas vous, ignorez ce message : votre mot de passe reste inchangé.",
                    "If it was not you, ignore this email: your password stays as it is.",
                )
                .into(),
            ],
            ..Body::default()
        },
    )
}

/// To a seller: a buyer wrote about their ad. The buyer's phone is included only when the
/// buyer chose to give it; the buyer's email address never is.
pub fn contact_to_seller(
    to: &Recipient<'_>,
    listing_title: &str,
    buyer_name: &str,
    buyer_phone: Option<&str>,
    message: &str,
    conversation_url: &str,
) -> Email {
    let l = to.language;
    let mut paragraphs = vec![match l {
        Language::Ar => format!("{buyer_name} مهتم بإعلانك «{listing_title}» وكتب لك:"),
        Language::Fr => {
            format!("{buyer_name} s'intéresse à votre annonce « {listing_title} » et vous écrit :")
        }
        Language::En => {
            format!("{buyer_name} is interested in your ad “{listing_title}” and wrote:")
        }
    }];
    if let Some(phone) = buyer_phone {
        paragraphs.push(match l {
            Language::Ar => format!("رقم هاتف المشتري: {phone}"),
            Language::Fr => format!("Téléphone de l'acheteur : {phone}"),
            Language::En => format!("Buyer's phone: {phone}"),
        });
    }
    render(
        to,
        Body {
            subject: match l {
                Language::Ar => format!("رسالة جديدة حول «{listing_title}»"),
                Language::Fr => format!("Nouveau message pour « {listing_title} »"),
                Language::En => format!("New message about “{listing_title}”"),
            },
            paragraphs,
            quote: Some(message.into()),
            action: Some((
                pick(l, "الرد عبر souk", "Répondre sur souk", "Reply on souk").into(),
                conversation_url.into(),
            )),
            ..Body::default()
        },
    )
}

/// To either side of a thread: the other side answered.
pub fn new_reply(
    to: &Recipient<'_>,
    sender_name: &str,
    listing_title: &str,
    message: &str,
    conversation_url: &str,
) -> Email {
    let l = to.language;
    render(
        to,
        Body {
            subject: match l {
                Language::Ar => format!("رد من {sender_name} حول «{listing_title}»"),
                Language::Fr => format!("Réponse de {sender_name} pour « {listing_title} »"),
                Language::En => format!("{sender_name} replied about “{listing_title}”"),
            },
            paragraphs: vec![match l {
                Language::Ar => format!("كتب لك {sender_name}:"),
                Language::Fr => format!("{sender_name} vous a écrit :"),
                Language::En => format!("{sender_name} wrote:"),
            }],
            quote: Some(message.into()),
            action: Some((
                pick(l, "الرد عبر souk", "Répondre sur souk", "Reply on souk").into(),
                conversation_url.into(),
            )),
            ..Body::default()
        },
    )
}

/// A few days before expiry, with a one-click renewal link that needs no login.
pub fn expiry_warning(
    to: &Recipient<'_>,
    listing_title: &str,
    expires_on: &str,
    renew_url: &str,
) -> Email {
    let l = to.language;
    render(
        to,
        Body {
            subject: match l {
                Language::Ar => format!("إعلانك «{listing_title}» ينتهي قريبا"),
                Language::Fr => format!("Votre annonce « {listing_title} » expire bientôt"),
                Language::En => format!("Your ad “{listing_title}” expires soon"),
            },
            paragraphs: vec![match l {
                Language::Ar => format!("ينتهي إعلانك في {expires_on}. جدده بنقرة واحدة ليبقى ظاهرا:"),
                Language::Fr => format!("Votre annonce expire le {expires_on}. Renouvelez-la en un clic pour qu'elle reste en ligne :"),
                Language::En => format!("Your ad expires on {expires_on}. Renew it in one click to keep it online:"),
            }],
            action: Some((pick(l, "تجديد الإعلان", "Renouveler l'annonce", "Renew the ad").into(), renew_url.into())),
            ..Body::default()
        },
    )
}

/// The ad has expired and left search; it can still be renewed.
pub fn expired_notice(to: &Recipient<'_>, listing_title: &str, renew_url: &str) -> Email {
    let l = to.language;
    render(
        to,
        Body {
            subject: match l {
                Language::Ar => format!("انتهت صلاحية إعلانك «{listing_title}»"),
                Language::Fr => format!("Votre annonce « {listing_title} » a expiré"),
                Language::En => format!("Your ad “{listing_title}” has expired"),
            },
            paragraphs: vec![match l {
                Language::Ar => format!("انتهت صلاحية إعلانك «{listing_title}» ولم يعد يظهر في البحث. إذا كان الشيء ما زال للبيع، جدده:"),
                Language::Fr => format!("Votre annonce « {listing_title} » a expiré et n'apparaît plus dans les recherches. Si l'article est toujours à vendre, renouvelez-la :"),
                Language::En => format!("Your ad “{listing_title}” has expired and no longer shows in search. If the item is still for sale, renew it:"),
            }],
            action: Some((pick(l, "تجديد الإعلان", "Renouveler l'annonce", "Renew the ad").into(), renew_url.into())),
            ..Body::default()
        },
    )
}

/// New ads matching a saved search.
pub fn saved_search_alert(
    to: &Recipient<'_>,
    search_name: &str,
    ads: Vec<AdLine>,
    unsubscribe_url: &str,
) -> Email {
    let l = to.language;
    let n = ads.len();
    render(
        to,
        Body {
            subject: match l {
                Language::Ar => format!("{n} إعلان جديد لبحثك «{search_name}»"),
                Language::Fr => format!("{n} nouvelle(s) annonce(s) pour « {search_name} »"),
                Language::En => format!("{n} new ad(s) for “{search_name}”"),
            },
            paragraphs: vec![pick(
                l,
                "إعلانات جديدة تطابق بحثك المحفوظ:",
                "De nouvelles annonces correspondent à votre recherche enregistrée :",
                "New ads match your saved search:",
            )
            .into()],
            ads,
            unsubscribe: Some(unsubscribe_url.into()),
            ..Body::default()
        },
    )
}

/// To a favouriter: the price of an ad they keep went down.
pub fn price_drop(to: &Recipient<'_>, ad: AdLine, old_price: i64, unsubscribe_url: &str) -> Email {
    let l = to.language;
    let old = price_text(l, Some(old_price));
    let new = price_text(l, ad.price);
    render(
        to,
        Body {
            subject: match l {
                Language::Ar => format!("انخفض سعر «{}»", ad.title),
                Language::Fr => format!("Baisse de prix : « {} »", ad.title),
                Language::En => format!("Price drop: “{}”", ad.title),
            },
            paragraphs: vec![match l {
                Language::Ar => format!("انخفض سعر إعلان في مفضلتك من {old} إلى {new}."),
                Language::Fr => {
                    format!("Le prix d'une annonce de vos favoris est passé de {old} à {new}.")
                }
                Language::En => format!("An ad in your favourites went down from {old} to {new}."),
            }],
            ads: vec![ad],
            unsubscribe: Some(unsubscribe_url.into()),
            ..Body::default()
        },
    )
}

/// The text of a phone confirmation code, in the account's language.
pub fn sms_code(lang: Language, code: &str, minutes: i64) -> String {
    match lang {
        Language::Ar => format!("souk: رمز التأكيد {code} (صالح {minutes} دقائق). لا تعطه لأحد."),
        Language::Fr => {
            format!(
                "souk : votre code est {code} (valable {minutes} min). Ne le donnez à personne."
            )
        }
        Language::En => format!("souk: your code is {code} ({minutes} min). Never share it."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to(language: Language) -> Recipient<'static> {
        Recipient {
            email: "x@example.dz",
            name: "Amine",
            language,
        }
    }

    #[test]
    fn arabic_mail_is_right_to_left_and_in_arabic() {
        let m = expired_notice(&to(Language::Ar), "بيجو 208", "http://s/renew?token=1.a");
        assert!(m.html.contains("dir=\"rtl\"") && m.html.contains("lang=\"ar\""));
        assert!(m.subject.contains("انتهت") && m.text.contains("بيجو 208"));
        let f = expired_notice(&to(Language::Fr), "Clio", "http://s/r");
        assert!(f.html.contains("dir=\"ltr\"") && f.subject.contains("a expiré"));
    }

    #[test]
    fn user_text_is_escaped_in_html() {
        let m = contact_to_seller(
            &to(Language::En),
            "<b>car</b>",
            "Eve",
            None,
            "<script>x</script>",
            "http://s/c/1",
        );
        assert!(!m.html.contains("<script>") && m.html.contains("&lt;script&gt;"));
        assert!(m.text.contains("> <script>x</script>"));
    }

    #[test]
    fn prices_are_grouped_by_thousands() {
        assert_eq!(price_text(Language::Fr, Some(2_450_000)), "2 450 000 DA");
        assert_eq!(price_text(Language::En, Some(500)), "500 DZD");
    }
}
