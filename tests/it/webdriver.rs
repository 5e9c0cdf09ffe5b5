//! A minimal W3C WebDriver client over reqwest, enough to drive headless Chromium through
//! chromedriver in the browser test: start chromedriver, open a session, navigate, find elements
//! by CSS selector, type, click, read the page's text and cookies, run a script, resize the window, take screenshots,
//! and collect downloads (each session saves them into its own new folder).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{json, Value};

/// The key W3C WebDriver uses for element references.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// What the test needs installed, and where (overridable for other systems).
pub fn chromedriver_path() -> PathBuf {
    std::env::var_os("TONGDAI_CHROMEDRIVER").map_or_else(|| PathBuf::from("/usr/bin/chromedriver"), PathBuf::from)
}

pub fn chromium_path() -> PathBuf {
    std::env::var_os("TONGDAI_CHROMIUM").map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from)
}

/// A running chromedriver, stopped when dropped.
pub struct Driver {
    child: Child,
    pub url: String,
    http: reqwest::Client,
}

impl Driver {
    /// Starts chromedriver on a free port and waits until it is ready. Panics with what to install
    /// when chromedriver or Chromium is missing: the browser test is never skipped silently.
    pub async fn start() -> Self {
        let driver = chromedriver_path();
        let browser = chromium_path();
        assert!(
            driver.exists() && browser.exists(),
            "the browser test needs headless Chromium and chromedriver ({} and {}): install the Debian \
             packages with `apt-get install chromium chromium-driver` (or set TONGDAI_CHROMIUM and \
             TONGDAI_CHROMEDRIVER)",
            browser.display(),
            driver.display()
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(&driver)
            .arg(format!("--port={port}"))
            // Chromium's own words (file inputs, date fields) in Vietnamese, as officials see them.
            .env("LANGUAGE", "vi")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", driver.display()));
        let url = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let ready = http.get(format!("{url}/status")).send().await.ok();
            if let Some(response) = ready {
                let status: Value = response.json().await.unwrap_or_default();
                if status["value"]["ready"] == true {
                    break;
                }
            }
            assert!(Instant::now() < deadline, "chromedriver did not become ready at {url}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Self { child, url, http }
    }

    /// A new headless Chromium session with a window of `width`×`height`.
    pub async fn session(&self, width: u32, height: u32) -> Session {
        let downloads = std::env::temp_dir().join(format!("tongdai_browser_downloads_{:08x}", rand::random::<u32>()));
        std::fs::create_dir_all(&downloads).unwrap();
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium_path(),
                "prefs": {
                    "download.default_directory": downloads,
                    "download.prompt_for_download": false,
                    "download.directory_upgrade": true,
                },
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-extensions", "--no-first-run", "--lang=vi-VN",
                    format!("--window-size={width},{height}"), "--hide-scrollbars", "--force-device-scale-factor=1",
                ],
            },
        }}});
        let response = self.http.post(format!("{}/session", self.url)).json(&capabilities).send().await.unwrap();
        let body: Value = response.json().await.unwrap();
        let id = body["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("chromedriver could not start Chromium: {body}"))
            .to_owned();
        Session { base: format!("{}/session/{id}", self.url), http: self.http.clone(), downloads }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One browser.
pub struct Session {
    base: String,
    http: reqwest::Client,
    /// Where Chromium saves downloads.
    downloads: PathBuf,
}

/// An element found on the page.
#[derive(Debug, Clone)]
pub struct Element(String);

impl Session {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self.http.request(method.clone(), format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request.json(&body);
        } else if method == reqwest::Method::POST {
            request = request.json(&json!({}));
        }
        let response = request.send().await.unwrap_or_else(|e| panic!("WebDriver {method} {path}: {e}"));
        let status = response.status();
        let body: Value = response.json().await.unwrap_or_default();
        assert!(status.is_success(), "WebDriver {method} {path} answered {status}: {body}");
        body["value"].clone()
    }

    pub async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({ "url": url }))).await;
    }

    pub async fn current_url(&self) -> String {
        self.call(reqwest::Method::GET, "/url", None).await.as_str().unwrap_or_default().to_owned()
    }

    /// The first element matching `css`, if any.
    pub async fn try_find(&self, css: &str) -> Option<Element> {
        let body = json!({"using": "css selector", "value": css});
        let response = self.http.post(format!("{}/element", self.base)).json(&body).send().await.unwrap();
        if !response.status().is_success() {
            return None;
        }
        let value: Value = response.json().await.unwrap_or_default();
        value["value"][ELEMENT_KEY].as_str().map(|id| Element(id.to_owned()))
    }

    /// The first element matching `css`; panics with the page's text when there is none.
    pub async fn find(&self, css: &str) -> Element {
        match self.try_find(css).await {
            Some(element) => element,
            None => panic!(
                "no element matches `{css}` on {}; the page reads:\n{}",
                self.current_url().await,
                self.page_text().await
            ),
        }
    }

    pub async fn send_keys(&self, element: &Element, text: &str) {
        self.call(reqwest::Method::POST, &format!("/element/{}/value", element.0), Some(json!({ "text": text }))).await;
    }

    pub async fn click(&self, element: &Element) {
        self.call(reqwest::Method::POST, &format!("/element/{}/click", element.0), None).await;
    }

    /// The visible text of the whole page (empty while the page is being replaced).
    pub async fn page_text(&self) -> String {
        let body = json!({"script": "return document.body ? document.body.innerText : '';", "args": []});
        let Ok(response) = self.http.post(format!("{}/execute/sync", self.base)).json(&body).send().await else {
            return String::new();
        };
        let value: Value = response.json().await.unwrap_or_default();
        value["value"].as_str().unwrap_or_default().to_owned()
    }

    /// Runs `script` (a function body) in the page and returns its result.
    pub async fn execute(&self, script: &str) -> Value {
        self.call(reqwest::Method::POST, "/execute/sync", Some(json!({"script": script, "args": []}))).await
    }

    /// Waits until the page's text contains `needle` (reloading is up to the page).
    pub async fn wait_for_text(&self, needle: &str, what: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let text = self.page_text().await;
            if text.contains(needle) {
                return text;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what} (`{needle}`); the page reads:\n{text}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Sizes the window so that the page's viewport is `width`×`height` (the window's frame,
    /// even in headless mode, takes some of the window's size).
    pub async fn set_window_size(&self, width: u32, height: u32) {
        let rect = |w: u32, h: u32| json!({"width": w, "height": h});
        self.call(reqwest::Method::POST, "/window/rect", Some(rect(width, height))).await;
        let inner = self.execute("return [window.innerWidth, window.innerHeight];").await;
        let inner_width = u32::try_from(inner[0].as_u64().unwrap_or(u64::from(width))).unwrap_or(width);
        let inner_height = u32::try_from(inner[1].as_u64().unwrap_or(u64::from(height))).unwrap_or(height);
        if (inner_width, inner_height) != (width, height) {
            let frame = rect(width + width.saturating_sub(inner_width), height + height.saturating_sub(inner_height));
            self.call(reqwest::Method::POST, "/window/rect", Some(frame)).await;
        }
    }

    /// Saves a PNG of the viewport.
    pub async fn screenshot(&self, path: &Path) {
        let data = self.call(reqwest::Method::GET, "/screenshot", None).await;
        let png = base64::engine::general_purpose::STANDARD.decode(data.as_str().unwrap_or_default()).unwrap();
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(path, png).unwrap();
    }

    /// Saves a PNG of the whole page at `width`: the viewport is made as tall as the page (at
    /// most `max_height`) for the shot, then set back to `width`×`height`.
    pub async fn full_page_screenshot(&self, path: &Path, width: u32, height: u32, max_height: u32) {
        self.set_window_size(width, height).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        let page_height = self.execute("return document.documentElement.scrollHeight;").await.as_u64().unwrap_or(0);
        let tall = u32::try_from(page_height).unwrap_or(max_height).clamp(height, max_height);
        self.set_window_size(width, tall).await;
        tokio::time::sleep(Duration::from_millis(150)).await;
        self.screenshot(path).await;
        self.set_window_size(width, height).await;
    }

    /// The value of the page's cookie `name` (HttpOnly ones too), if set.
    pub async fn cookie(&self, name: &str) -> Option<String> {
        let response = self.http.get(format!("{}/cookie/{name}", self.base)).send().await.unwrap();
        if !response.status().is_success() {
            return None;
        }
        let body: Value = response.json().await.unwrap_or_default();
        body["value"]["value"].as_str().map(str::to_owned)
    }

    /// The folder downloads are saved in.
    pub fn downloads(&self) -> PathBuf {
        self.downloads.clone()
    }

    /// Waits for a finished download whose name ends with `suffix` (Chromium writes a
    /// `.crdownload` file first and renames it when done) and returns its path.
    pub async fn wait_for_download(&self, suffix: &str) -> PathBuf {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let names: Vec<PathBuf> =
                std::fs::read_dir(&self.downloads).unwrap().filter_map(|e| e.ok().map(|e| e.path())).collect();
            if let Some(done) = names.iter().find(|p| p.to_string_lossy().ends_with(suffix)) {
                return done.clone();
            }
            assert!(
                Instant::now() < deadline,
                "no `*{suffix}` download in {} (has {names:?}); the page reads:\n{}",
                self.downloads.display(),
                self.page_text().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn quit(self) {
        let _ = self.http.delete(&self.base).send().await;
        let _ = std::fs::remove_dir_all(&self.downloads);
    }
}
