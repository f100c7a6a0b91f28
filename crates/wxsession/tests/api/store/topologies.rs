//! The conformance suite on a Redis Cluster and behind Sentinel: one set-up each, shared by
//! every case (each case has its own key prefix).

use std::time::Instant;

use wxsession::store::Topology;

use super::{Backend, conform};
use crate::helpers::RedisCluster;
use crate::helpers::RedisServer;
use crate::topology::sentinel::sentinel;

#[tokio::test]
async fn redis_store_conforms_on_a_cluster() {
    let started = Instant::now();
    let Some(cluster) = RedisCluster::start() else {
        return;
    };
    println!("cluster up in {:?}", started.elapsed());
    let urls = cluster.urls();
    conform("cluster", || {
        Backend::redis(Topology::Cluster(&urls), urls.clone(), None)
    })
    .await;
}

#[tokio::test]
async fn redis_store_conforms_behind_sentinel() {
    let master = RedisServer::start();
    let dir = tempfile::tempdir().expect("dir");
    let sentinels: Vec<_> = (0..3).map(|_| sentinel(dir.path(), master.port)).collect();
    let urls: Vec<String> = sentinels
        .iter()
        .map(|(_, port)| format!("redis://127.0.0.1:{port}"))
        .collect();
    let nodes = vec![master.url()];
    conform("sentinel", || {
        let topology = Topology::Sentinel {
            sentinels: &urls,
            master_name: "wxs",
            master: "redis://127.0.0.1/0",
        };
        Backend::redis(topology, nodes.clone(), None)
    })
    .await;
    drop(sentinels);
}
