//go:build tools

// Package tools pins the BuildKit daemon and client that scripts/buildkit-up.sh builds.
package tools

import (
	_ "github.com/moby/buildkit/cmd/buildctl"
	_ "github.com/moby/buildkit/cmd/buildkitd"
)
