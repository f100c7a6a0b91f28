//! The cases of the conformance suite, one file per store trait. Each is an `async fn(&Backend)`
//! that asserts behaviour only: nothing here knows which backend it runs on.

mod apps;
mod codes;
mod counters;
mod phones;
mod sessions;
mod tickets;
mod tokens;
mod unions;

use futures::future::BoxFuture;

use super::{Backend, Case};

/// The listed cases, each named `file::function`.
macro_rules! cases {
    ($($file:ident :: $name:ident),* $(,)?) => {
        vec![$({
            fn run(b: &Backend) -> BoxFuture<'_, ()> {
                Box::pin($file::$name(b))
            }
            (concat!(stringify!($file), "::", stringify!($name)), run as fn(&Backend) -> BoxFuture<'_, ()>)
        }),*]
    };
}

/// Every case of the suite.
pub fn all() -> Vec<Case> {
    cases![
        sessions::a_session_is_found_and_its_idle_ttl_renewed,
        sessions::an_idle_session_dies_after_its_idle_ttl,
        sessions::use_never_extends_a_session_past_its_deadline,
        sessions::the_clock_decides_a_session_past_its_deadline_is_dead,
        sessions::delete_says_whether_the_session_existed,
        sessions::revoke_ends_every_session_of_the_user_and_drops_the_keys,
        sessions::logins_keep_the_two_newest_keys,
        sessions::a_key_issued_outside_a_login_becomes_the_newest,
        sessions::the_oldest_sessions_beyond_the_bound_are_revoked,
        sessions::sessions_dead_of_idleness_make_room_before_live_ones,
        sessions::a_users_keys_die_a_lifetime_after_the_last_login,
        codes::one_claim_wins_then_pending_then_done,
        codes::an_abandoned_claim_expires,
        codes::an_answer_lives_for_its_ttl,
        codes::take_code_takes_a_value_once,
        counters::hits_count_up_in_a_window_that_the_first_hit_starts,
        counters::counters_are_independent,
        tokens::a_token_is_kept_for_its_ttl,
        tokens::only_the_current_token_is_dropped_and_the_refused_one_remembered,
        tokens::a_lock_has_one_holder_until_released_or_expired,
        unions::accounts_are_listed_newest_login_first_once_each,
        unions::accounts_not_seen_within_the_ttl_are_pruned,
        unions::live_sessions_counts_the_users_live_sessions,
        apps::records_are_written_whole_listed_in_order_and_deleted,
        apps::the_change_log_brings_a_reader_up_to_date,
        apps::a_record_is_replaced_only_if_unchanged,
        phones::a_remembered_number_lives_its_ttl_and_can_be_forgotten,
        phones::log_out_everywhere_leaves_the_number,
        phones::a_quota_reading_is_kept_for_its_ttl,
        tickets::the_ticket_is_replaced_and_kept_without_a_ttl,
    ]
}
