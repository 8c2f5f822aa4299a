//go:build tools

// Package tools pins cosign, which signs and verifies the images of environments with
// `signing` and attaches their SBOM and provenance as attestations (scripts/supply-chain-tools.sh).
package tools

import _ "github.com/sigstore/cosign/v2/cmd/cosign"
