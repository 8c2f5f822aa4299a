//go:build tools

// Package tools pins the buildx CLI plugin that scripts/buildkit-up.sh builds and installs
// into the executor's private Docker config (cli-plugins/docker-buildx).
package tools

import _ "github.com/docker/buildx/cmd/buildx"
