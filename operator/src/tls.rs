//! One TLS stack for the whole binary: rustls with ring, shared by kube and reqwest.

/// Installs ring as rustls' process-wide crypto provider. Call before building any client;
/// calling it again is harmless.
pub fn install_crypto_provider() {
    // An Err means a provider is already installed, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
