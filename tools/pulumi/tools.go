//go:build tools

// Package tools pins the Pulumi CLI that scripts/pulumi-tools.sh builds for the e2e tests.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
