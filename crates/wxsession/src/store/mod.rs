//! The session store: the traits and the memory store of `wxsession-core`, and here the Redis
//! store that implements them (the only code that names the redis crate).

mod redis;

pub use self::redis::{LocalCache, RedisStore, Topology, layout};
pub use wxsession_core::store::*;
