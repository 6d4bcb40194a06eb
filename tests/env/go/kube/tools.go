//go:build tools

// Keeps the Kubernetes commands the test environment builds in this module's dependency
// graph so that `go mod tidy` records every checksum the build needs. build.sh appends one
// blank import per command it builds.
package tools
