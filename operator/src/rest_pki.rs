//! Generates what `connect::rest_security::plan` asks for: the operator's password, and the
//! PKCS#12 stores the workers' REST listener serves, holding a certificate Sluice issues or
//! the user's own. An issued certificate is signed by a CA made for it alone whose key signs
//! once and is dropped, so nothing can mint another certificate those workers or the
//! operator would trust; each change keeps the previously served CA trusted beside the new
//! one until the workers have rolled (and the next change drops it).

use jiff::Timestamp;
use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKeyChain};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivatePkcs8KeyDer, pem::PemObject};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::connect::kafka_client::SecretData;
use crate::connect::rest_security::{self as rest, Plan};

#[derive(Error, Debug)]
pub enum IssueError {
    /// The user's certificate Secret cannot be served; the message names the key and fix.
    #[error("{0}")]
    UserSecret(String),
    #[error("issuing the REST listener's certificate: {0}")]
    Certificate(#[from] rcgen::Error),
    #[error("writing the REST listener's PKCS#12 stores: {0}")]
    Store(#[from] p12_keystore::error::Error),
}

/// Where the served certificate comes from.
pub enum CertificateFrom<'a> {
    /// Issued by Sluice for these names.
    Issued { dns_names: Vec<String> },
    /// The user's Secret `name`, in Confluent for Kubernetes' keys.
    User { name: &'a str, data: &'a SecretData },
}

/// The generated Secret's data after `plan`: `found` with what the plan generates replaced,
/// and the expiry of an issued certificate.
pub fn issue(
    found: &SecretData,
    plan: Plan,
    from: CertificateFrom<'_>,
    now: Timestamp,
) -> Result<(SecretData, Option<Timestamp>), IssueError> {
    let mut data = found.clone();
    let Plan::Issue { password, certificate } = plan else {
        return Ok((data, None));
    };
    if password {
        let password = random_hex();
        data.insert(rest::USERNAME_KEY.into(), rest::USERNAME.into());
        data.insert(rest::PASSWORD_KEY.into(), password.clone().into_bytes());
        data.insert(
            rest::LOGIN_FILE.into(),
            format!("{}={password}\n", rest::USERNAME).into_bytes(),
        );
    }
    if !certificate {
        return Ok((data, None));
    }
    let (mut served, not_after) = match from {
        CertificateFrom::Issued { dns_names } => {
            let not_after = now + rest::VALIDITY;
            (issued(dns_names, now, not_after)?, Some(not_after))
        }
        CertificateFrom::User { name, data } => (users(name, data)?, None),
    };
    // The CA the running workers were served from stays trusted (by the operator and the
    // new workers) while they roll, until the next change replaces it.
    if let Some(previous) = found.get(rest::CACERTS).and_then(|b| first_certificate(b))
        && !served.cacerts.contains(&previous)
    {
        served.cacerts.push(previous);
    }
    let store_password = random_hex();
    data.insert(rest::KEYSTORE.into(), keystore(&served, &store_password)?);
    data.insert(rest::TRUSTSTORE.into(), truststore(&served.cacerts, &store_password)?);
    data.insert(rest::STORE_PASSWORD.into(), store_password.into_bytes());
    let pem: String = served.cacerts.iter().map(|c| pem_of("CERTIFICATE", c)).collect();
    data.insert(rest::CACERTS.into(), pem.into_bytes());
    Ok((data, not_after))
}

/// A certificate chain (leaf first), its PKCS#8 key and the CAs to trust, all DER.
struct Served {
    chain: Vec<CertificateDer<'static>>,
    key: PrivatePkcs8KeyDer<'static>,
    cacerts: Vec<CertificateDer<'static>>,
}

/// 32 random bytes as hex: no character a properties file, a header or a shell would need
/// escaped. `rand`'s thread generator is a CSPRNG seeded from the operating system.
fn random_hex() -> String {
    let bytes: [u8; 32] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A CA of its own, and a server certificate it signed for `dns_names`.
fn issued(
    dns_names: Vec<String>,
    now: Timestamp,
    not_after: Timestamp,
) -> Result<Served, IssueError> {
    let start = date(now - jiff::SignedDuration::from_hours(1));
    let end = date(not_after);
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.distinguished_name = name("sluice Connect REST CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.not_before = start;
    ca.not_after = end;
    let ca_key = KeyPair::generate()?;
    let ca_cert = ca.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca, ca_key);

    let first = dns_names.first().cloned().unwrap_or_default();
    let mut server = CertificateParams::new(dns_names)?;
    server.distinguished_name = name(&first);
    server.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    server.extended_key_usages =
        vec![ExtendedKeyUsagePurpose::ServerAuth, ExtendedKeyUsagePurpose::ClientAuth];
    server.not_before = start;
    server.not_after = end;
    let key = KeyPair::generate()?;
    let cert = server.signed_by(&key, &issuer)?;
    Ok(Served {
        chain: vec![cert.der().clone(), ca_cert.der().clone()],
        key: PrivatePkcs8KeyDer::from(key.serialize_der()),
        cacerts: vec![ca_cert.der().clone()],
    })
}

/// The user's `fullchain.pem`, `privkey.pem` (PKCS#8) and `cacerts.pem`.
fn users(secret: &str, data: &SecretData) -> Result<Served, IssueError> {
    let missing = |key: &str, what: &str| {
        IssueError::UserSecret(format!(
            "spec.tls.secretRef: Secret {secret} has no {what} under {key}: add it, or remove spec.tls.secretRef to have Sluice issue the certificate"
        ))
    };
    let certificates = |key: &str,
                        what: &str|
     -> Result<Vec<CertificateDer<'static>>, IssueError> {
        let pem = data.get(key).ok_or_else(|| missing(key, what))?;
        let certs: Vec<_> = CertificateDer::pem_slice_iter(pem).filter_map(Result::ok).collect();
        if certs.is_empty() { Err(missing(key, what)) } else { Ok(certs) }
    };
    let chain = certificates(rest::FULLCHAIN, "PEM certificate chain")?;
    let cacerts = certificates(rest::CACERTS, "PEM CA certificate")?;
    let pem = data.get(rest::PRIVKEY).ok_or_else(|| missing(rest::PRIVKEY, "PEM key"))?;
    let key = PrivatePkcs8KeyDer::from_pem_slice(pem).map_err(|_| {
        IssueError::UserSecret(format!(
            "spec.tls.secretRef: Secret {secret}'s {} is not an unencrypted PKCS#8 key (BEGIN PRIVATE KEY), which Java's key store needs: convert it with openssl pkcs8 -topk8 -nocrypt",
            rest::PRIVKEY
        ))
    })?;
    Ok(Served { chain, key: key.clone_key(), cacerts })
}

fn keystore(served: &Served, password: &str) -> Result<Vec<u8>, IssueError> {
    let chain =
        served.chain.iter().map(|c| Certificate::from_der(c)).collect::<Result<Vec<_>, _>>()?;
    // Java pairs a key with its certificate by this id; any stable value does.
    let id = &Sha256::digest(&served.chain[0])[..20];
    let mut store = KeyStore::new();
    let entry = PrivateKeyChain::new(served.key.secret_pkcs8_der(), id, chain);
    store.add_entry("rest", KeyStoreEntry::PrivateKeyChain(entry));
    Ok(store.writer(password).write()?)
}

fn truststore(cacerts: &[CertificateDer<'static>], password: &str) -> Result<Vec<u8>, IssueError> {
    let mut store = KeyStore::new();
    for (i, ca) in cacerts.iter().enumerate() {
        store.add_entry(&format!("ca-{i}"), KeyStoreEntry::Certificate(Certificate::from_der(ca)?));
    }
    Ok(store.writer(password).write()?)
}

fn name(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    dn
}

fn date(t: Timestamp) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(t.as_second())
        .expect("a date within the years 1-9999")
}

/// PEM with Unix line ends, as openssl writes it (the crate's default is CRLF).
fn pem_of(tag: &str, der: &[u8]) -> String {
    let config = pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF);
    pem::encode_config(&pem::Pem::new(tag, der), config)
}

/// The first certificate of a PEM bundle.
fn first_certificate(bundle: &[u8]) -> Option<CertificateDer<'static>> {
    CertificateDer::pem_slice_iter(bundle).find_map(Result::ok)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn issue_all(found: &BTreeMap<String, Vec<u8>>, plan: Plan) -> BTreeMap<String, Vec<u8>> {
        let from = CertificateFrom::Issued { dns_names: rest::dns_names("demo", "ns") };
        issue(found, plan, from, Timestamp::now()).unwrap().0
    }

    const ALL: Plan = Plan::Issue { password: true, certificate: true };
    const RENEW: Plan = Plan::Issue { password: false, certificate: true };

    #[test]
    fn an_issued_secret_holds_java_stores_of_a_chain_its_ca_signed_and_a_login_file() {
        let now = Timestamp::now();
        let from = CertificateFrom::Issued { dns_names: rest::dns_names("demo", "ns") };
        let (data, not_after) = issue(&BTreeMap::new(), ALL, from, now).unwrap();
        assert_eq!(not_after, Some(now + rest::VALIDITY));
        let text = |k: &str| String::from_utf8(data[k].clone()).unwrap();
        let password = text(rest::PASSWORD_KEY);
        assert_eq!(password.len(), 64);
        assert_eq!(text(rest::LOGIN_FILE), format!("sluice={password}\n"));
        let store_password = text(rest::STORE_PASSWORD);
        assert_ne!(store_password, password);

        // The stores open with their password: the key with its chain, the CA as trusted.
        let keystore = KeyStore::from_pkcs12(&data[rest::KEYSTORE], &store_password).unwrap();
        let (_, chain) = keystore.private_key_chain().expect("the key and its chain");
        assert_eq!(chain.chain().len(), 2);
        assert!(KeyStore::from_pkcs12(&data[rest::KEYSTORE], "wrong").is_err());
        let truststore = KeyStore::from_pkcs12(&data[rest::TRUSTSTORE], &store_password).unwrap();
        assert_eq!(truststore.entries_count(), 1);

        // rustls accepts the chain for the Service's name, trusting only the CA in
        // cacerts.pem, and no other name.
        use rustls::client::danger::ServerCertVerifier;
        let mut roots = rustls::RootCertStore::empty();
        roots.add(first_certificate(&data[rest::CACERTS]).unwrap()).unwrap();
        crate::tls::install_crypto_provider();
        let verifier = rustls::client::WebPkiServerVerifier::builder(roots.into()).build().unwrap();
        let leaf = CertificateDer::from(chain.chain()[0].as_der().to_vec());
        let at = rustls::pki_types::UnixTime::now();
        let server = |n: &str| rustls::pki_types::ServerName::try_from(n.to_owned()).unwrap();
        verifier.verify_server_cert(&leaf, &[], &server("demo.ns.svc"), &[], at).unwrap();
        let worker = server("demo-1.demo-workers.ns.svc");
        verifier.verify_server_cert(&leaf, &[], &worker, &[], at).unwrap();
        assert!(verifier.verify_server_cert(&leaf, &[], &server("x.ns.svc"), &[], at).is_err());
    }

    #[test]
    fn a_renewal_keeps_the_password_and_trusts_the_previous_ca_beside_the_new() {
        let first = issue_all(&BTreeMap::new(), ALL);
        let second = issue_all(&first, RENEW);
        assert_eq!(first[rest::PASSWORD_KEY], second[rest::PASSWORD_KEY]);
        assert_ne!(first[rest::KEYSTORE], second[rest::KEYSTORE]);
        let cas = |d: &BTreeMap<String, Vec<u8>>| -> Vec<CertificateDer<'static>> {
            CertificateDer::pem_slice_iter(&d[rest::CACERTS]).map(Result::unwrap).collect()
        };
        assert_eq!(cas(&second).len(), 2, "the new CA and the previous one");
        assert_eq!(cas(&second)[1], cas(&first)[0]);
        let password = String::from_utf8(second[rest::STORE_PASSWORD].clone()).unwrap();
        let trusted = KeyStore::from_pkcs12(&second[rest::TRUSTSTORE], &password).unwrap();
        assert_eq!(trusted.entries_count(), 2);
        // Only the last CA is carried: a third issue trusts the second's alone beside its own.
        let third = issue_all(&second, RENEW);
        assert_eq!(cas(&third).len(), 2);
        assert_eq!(cas(&third)[1], cas(&second)[0]);
        let now = Timestamp::now();
        let from = CertificateFrom::Issued { dns_names: vec![] };
        assert_eq!(issue(&third, Plan::Keep, from, now).unwrap(), (third.clone(), None));
    }

    #[test]
    fn a_users_certificate_is_converted_and_a_bad_one_named_with_the_fix() {
        // A chain in CFK's keys, as a user would have it from their own CA.
        let issued = issue_all(&BTreeMap::new(), ALL);
        let password = String::from_utf8(issued[rest::STORE_PASSWORD].clone()).unwrap();
        let keystore = KeyStore::from_pkcs12(&issued[rest::KEYSTORE], &password).unwrap();
        let (_, chain) = keystore.private_key_chain().unwrap();
        let fullchain: String =
            chain.chain().iter().map(|c| pem_of("CERTIFICATE", c.as_der())).collect();
        let user = BTreeMap::from([
            (rest::FULLCHAIN.to_owned(), fullchain.into_bytes()),
            (rest::PRIVKEY.to_owned(), pem_of("PRIVATE KEY", chain.key()).into_bytes()),
            (rest::CACERTS.to_owned(), issued[rest::CACERTS].clone()),
        ]);
        let from = CertificateFrom::User { name: "mine", data: &user };
        let (data, not_after) = issue(&BTreeMap::new(), ALL, from, Timestamp::now()).unwrap();
        assert_eq!(not_after, None, "Sluice does not renew the user's certificate");
        let password = String::from_utf8(data[rest::STORE_PASSWORD].clone()).unwrap();
        let converted = KeyStore::from_pkcs12(&data[rest::KEYSTORE], &password).unwrap();
        assert_eq!(converted.private_key_chain().unwrap().1.key(), chain.key());
        assert_eq!(data[rest::CACERTS], issued[rest::CACERTS]);
        assert!(!data[rest::CACERTS].contains(&b'\r'), "Unix line ends");

        let mut bad = user.clone();
        bad.insert(
            rest::PRIVKEY.into(),
            b"-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n".to_vec(),
        );
        let from = CertificateFrom::User { name: "mine", data: &bad };
        let e = issue(&BTreeMap::new(), ALL, from, Timestamp::now()).unwrap_err().to_string();
        assert!(e.contains("Secret mine's privkey.pem is not an unencrypted PKCS#8 key"), "{e}");
        assert!(e.contains("openssl pkcs8 -topk8 -nocrypt"), "{e}");
        let mut bad = user;
        bad.remove(rest::CACERTS);
        let from = CertificateFrom::User { name: "mine", data: &bad };
        let e = issue(&BTreeMap::new(), ALL, from, Timestamp::now()).unwrap_err().to_string();
        assert!(e.contains("Secret mine has no PEM CA certificate under cacerts.pem"), "{e}");
    }
}
