//! Bodies read from the network are capped: a Connect worker (or anything answering on its
//! endpoint) cannot make the operator hold more than the bound in memory.

use sluice::connect_rest::{ConnectClient, RestError};
use sluice_e2e::http_server::{Reply, Server};

/// The path (with its query) of an expanded listing.
const LISTING: &str = "/connectors?expand=status&expand=info";

fn client(server: &Server) -> ConnectClient {
    sluice::tls::install_crypto_provider();
    ConnectClient::new(reqwest::Client::new(), &server.base).unwrap()
}

fn decode_reason(e: RestError) -> String {
    match e {
        RestError::Decode { reason, .. } => reason,
        other => panic!("expected a decode error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_listing_announced_past_the_bound_is_refused_before_it_is_read() {
    let server = Server::start();
    // Claims 1 GiB and sends a few bytes: refused on its Content-Length, without waiting.
    server.route(LISTING, Reply::Truncated { bytes: b"{".to_vec(), claimed: 1 << 30 });
    let e = client(&server).list_expanded().await.unwrap_err();
    assert_eq!(decode_reason(e), "larger than the 67108864 bytes Sluice reads");
}

#[tokio::test]
async fn a_listing_past_the_bound_is_refused() {
    let server = Server::start();
    let mut huge = b"{\"c\": \"".to_vec();
    huge.resize((64 << 20) + 10, b'x');
    server.route(LISTING, Reply::Bytes(huge));
    let e = client(&server).list_expanded().await.unwrap_err();
    assert_eq!(decode_reason(e), "larger than the 67108864 bytes Sluice reads");
    // Under the bound, the same path answers as usual.
    server.route(LISTING, Reply::Bytes(b"{}".to_vec()));
    assert!(client(&server).list_expanded().await.unwrap().is_empty());
}
