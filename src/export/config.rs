//! What `gate export` is asked for beyond the policy: the namespaces to label, whether to add
//! Kyverno's deprecated `ClusterPolicy` for clusters older than 1.17, and the policy's URI for the
//! verification summary requirement.

/// The export's own settings (from the command line).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportConfig {
    /// `Namespace` objects to write with the Pod Security labels.
    pub namespaces: Vec<String>,
    /// Also write a `kyverno.io/v1` `ClusterPolicy` (`validate.podSecurity`) for Kyverno
    /// releases before the `policies.kyverno.io` kinds (deprecated in Kyverno 1.19).
    pub kyverno_cluster_policy: bool,
    /// Registries the engines must reach over plain HTTP (loopback test registries).
    pub insecure_registries: Vec<String>,
}
