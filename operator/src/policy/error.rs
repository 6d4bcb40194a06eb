//! Everything a policy can do wrong, as values. The controller turns each into a status
//! message and an Event and applies the Policy's `failurePolicy`; none of them panics.

use std::time::Duration;

use super::abi::{AbiVersion, World};

#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum PolicyError {
    #[error("the module is not a valid WebAssembly component: {detail}")]
    Invalid { detail: String },
    #[error("the module is not a Sluice policy: {detail}")]
    NotAPolicy { detail: String },
    #[error(
        "the module targets ABI sluice:policy@{module}, this operator runs {}.{}.x: rebuild it with a sluice-plugin-sdk {}.{} release",
        host.major, host.minor, host.major, host.minor
    )]
    AbiMismatch { module: String, host: AbiVersion },
    #[error(
        "the module imports {import}, which Sluice does not provide: a policy may import sluice:policy and WASI 0.2 interfaces only (see docs/policies.md)"
    )]
    UnsupportedImport { import: String },
    #[error("the module is a {actual} policy, but is used as a {expected} policy")]
    WrongWorld { expected: World, actual: World },
    #[error(
        "the policy used all of its fuel ({fuel} units): it loops or does too much work per call"
    )]
    OutOfFuel { fuel: u64 },
    #[error("the policy did not return within {0:?}")]
    Timeout(Duration),
    #[error("the policy asked for {requested} bytes of memory; its limit is {limit} bytes")]
    MemoryLimit { requested: u64, limit: u64 },
    #[error(
        "the policy made more than {0} host calls in one call: it loops on log, secrets or http"
    )]
    TooManyHostCalls(usize),
    #[error("the policy passed more than {0} bytes to one host call")]
    HostCallTooLarge(usize),
    #[error(
        "the policy waited {waited:?} for one of the operator's {slots} policy call slots and its memory share, all taken by other calls: the call was not run (it is tried again at the next reconcile)"
    )]
    Busy { slots: u32, waited: Duration },
    #[error("the policy trapped: {detail}")]
    Trap { detail: String },
    #[error("the policy's answer is unusable: {detail}")]
    BadOutput { detail: String },
    #[error("the policy returned an error: {0}")]
    Rejected(String),
    #[error("the policy host failed: {0}")]
    Host(String),
}
