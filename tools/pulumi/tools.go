//go:build tools

// Package tools pins the Pulumi CLI's main package in this module's graph.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
