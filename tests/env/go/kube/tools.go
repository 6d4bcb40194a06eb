//go:build tools

// Keeps k8s.io/kubernetes/cmd/kube-apiserver in this module's dependency graph so that
// `go mod tidy` records every checksum the build needs.
package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
