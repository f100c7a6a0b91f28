//! Fuzzes the login and decrypt request-body parsing and validation: it must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = wxsession::http::check_request_bodies(data);
});
