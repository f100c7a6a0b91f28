//! A stand-in WeChat over real HTTP for the corpus test: it answers each path with the body and
//! content type the test gave it, byte for byte, and counts the requests each path received.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use actix_web::dev::ServerHandle;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

/// What a path answers: `200` with this content type and these bytes.
#[derive(Debug, Clone)]
pub struct Answer {
    pub content_type: String,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(body: &str) -> Self {
        Self {
            content_type: "application/json; encoding=utf-8".into(),
            body: body.as_bytes().to_vec(),
        }
    }
}

#[derive(Default)]
struct Shared {
    answers: Mutex<HashMap<String, Answer>>,
    hits: Mutex<HashMap<String, u32>>,
}

/// A running stand-in; stopped when dropped.
pub struct StandIn {
    pub url: String,
    shared: Arc<Shared>,
    handle: ServerHandle,
}

impl Drop for StandIn {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

async fn answer(req: HttpRequest, shared: web::Data<Shared>) -> HttpResponse {
    let path = req.path().to_owned();
    *shared.hits.lock().unwrap().entry(path.clone()).or_default() += 1;
    let answer = shared.answers.lock().unwrap().get(&path).cloned();
    match answer {
        Some(a) => HttpResponse::Ok()
            .insert_header((CONTENT_TYPE, a.content_type))
            .body(a.body),
        None => HttpResponse::NotFound().finish(),
    }
}

impl StandIn {
    /// Starts one on a free port of 127.0.0.1.
    pub fn start() -> Self {
        let shared = Arc::new(Shared::default());
        let data = web::Data::from(shared.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::to(answer))
        })
        .workers(1)
        .disable_signals()
        .bind(("127.0.0.1", 0))
        .expect("the stand-in binds");
        let port = server.addrs().first().expect("an address").port();
        let server = server.run();
        let handle = server.handle();
        tokio::spawn(server);
        Self {
            url: format!("http://127.0.0.1:{port}"),
            shared,
            handle,
        }
    }

    /// From now on `path` answers `answer`.
    pub fn set(&self, path: &str, answer: Answer) {
        self.shared
            .answers
            .lock()
            .unwrap()
            .insert(path.to_owned(), answer);
    }

    /// How many requests `path` has received.
    pub fn hits(&self, path: &str) -> u32 {
        self.shared
            .hits
            .lock()
            .unwrap()
            .get(path)
            .copied()
            .unwrap_or(0)
    }
}
