//! `POST /login` puts an openid in a new session (a cookie pointing at Redis); `GET /auth`
//! answers 200 with the openid when the cookie's session exists, 401 otherwise — the same check
//! as wxsession's `GET /v1/auth`, the plain way. `GET /bare` answers 200 without touching Redis
//! or the session middleware: the HTTP floor of the machine, the most any validation could do.
//! `BIND` and `REDIS_URL` from the environment.

use actix_session::storage::RedisSessionStore;
use actix_session::{Session, SessionMiddleware};
use actix_web::cookie::Key;
use actix_web::{App, HttpResponse, HttpServer, web};

async fn login(session: Session) -> HttpResponse {
    match session.insert("openid", "oGZUI0egBJY1zhBYw2KhdUfwVJJE") {
        Ok(()) => HttpResponse::Ok().finish(),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

async fn auth(session: Session) -> HttpResponse {
    match session.get::<String>("openid") {
        Ok(Some(openid)) => HttpResponse::Ok()
            .insert_header(("X-WX-OpenID", openid))
            .finish(),
        _ => HttpResponse::Unauthorized().finish(),
    }
}

async fn bare() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let bind = std::env::var("BIND").unwrap_or_else(|_| "127.0.0.1:8090".into());
    let redis = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let store = RedisSessionStore::new(redis)
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let key = Key::generate();
    HttpServer::new(move || {
        // The floor first, outside the session middleware (a scope of its own).
        App::new()
            .service(web::resource("/bare").route(web::get().to(bare)))
            .service(web::scope("").wrap(
                SessionMiddleware::builder(store.clone(), key.clone())
                    .cookie_secure(false)
                    .build(),
            )
            .route("/login", web::post().to(login))
            .route("/auth", web::get().to(auth)))
    })
    .bind(bind)?
    .run()
    .await
}
