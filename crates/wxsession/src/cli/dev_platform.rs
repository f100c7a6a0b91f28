//! `wxsession dev`'s demo third-party platform: the simulator plays WeChat's platform side
//! (it pushes tickets and authorizations to this service's event URL) with two merchants'
//! mini-programs that may authorize it.

use std::path::PathBuf;

use anyhow::Context as _;
use wechat_mock::{MerchantKind, MockComponent, MockMerchant};

use crate::settings::ComponentSettings;

/// The demo platform's appid.
pub const DEMO_PLATFORM: &str = "wxdemoplatform0001";
const SECRET: &str = "dev-platform-secret";
const TOKEN: &str = "devplatformtoken";
const AES_KEY: &str = "devplatformencodingaeskey0123456789abcdefgh";
/// The two merchants' mini-programs.
pub const DEMO_MERCHANTS: [&str; 2] = ["wxdemomerchant0001", "wxdemomerchant0002"];

/// The platform as the simulator plays it, pushing to `{public_url}/v1/component/events`.
pub fn mock(public_url: &str) -> MockComponent {
    MockComponent {
        appid: DEMO_PLATFORM.into(),
        secret: SECRET.into(),
        token: TOKEN.into(),
        encoding_aes_key: AES_KEY.into(),
        merchants: DEMO_MERCHANTS
            .iter()
            .enumerate()
            .map(|(i, appid)| MockMerchant {
                appid: (*appid).into(),
                kind: MerchantKind::MiniProgram,
                nickname: format!("Demo shop {}", i + 1),
            })
            .collect(),
        push_url: Some(format!("{public_url}/v1/component/events")),
        callbacks: vec![format!("{public_url}/v1/component/")],
        ..MockComponent::default()
    }
}

/// A directory of this run's platform secrets, removed when dropped.
pub struct Files(PathBuf);

impl Drop for Files {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `[component]` for the demo platform (its secrets written to files of this run), and the
/// files to keep until `dev` stops.
pub fn settings(public_url: &str) -> anyhow::Result<(ComponentSettings, Files)> {
    let mut raw = [0u8; 8];
    getrandom::fill(&mut raw).context("the OS random source failed")?;
    let dir = std::env::temp_dir().join(format!("wxsession-dev-{}", hex::encode(raw)));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let files = Files(dir.clone());
    let write = |name: &str, text: &str| -> anyhow::Result<PathBuf> {
        let path = dir.join(name);
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    };
    let settings = ComponentSettings {
        appid: DEMO_PLATFORM.into(),
        secret_file: write("secret", SECRET)?,
        token_file: write("token", TOKEN)?,
        encoding_aes_key_file: write("aes", AES_KEY)?,
        previous_encoding_aes_key_file: None,
        after_authorize_url: format!("{public_url}/"),
    };
    Ok((settings, files))
}
