//! The browser harness for page tests: headless Chromium through chromedriver (Debian's
//! `chromium` and `chromium-driver`), at a phone (390×844, mobile emulation: touch, device
//! pixel ratio 3, a phone's user agent) or a desktop width (1366×900), in zh-CN or en;
//! the real application served on a free port; and the checks every visited page must pass:
//! no sideways scroll (`scrollWidth` within the device's width) and no axe-core
//! violation of impact serious or critical.
//!
//! axe-core is the npm package, pinned ([`AXE_VERSION`]); `.ci/run` installs it into
//! `target/axe/`, and the harness installs it there itself (with npm) when it is missing. Without
//! Chromium, chromedriver or axe-core a test says so and passes, except under CI (`CI` set),
//! where their absence is a failure.

use actix_web::HttpServer;
use fantoccini::{ClientBuilder, Locator};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::{free_port, KillOnDrop, PW};

pub use fantoccini::error::CmdError;

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The axe-core release the checks run.
pub const AXE_VERSION: &str = "4.10.3";

/// A window: its size and whether Chromium emulates a phone in it.
#[derive(Clone, Copy, Debug)]
pub struct Viewport {
    pub width: u32,
    pub height: u32,
    pub mobile: bool,
}

/// A phone, as the issue names it: 390×844 with mobile emulation.
pub const PHONE: Viewport = Viewport {
    width: 390,
    height: 844,
    mobile: true,
};
/// A desktop: 1366×900.
pub const DESKTOP: Viewport = Viewport {
    width: 1366,
    height: 900,
    mobile: false,
};

impl Viewport {
    /// `390` or `1366`: for file names.
    pub fn tag(&self) -> String {
        self.width.to_string()
    }
}

/// A browser session: the driver process lives as long as it.
pub struct Browser {
    pub client: fantoccini::Client,
    pub viewport: Viewport,
    /// `zh-CN` or `en`: the language the browser asks for.
    pub lang: &'static str,
    _driver: KillOnDrop,
}

fn required_or_skip<T>(what: &str) -> Option<T> {
    if std::env::var("CI").is_ok() {
        panic!("{what} is required under CI");
    }
    eprintln!("{what} not installed: browser test skipped");
    None
}

/// Starts chromedriver and a headless Chromium at `viewport` asking for pages in `lang`, or
/// returns `None` (after saying why) when Chromium is not installed here.
pub async fn start(viewport: Viewport, lang: &'static str) -> Option<Browser> {
    if !std::path::Path::new(CHROMEDRIVER).exists() || !std::path::Path::new(CHROMIUM).exists() {
        return required_or_skip(
            "chromium and chromium-driver (apt-get install chromium chromium-driver)",
        );
    }
    let port = free_port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let driver = KillOnDrop(child);
    let accept = if lang == "en" { "en-US,en" } else { "zh-CN,zh" };
    let mut options = serde_json::json!({
        "binary": CHROMIUM,
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                 format!("--window-size={},{}", viewport.width, viewport.height),
                 format!("--lang={}", if lang == "en" { "en-US" } else { "zh-CN" })],
        "prefs": { "intl.accept_languages": accept },
    });
    if viewport.mobile {
        options["mobileEmulation"] = serde_json::json!({
            "deviceMetrics": { "width": viewport.width, "height": viewport.height,
                               "pixelRatio": 3.0, "touch": true, "mobile": true },
            "userAgent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 \
                          (KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36",
        });
    }
    let mut caps = serde_json::Map::new();
    caps.insert("goog:chromeOptions".into(), options);
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..50 {
        let mut b = ClientBuilder::rustls().expect("tls");
        b.capabilities(caps.clone());
        if let Ok(client) = b.connect(&url).await {
            return Some(Browser {
                client,
                viewport,
                lang,
                _driver: driver,
            });
        }
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("chromedriver did not answer on {url}");
}

/// Runs the real application on a free port: its base URL and a handle to stop it.
pub fn serve(state: &jicai::web::AppState) -> (String, actix_web::dev::ServerHandle) {
    let server = HttpServer::new({
        let state = state.clone();
        move || jicai::web::build_app(state.clone())
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let addr = server.addrs()[0];
    let handle = server.run();
    let server_handle = handle.handle();
    actix_web::rt::spawn(handle);
    (format!("http://{addr}"), server_handle)
}

/// The axe-core script, installed into `target/axe/` on first use when npm is here.
fn axe_source() -> Option<String> {
    static SRC: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    SRC.get_or_init(|| {
        if let Ok(p) = std::env::var("JICAI_AXE_JS") {
            return std::fs::read_to_string(p).ok();
        }
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/axe");
        let file = dir.join("node_modules/axe-core/axe.min.js");
        if !file.exists() {
            // Installed beside, then moved into place: test binaries running at once do not
            // see a half-written package.
            let tmp = dir.with_file_name(format!("axe-{}", std::process::id()));
            let ok = Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
                .arg(&tmp)
                .arg(format!("axe-core@{AXE_VERSION}"))
                .status()
                .is_ok_and(|s| s.success());
            if ok && !file.exists() {
                let _ = std::fs::rename(&tmp, &dir);
            }
            let _ = std::fs::remove_dir_all(&tmp);
        }
        std::fs::read_to_string(file).ok()
    })
    .clone()
}

/// Is this text in `lang`? zh-CN: it has Chinese characters; en: it has none.
pub fn is_in_language(text: &str, lang: &str) -> bool {
    let han = text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    if lang == "en" {
        !han
    } else {
        han
    }
}

impl Browser {
    pub async fn goto(&self, url: &str) -> Result<(), CmdError> {
        self.client.goto(url).await
    }

    /// Logs in through the login page and waits for the page behind it.
    pub async fn log_in(&self, base: &str, user: &str) -> Result<(), CmdError> {
        let c = &self.client;
        c.goto(&format!("{base}/login")).await?;
        c.find(Locator::Id("username"))
            .await?
            .send_keys(user)
            .await?;
        c.find(Locator::Id("password")).await?.send_keys(PW).await?;
        c.find(Locator::Id("login-button")).await?.click().await?;
        c.wait().for_element(Locator::Id("logout")).await?;
        Ok(())
    }

    /// Switches the page to the browser's language with the header's switch when it shows
    /// another (a user's saved language wins over the browser's), and waits until the page
    /// after the switch is shown.
    pub async fn use_browser_language(&self) -> Result<(), CmdError> {
        if self.page_lang().await? == self.lang {
            return Ok(());
        }
        self.client
            .find(Locator::Id("lang-switch"))
            .await?
            .click()
            .await?;
        for _ in 0..100 {
            if self.page_lang().await.unwrap_or_default() == self.lang {
                self.client
                    .wait()
                    .for_element(Locator::Id("logout"))
                    .await?;
                return Ok(());
            }
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the page did not switch to {}", self.lang);
    }

    /// `document.documentElement.lang` of the page shown.
    pub async fn page_lang(&self) -> Result<String, CmdError> {
        let v = self
            .client
            .execute("return document.documentElement.lang", vec![])
            .await?;
        Ok(v.as_str().unwrap_or_default().to_string())
    }

    /// How far the page is wider than the window (0 when it does not scroll sideways). Measured
    /// against the device's width as set, not `innerWidth`: a phone browser zooms out to show a
    /// page wider than the screen, and its `innerWidth` then grows with the page.
    pub async fn sideways_overflow(&self) -> Result<i64, CmdError> {
        let v = self
            .client
            .execute(
                "return Math.max(document.documentElement.scrollWidth,
                                 document.body ? document.body.scrollWidth : 0)",
                vec![],
            )
            .await?;
        Ok(v.as_i64().unwrap_or(i64::MAX) - self.viewport.width as i64)
    }

    /// The axe-core violations of impact serious or critical on the page shown, one line each
    /// (rule, help, the first elements), or `None` when axe-core is not available here.
    pub async fn axe_violations(&self) -> Result<Option<Vec<String>>, CmdError> {
        let Some(src) = axe_source() else {
            if std::env::var("CI").is_ok() {
                panic!("axe-core is required under CI (npm install --prefix target/axe axe-core@{AXE_VERSION})");
            }
            eprintln!("axe-core not available (npm): accessibility check skipped");
            return Ok(None);
        };
        self.client.execute(&src, vec![]).await?;
        let v = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] }).then(r => done(
                   r.violations
                    .filter(v => v.impact === 'serious' || v.impact === 'critical')
                    .map(v => v.impact + ' ' + v.id + ': ' + v.help + ' @ ' +
                         v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))
                 )).catch(e => done(['axe failed: ' + e]));",
                vec![],
            )
            .await?;
        Ok(Some(
            v.as_array()
                .map(|a| {
                    a.iter()
                        .map(|s| s.as_str().unwrap_or_default().to_string())
                        .collect()
                })
                .unwrap_or_default(),
        ))
    }

    /// The texts of the error messages shown (`.error`, `.errors li`, `.problem`).
    pub async fn error_texts(&self) -> Result<Vec<String>, CmdError> {
        let mut out = vec![];
        for e in self
            .client
            .find_all(Locator::Css(".error, .errors li, .problem"))
            .await?
        {
            let t = e.text().await?;
            if !t.trim().is_empty() {
                out.push(t);
            }
        }
        Ok(out)
    }

    /// Saves a screenshot of the whole window to `target/screenshots/<name>.png` and returns
    /// its path.
    pub async fn screenshot(&self, name: &str) -> Result<PathBuf, CmdError> {
        let png = self.client.screenshot().await?;
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join(format!("{name}.png"));
        let _ = std::fs::write(&path, png);
        Ok(path)
    }

    /// The checks every visited page must pass, as a list of problems (empty: passed): the
    /// page in the browser's language, no sideways scroll, no serious or critical axe-core
    /// violation, every error message shown in the page's language. Takes a screenshot named
    /// `<name>` too.
    pub async fn check_page(&self, name: &str) -> Result<Vec<String>, CmdError> {
        let mut problems = vec![];
        let url = self.client.current_url().await?;
        let lang = self.page_lang().await?;
        if lang != self.lang {
            problems.push(format!(
                "{url}: page language {lang:?}, asked for {}",
                self.lang
            ));
        }
        let over = self.sideways_overflow().await?;
        if over > 0 {
            problems.push(format!("{url}: scrolls sideways by {over} px"));
        }
        if let Some(v) = self.axe_violations().await? {
            problems.extend(v.into_iter().map(|s| format!("{url}: axe {s}")));
        }
        for e in self.error_texts().await? {
            if !is_in_language(&e, &lang) {
                problems.push(format!("{url}: error not in {lang}: {e}"));
            }
        }
        self.screenshot(name).await?;
        Ok(problems)
    }

    /// [`Browser::check_page`], panicking with the problems found.
    pub async fn assert_page_ok(&self, name: &str) -> Result<(), CmdError> {
        let problems = self.check_page(name).await?;
        assert!(problems.is_empty(), "{name}:\n{}", problems.join("\n"));
        Ok(())
    }

    /// Types into the input with this id, replacing what it held.
    pub async fn type_into(&self, id: &str, value: &str) -> Result<(), CmdError> {
        let e = self.client.find(Locator::Id(id)).await?;
        e.clear().await?;
        e.send_keys(value).await
    }

    /// Finds what `at` locates and clicks it.
    pub async fn click(&self, at: Locator<'_>) -> Result<(), CmdError> {
        self.client.find(at).await?.click().await
    }

    /// Waits until what `at` locates is on the page and clicks it.
    pub async fn wait_and_click(&self, at: Locator<'_>) -> Result<(), CmdError> {
        self.client.wait().for_element(at).await?.click().await
    }

    /// Finds what `at` locates and types `keys` into it, after what it holds.
    pub async fn send_keys_to(&self, at: Locator<'_>, keys: &str) -> Result<(), CmdError> {
        self.client.find(at).await?.send_keys(keys).await
    }

    /// Waits until what `at` locates is on the page and types `keys` into it, after what it
    /// holds.
    pub async fn wait_and_send_keys(&self, at: Locator<'_>, keys: &str) -> Result<(), CmdError> {
        self.client
            .wait()
            .for_element(at)
            .await?
            .send_keys(keys)
            .await
    }

    /// Clicks the submit button of the page's form (`form.stack`).
    pub async fn submit_form(&self) -> Result<(), CmdError> {
        self.click(Locator::Css("form.stack button[type=submit]"))
            .await
    }

    /// Waits for a receipt on the page (`article.printable`) and reads the page's main part.
    pub async fn receipt_text(&self) -> Result<String, CmdError> {
        self.client
            .wait()
            .for_element(Locator::Css("article.printable"))
            .await?;
        self.client.find(Locator::Css("main")).await?.text().await
    }

    /// What the input with this id holds.
    pub async fn value_of(&self, id: &str) -> Result<Option<String>, CmdError> {
        self.client.find(Locator::Id(id)).await?.prop("value").await
    }

    /// Clicks what `click` finds (a form's button), then waits for what `then` finds (the page
    /// after it: a notice, an error) and reads its text.
    pub async fn click_then_text(&self, click: &str, then: &str) -> Result<String, CmdError> {
        self.client.find(Locator::Css(click)).await?.click().await?;
        self.client
            .wait()
            .for_element(Locator::Css(then))
            .await?
            .text()
            .await
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}
