//go:build tools

// Package tools pins syft, which makes the SBOM of environments with `attestations.sbom`
// (scripts/supply-chain-tools.sh).
package tools

import _ "github.com/anchore/syft/cmd/syft"
