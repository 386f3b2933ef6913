//! The console's words in Arabic (right to left) and French; the moderator picks one.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Ar,
    Fr,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "ar" => Some(Lang::Ar),
            "fr" => Some(Lang::Fr),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Ar => "ar",
            Lang::Fr => "fr",
        }
    }

    pub fn dir(self) -> &'static str {
        match self {
            Lang::Ar => "rtl",
            Lang::Fr => "ltr",
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Ar => Lang::Fr,
            Lang::Fr => Lang::Ar,
        }
    }

    /// The word for `key`; a key without a translation shows itself (a test reads them all).
    pub fn t(self, key: &str) -> &'static str {
        WORDS
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, ar, fr)| match self {
                Lang::Ar => *ar,
                Lang::Fr => *fr,
            })
            .unwrap_or("?")
    }
}

/// (key, Arabic, French).
pub const WORDS: &[(&str, &str, &str)] = &[
    ("title", "لوحة الإشراف", "Console de modération"),
    ("language", "Français", "العربية"),
    ("sign_in", "تسجيل الدخول", "Se connecter"),
    ("sign_out", "خروج", "Se déconnecter"),
    ("email", "البريد الإلكتروني", "Adresse e-mail"),
    ("password", "كلمة المرور", "Mot de passe"),
    ("queue", "قائمة المراجعة", "File de modération"),
    ("ban_length", "مدة الحظر", "Durée du bannissement"),
    ("orders", "طلبات الدفع", "Commandes de paiement"),
    ("provider", "المزود", "Prestataire"),
    ("amount", "المبلغ", "Montant"),
    ("status", "الحالة", "État"),
    ("credits", "الرصيد", "Crédits"),
    ("balance", "الرصيد بعد", "Solde après"),
    ("granted_by", "منحه", "accordé par"),
    ("all_of_seller", "كل إعلانات هذا البائع (حتى 500)", "Toutes les annonces de ce vendeur (jusqu'à 500)"),
    ("selection", "المحدد", "Sélection"),
    ("decide_selection", "قرار على المحدد", "Décider pour la sélection"),
    ("done_skipped", "تم القرار / متروك (محجوز لمشرف آخر أو مقرر سابقا)", "Décidés / laissés (pris par un autre modérateur ou déjà décidés)"),
    ("for_good", "نهائي", "Définitif"),
    ("days_1", "يوم واحد", "1 jour"),
    ("days_7", "7 أيام", "7 jours"),
    ("days_30", "30 يوما", "30 jours"),
    ("days_365", "سنة", "1 an"),
    ("banned_until", "محظور حتى", "Banni jusqu'au"),
    (
        "confirm_ban",
        "حظر هذا الحساب؟ تُخفى كل إعلاناته وتُغلق جلساته.",
        "Bannir ce compte ? Toutes ses annonces seront masquées et ses sessions fermées.",
    ),
    ("log", "سجل القرارات", "Journal"),
    ("empty", "لا شيء للمراجعة", "Rien à examiner"),
    ("item", "العنصر", "Élément"),
    ("reports", "البلاغات", "Signalements"),
    ("flags", "الفحوص الآلية", "Contrôles automatiques"),
    ("hidden", "مخفي", "Masquée"),
    ("visible", "ظاهر", "Visible"),
    ("since", "منذ", "Depuis"),
    ("claimed_by", "يعالجه المشرف", "Pris par le modérateur"),
    ("claimed_by_you", "تعالجه أنت", "Pris par vous"),
    ("taken", "هذا العنصر يعالجه مشرف آخر", "Un autre modérateur traite cet élément"),
    ("filter", "تصفية", "Filtrer"),
    ("all", "الكل", "Tout"),
    ("reason", "السبب", "Motif"),
    ("category", "الفئة", "Catégorie"),
    ("wilaya", "الولاية", "Wilaya"),
    ("ad", "الإعلان", "Annonce"),
    ("price", "السعر", "Prix"),
    ("seller", "البائع", "Vendeur"),
    ("account_age_days", "عمر الحساب (أيام)", "Ancienneté du compte (jours)"),
    ("email_confirmed", "البريد مؤكد", "Adresse confirmée"),
    ("phone_confirmed", "الهاتف مؤكد", "Téléphone confirmé"),
    ("yes", "نعم", "oui"),
    ("no", "لا", "non"),
    ("banned", "محظور", "Banni"),
    ("other_ads", "إعلاناته النشطة", "Annonces actives"),
    ("ratings", "التقييمات", "Évaluations"),
    ("past_decisions", "القرارات السابقة", "Décisions passées"),
    ("reporter", "المبلِّغ", "Auteur du signalement"),
    ("weight", "الوزن", "Poids"),
    ("distance", "المسافة", "Distance"),
    ("other_ad", "الإعلان الآخر", "L'autre annonce"),
    ("quartiles", "الأرباع (25٪، الوسيط، 75٪)", "Quartiles (25 %, médiane, 75 %)"),
    ("comparables", "إعلانات مماثلة", "Annonces comparables"),
    ("phrases", "عبارات احتيال", "Expressions d'arnaque"),
    ("decide", "القرار", "Décision"),
    ("dismiss", "رفض البلاغات", "Classer sans suite"),
    ("hide", "إخفاء", "Masquer"),
    ("restore", "إرجاع", "Rétablir"),
    ("ban", "حظر البائع", "Bannir le vendeur"),
    ("unban", "رفع الحظر", "Lever le bannissement"),
    ("custom_reason", "سبب آخر (يُرسل للبائع)", "Autre motif (envoyé au vendeur)"),
    ("keys", "اختصارات: j/k تنقل، x تحديد سطر، D/H/R قرار على المحدد، Enter فتح، d رفض، h إخفاء، r إرجاع، b حظر، a قبول طعن، x رفض طعن، ? مساعدة", "Raccourcis : j/k se déplacer, x marquer une ligne, D/H/R décider pour la sélection, Entrée ouvrir, d classer, h masquer, r rétablir, b bannir, a accepter un recours, x le rejeter, ? aide"),
    ("back", "العودة إلى القائمة", "Retour à la file"),
    ("refused", "مرفوض", "Refusé"),
    ("action", "الإجراء", "Action"),
    ("moderator", "المشرف", "Modérateur"),
    ("when", "التاريخ", "Date"),
    ("target", "الهدف", "Cible"),
    ("description", "الوصف", "Description"),
    ("hidden_by", "أُخفي بسبب", "Masquée par"),
    ("appeals", "الطعون", "Recours"),
    ("reported_threads", "محادثات مُبلّغ عنها", "Conversations signalées"),
    ("thread", "محادثة", "Conversation"),
    ("appeal", "طعن", "Recours"),
    ("decision_appealed", "القرار المطعون فيه", "Décision contestée"),
    ("appeal_message", "رسالة الطاعن", "Message du demandeur"),
    ("answer", "الرد (يُرسل إليه)", "Réponse (envoyée au demandeur)"),
    ("grant", "قبول الطعن", "Accepter le recours"),
    ("deny", "رفض الطعن", "Rejeter le recours"),
];

/// Reasons a moderator picks from to hide an ad: (key, ar, fr, en). The owner reads the one
/// of their language in the email.
pub const HIDE_REASONS: &[(&str, &str, &str, &str)] = &[
    (
        "scam",
        "إعلان احتيالي: يطلب دفعًا مسبقًا أو يعرض ما لا يملكه",
        "Annonce frauduleuse : paiement d'avance demandé ou bien inexistant",
        "Fraudulent ad: asks for payment in advance or offers what it does not have",
    ),
    (
        "prohibited",
        "سلعة ممنوعة على الموقع",
        "Article interdit sur le site",
        "An item the site does not allow",
    ),
    (
        "duplicate",
        "إعلان مكرر: عدّل إعلانك الأول أو جدّده",
        "Annonce en double : modifiez ou renouvelez la première",
        "Duplicate ad: edit or renew the first one",
    ),
    (
        "wrong_category",
        "فئة خاطئة: أعد نشره في الفئة الصحيحة",
        "Mauvaise catégorie : republiez-la dans la bonne",
        "Wrong category: post it again in the right one",
    ),
    (
        "offensive",
        "محتوى مسيء",
        "Contenu offensant",
        "Offensive content",
    ),
];

/// A hide reason's text in `language` (ar, fr or en; French otherwise).
pub fn hide_reason(key: &str, language: &str) -> Option<&'static str> {
    HIDE_REASONS
        .iter()
        .find(|(k, ..)| *k == key)
        .map(|(_, ar, fr, en)| match language {
            "ar" => *ar,
            "en" => *en,
            _ => *fr,
        })
}
