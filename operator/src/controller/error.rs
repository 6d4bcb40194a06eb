//! The one error every controller's reconcile returns, and the categories failures fall in.
//!
//! A category is what an operator's user acts on, so it is the same word everywhere a
//! failure shows: the `category` label of `sluice_reconcile_errors_total`, the reason of the
//! `Reconciled` condition and of the `ReconcileFailing` Event when a failure persists.

use kube::runtime::finalizer;
use thiserror::Error;

/// What kind of failure a reconcile met.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Category {
    /// The API server refused a write because the object changed under it (409).
    Conflict,
    /// The API server refused an object as invalid (400, 422).
    Rejected,
    /// The operator lacks the rights for a request (403).
    Forbidden,
    /// Any other failure talking to the API server: a timeout, a 5xx, a dropped watch.
    KubernetesApi,
    /// Adding or removing the finalizer failed in a way the API server did not explain.
    Finalizer,
    /// The resource asks for something that cannot be done; its status names the field.
    InvalidSpec,
    /// Connect's validation refused the connector config.
    ConfigInvalid,
    /// Connect answered a write with an error.
    ConnectRejected,
    /// Connect did not answer, or cannot be reached yet.
    ConnectUnavailable,
    /// Sluice itself failed where it should not (a bug to report).
    Internal,
}

impl Category {
    pub const fn as_str(self) -> &'static str {
        match self {
            Category::Conflict => "Conflict",
            Category::Rejected => "Rejected",
            Category::Forbidden => "Forbidden",
            Category::KubernetesApi => "KubernetesApi",
            Category::Finalizer => "Finalizer",
            Category::InvalidSpec => "InvalidSpec",
            Category::ConfigInvalid => "ConfigInvalid",
            Category::ConnectRejected => "ConnectRejected",
            Category::ConnectUnavailable => "ConnectUnavailable",
            Category::Internal => "Internal",
        }
    }

    /// The category of a Kubernetes API failure.
    pub fn of_kube(error: &kube::Error) -> Self {
        match error {
            kube::Error::Api(s) if s.code == 409 => Category::Conflict,
            kube::Error::Api(s) if s.code == 422 || s.code == 400 => Category::Rejected,
            kube::Error::Api(s) if s.code == 403 => Category::Forbidden,
            _ => Category::KubernetesApi,
        }
    }
}

impl std::fmt::Display for Category {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A reconcile that could not finish; the runner retries it with backoff.
#[derive(Error, Debug)]
pub enum Error {
    #[error("Kubernetes API: {0}")]
    Kube(#[from] kube::Error),
    #[error("finalizer: {0}")]
    Finalizer(#[source] Box<finalizer::Error<Error>>),
    #[error("the {0} has no namespace")]
    NoNamespace(&'static str),
    /// The connector is still on Connect, so the finalizer stays.
    #[error("{0}")]
    DeleteFailed(String),
    /// The Connect cluster cannot be reached yet (its REST credentials are not issued).
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    Internal(String),
}

impl Error {
    pub fn category(&self) -> Category {
        match self {
            Error::Kube(e) => Category::of_kube(e),
            Error::Finalizer(e) => match &**e {
                finalizer::Error::ApplyFailed(e) | finalizer::Error::CleanupFailed(e) => {
                    e.category()
                }
                finalizer::Error::AddFinalizer(e) | finalizer::Error::RemoveFinalizer(e) => {
                    Category::of_kube(e)
                }
                _ => Category::Finalizer,
            },
            Error::NoNamespace(_) => Category::InvalidSpec,
            Error::DeleteFailed(_) | Error::Unavailable(_) => Category::ConnectUnavailable,
            Error::Internal(_) => Category::Internal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(code: u16) -> kube::Error {
        kube::Error::Api(kube::core::Status::failure("refused", "Refused").with_code(code).boxed())
    }

    #[test]
    fn categories_follow_the_status_code_and_see_through_the_finalizer() {
        let table = [
            (Error::Kube(api(409)), Category::Conflict),
            (Error::Kube(api(422)), Category::Rejected),
            (Error::Kube(api(400)), Category::Rejected),
            (Error::Kube(api(403)), Category::Forbidden),
            (Error::Kube(api(500)), Category::KubernetesApi),
            (Error::NoNamespace("Connector"), Category::InvalidSpec),
            (Error::DeleteFailed("down".into()), Category::ConnectUnavailable),
            (Error::Unavailable("not issued".into()), Category::ConnectUnavailable),
            (Error::Internal("bug".into()), Category::Internal),
            (
                Error::Finalizer(Box::new(finalizer::Error::CleanupFailed(Error::DeleteFailed(
                    "down".into(),
                )))),
                Category::ConnectUnavailable,
            ),
            (
                Error::Finalizer(Box::new(finalizer::Error::RemoveFinalizer(api(403)))),
                Category::Forbidden,
            ),
            (Error::Finalizer(Box::new(finalizer::Error::UnnamedObject)), Category::Finalizer),
        ];
        for (error, want) in table {
            assert_eq!(error.category(), want, "{error}");
        }
    }
}
