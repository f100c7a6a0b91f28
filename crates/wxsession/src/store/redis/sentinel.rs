//! Redis Sentinel: the master the sentinels name, reconnected after a failover.

/// The sentinel client and the current master connection.
pub(super) struct SentinelShared {
    client: tokio::sync::Mutex<redis::sentinel::SentinelClient>,
    master: tokio::sync::RwLock<Option<redis::aio::MultiplexedConnection>>,
    config: redis::AsyncConnectionConfig,
}

impl SentinelShared {
    pub(super) fn new(
        client: redis::sentinel::SentinelClient,
        timeout: std::time::Duration,
    ) -> Self {
        Self {
            client: tokio::sync::Mutex::new(client),
            master: tokio::sync::RwLock::new(None),
            config: redis::AsyncConnectionConfig::new()
                .set_connection_timeout(Some(timeout))
                .set_response_timeout(Some(timeout)),
        }
    }

    /// The master's connection, looked up through the sentinels when there is none.
    pub(super) async fn connection(&self) -> redis::RedisResult<redis::aio::MultiplexedConnection> {
        if let Some(conn) = self.master.read().await.clone() {
            return Ok(conn);
        }
        let mut master = self.master.write().await;
        if let Some(conn) = master.clone() {
            return Ok(conn);
        }
        let client = self.client.lock().await.async_get_client().await?;
        let conn = client
            .get_multiplexed_async_connection_with_config(&self.config)
            .await?;
        *master = Some(conn.clone());
        Ok(conn)
    }

    /// After a failure that may mean the master moved, forget the connection.
    pub(super) async fn check(&self, err: &redis::RedisError) {
        if err.is_io_error()
            || err.is_connection_dropped()
            || err.is_connection_refusal()
            || err.is_timeout()
            || err.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::ReadOnly)
        {
            self.master.write().await.take();
        }
    }
}
