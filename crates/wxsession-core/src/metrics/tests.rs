//! The registry's HELP texts and what each audience sees.

use super::*;

#[test]
fn help_texts_are_the_doc_comments_and_reasons_stay_private() {
    let m = Metrics::new();
    m.init_app("wxa");
    let operator = m.render(Audience::Operator);
    assert!(operator.contains(
        "# HELP wxsession_code_exchanges_total Code exchanges with WeChat, by app and result."
    ));
    assert!(operator.contains("wxsession_decrypt_failures_total"));
    assert!(
        !m.render(Audience::Public)
            .contains("decrypt_failures_total")
    );
}
