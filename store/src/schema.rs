// One portable schema for both backends: only types diesel's MultiConnection supports
// (BigInt ids, Timestamp in UTC, JSON kept as Text).

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        password_hash -> Text,
        display_name -> Text,
        phone -> Nullable<Text>,
        role -> Text,
        email_verified_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        language -> Text,
        price_drop_alerts -> Bool,
        wilaya -> Nullable<Integer>,
        phone_public -> Bool,
        banned_at -> Nullable<Timestamp>,
        banned_reason -> Nullable<Text>,
        email_canonical -> Nullable<Text>,
        phone_verified_at -> Nullable<Timestamp>,
        deleted_at -> Nullable<Timestamp>,
        token_generation -> BigInt,
        tokens_revoked_at -> Nullable<Timestamp>,
        mailbox_hash -> Nullable<Text>,
        previous_account_id -> Nullable<BigInt>,
        banned_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    credit_ledger (id) {
        id -> BigInt,
        user_id -> BigInt,
        seq -> BigInt,
        amount -> BigInt,
        balance_after -> BigInt,
        reason -> Text,
        listing_id -> Nullable<BigInt>,
        granted_by -> Nullable<BigInt>,
        idempotency_key -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    account_exports (id) {
        id -> BigInt,
        user_id -> BigInt,
        token_hash -> Text,
        status -> Text,
        created_at -> Timestamp,
        ready_at -> Nullable<Timestamp>,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    listing_daily_stats (listing_id, day) {
        listing_id -> BigInt,
        day -> Integer,
        views -> BigInt,
        phone_reveals -> BigInt,
        threads -> BigInt,
        favorites -> BigInt,
        promoted_impressions -> BigInt,
        promoted_clicks -> BigInt,
    }
}

diesel::table! {
    ratings (id) {
        id -> BigInt,
        conversation_id -> BigInt,
        rater_id -> BigInt,
        ratee_id -> BigInt,
        stars -> Integer,
        tags -> Text,
        comment -> Nullable<Text>,
        answer -> Nullable<Text>,
        answered_at -> Nullable<Timestamp>,
        removed_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    phone_codes (id) {
        id -> BigInt,
        user_id -> BigInt,
        phone -> Text,
        code_hash -> Text,
        attempts -> Integer,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        family_id -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    one_time_tokens (id) {
        id -> BigInt,
        user_id -> BigInt,
        purpose -> Text,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    listings (id) {
        id -> BigInt,
        user_id -> BigInt,
        title -> Text,
        description -> Text,
        category -> Text,
        attributes -> Text,
        price -> Nullable<BigInt>,
        negotiable -> Bool,
        exchange -> Bool,
        wilaya -> Integer,
        commune -> Integer,
        lat -> Double,
        lon -> Double,
        show_phone -> Bool,
        status -> Text,
        views -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        expires_at -> Timestamp,
        sold_at -> Nullable<Timestamp>,
        deleted_at -> Nullable<Timestamp>,
        expiry_warned_at -> Nullable<Timestamp>,
        expired_at -> Nullable<Timestamp>,
        hidden_at -> Nullable<Timestamp>,
        hidden_by -> Nullable<Text>,
        hidden_reason -> Nullable<Text>,
        alerted_price -> Nullable<BigInt>,
        price_alerted_at -> Nullable<Timestamp>,
        phone_reveals -> BigInt,
        delivery -> Text,
        text_hash -> Nullable<Text>,
        bumped_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    past_fingerprints (id) {
        id -> BigInt,
        kind -> Integer,
        band_key -> Integer,
        hash -> BigInt,
        user_id -> BigInt,
        key_id -> BigInt,
        forget_after -> Timestamp,
    }
}

diesel::table! {
    photo_reservations (id) {
        id -> BigInt,
        listing_id -> BigInt,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    photos (id) {
        id -> BigInt,
        listing_id -> BigInt,
        storage_key -> Text,
        position -> Integer,
        width -> Integer,
        height -> Integer,
        created_at -> Timestamp,
        phash -> Nullable<BigInt>,
    }
}

diesel::table! {
    near_keys (id) {
        id -> BigInt,
        kind -> Integer,
        band_key -> Integer,
        hash -> BigInt,
        listing_id -> BigInt,
        user_id -> BigInt,
        photo_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    listing_flags (id) {
        id -> BigInt,
        listing_id -> BigInt,
        kind -> Text,
        other_listing_id -> Nullable<BigInt>,
        evidence -> Text,
        created_at -> Timestamp,
        resolved_at -> Nullable<Timestamp>,
        resolution -> Nullable<Text>,
    }
}

diesel::table! {
    listing_changes (id) {
        id -> BigInt,
        listing_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    jobs (id) {
        id -> BigInt,
        kind -> Text,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        max_attempts -> Integer,
        run_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        effect_started_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    conversations (id) {
        id -> BigInt,
        listing_id -> Nullable<BigInt>,
        listing_title -> Text,
        buyer_id -> BigInt,
        seller_id -> BigInt,
        buyer_name -> Text,
        buyer_phone -> Nullable<Text>,
        created_at -> Timestamp,
        last_message_at -> Timestamp,
        buyer_read_id -> Nullable<BigInt>,
        seller_read_id -> Nullable<BigInt>,
        buyer_unread -> Integer,
        seller_unread -> Integer,
        buyer_emailed_id -> Nullable<BigInt>,
        seller_emailed_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    messages (id) {
        id -> BigInt,
        conversation_id -> BigInt,
        sender_id -> BigInt,
        body -> Text,
        created_at -> Timestamp,
        warning -> Nullable<Text>,
        photo_key -> Nullable<Text>,
    }
}

diesel::table! {
    user_blocks (blocker_id, blocked_id) {
        blocker_id -> BigInt,
        blocked_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    conversation_reports (id) {
        id -> BigInt,
        conversation_id -> BigInt,
        message_id -> Nullable<BigInt>,
        reporter_id -> BigInt,
        reason -> Text,
        detail -> Nullable<Text>,
        created_at -> Timestamp,
        resolved_at -> Nullable<Timestamp>,
        resolved_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    user_preferences (user_id) {
        user_id -> BigInt,
        read_receipts -> Bool,
        push_messages -> Bool,
        push_price_drops -> Bool,
        push_saved_searches -> Bool,
        push_expiry -> Bool,
        push_payments -> Bool,
        quiet_from -> Nullable<Integer>,
        quiet_until -> Nullable<Integer>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    devices (installation_id) {
        installation_id -> Text,
        user_id -> BigInt,
        platform -> Text,
        token -> Text,
        app_version -> Nullable<Text>,
        language -> Nullable<Text>,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
    }
}

diesel::table! {
    favorites (user_id, listing_id) {
        user_id -> BigInt,
        listing_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    saved_searches (id) {
        id -> BigInt,
        user_id -> BigInt,
        name -> Text,
        query -> Text,
        frequency -> Text,
        last_listing_id -> BigInt,
        last_sent_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    stores (id) {
        id -> BigInt,
        owner_id -> BigInt,
        slug -> Text,
        name -> Text,
        speciality -> Text,
        wilaya -> Integer,
        commune -> Nullable<Integer>,
        description -> Text,
        phone -> Nullable<Text>,
        opening_hours -> Nullable<Text>,
        logo_key -> Nullable<Text>,
        banner_key -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    reports (id) {
        id -> BigInt,
        listing_id -> BigInt,
        reporter_id -> BigInt,
        reason -> Text,
        comment -> Nullable<Text>,
        created_at -> Timestamp,
        resolved_at -> Nullable<Timestamp>,
        resolution -> Nullable<Text>,
    }
}

diesel::table! {
    appeals (id) {
        id -> BigInt,
        user_id -> BigInt,
        target_kind -> Text,
        target_id -> BigInt,
        decision_id -> BigInt,
        message -> Text,
        created_at -> Timestamp,
        decided_at -> Nullable<Timestamp>,
        outcome -> Nullable<Text>,
        decided_by -> Nullable<BigInt>,
        answer -> Nullable<Text>,
    }
}

diesel::table! {
    console_sessions (id) {
        id -> BigInt,
        token_hash -> Text,
        user_id -> BigInt,
        csrf_token -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    moderation_claims (item) {
        item -> Text,
        moderator_id -> BigInt,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    moderation_log (id) {
        id -> BigInt,
        moderator_id -> Nullable<BigInt>,
        action -> Text,
        target_kind -> Text,
        target_id -> BigInt,
        reason -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    user_event_counters (user_id) {
        user_id -> BigInt,
        last_seq -> BigInt,
    }
}

diesel::table! {
    user_events (id) {
        id -> BigInt,
        user_id -> BigInt,
        seq -> BigInt,
        kind -> Text,
        payload -> Text,
        created_at -> Timestamp,
    }
}

diesel::joinable!(listings -> users (user_id));
diesel::joinable!(reports -> listings (listing_id));
diesel::joinable!(photos -> listings (listing_id));
diesel::joinable!(photo_reservations -> listings (listing_id));
diesel::joinable!(near_keys -> listings (listing_id));
diesel::joinable!(listing_flags -> listings (listing_id));
diesel::joinable!(messages -> conversations (conversation_id));
diesel::joinable!(favorites -> listings (listing_id));
diesel::table! {
    listing_marks (listing_id) {
        listing_id -> BigInt,
        featured_until -> Nullable<Timestamp>,
        urgent_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    plan_subscriptions (id) {
        id -> BigInt,
        user_id -> BigInt,
        plan -> Text,
        price -> BigInt,
        ads_included -> Integer,
        bumps_included -> Integer,
        featured_days_included -> Integer,
        ads_used -> Integer,
        bumps_used -> Integer,
        featured_days_used -> Integer,
        period_no -> BigInt,
        period_start -> Timestamp,
        period_end -> Timestamp,
        auto_renew -> Bool,
        status -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    bump_schedules (id) {
        id -> BigInt,
        listing_id -> BigInt,
        user_id -> BigInt,
        every_days -> Integer,
        next_at -> Timestamp,
        ends_at -> Timestamp,
        runs -> Integer,
        status -> Text,
        stop_reason -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    payment_orders (id) {
        id -> BigInt,
        user_id -> BigInt,
        provider -> Text,
        provider_ref -> Nullable<Text>,
        amount -> BigInt,
        status -> Text,
        register_attempts -> Integer,
        checked_at -> Timestamp,
        idempotency_key -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        payment_url -> Nullable<Text>,
        checks -> Integer,
        confirm_job_id -> Nullable<BigInt>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    listing_marks,
    plan_subscriptions,
    bump_schedules,
    payment_orders,
    users,
    credit_ledger,
    account_exports,
    phone_codes,
    ratings,
    listing_daily_stats,
    refresh_tokens,
    one_time_tokens,
    listings,
    photos,
    photo_reservations,
    past_fingerprints,
    near_keys,
    listing_flags,
    listing_changes,
    jobs,
    conversations,
    messages,
    user_blocks,
    conversation_reports,
    user_preferences,
    devices,
    favorites,
    saved_searches,
    stores,
    reports,
    moderation_log,
    console_sessions,
    moderation_claims,
    appeals
);
