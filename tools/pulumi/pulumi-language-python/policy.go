package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sdk "github.com/pulumi/pulumi/sdk/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// RunPlugin runs a Python policy pack, which is how the engine runs `--policy-pack <dir>` when
// the pack's PulumiPolicy.yaml says `runtime: python` and a python language host is installed
// (NewPolicyAnalyzer in sdk/go/common/resource/plugin/analyzer_plugin.go). It does what the
// upstream host's RunPlugin does for analyzers, step for step:
//
//   - the interpreter is the one runtime.options.virtualenv names in PulumiPolicy.yaml, relative
//     to the pack's folder (no virtualenv: python3 from PATH, as for programs);
//   - it runs `python -u -m pulumi.policy <engine args> <pack dir>` in the pack's folder: the
//     Python SDK's pulumi.policy module runs the pack's __main__.py, whose PolicyPack serves the
//     Analyzer gRPC service and prints its port;
//   - the SDK's PolicyProxy answers the engine first, so the stack's organization, project, stack,
//     dry-run flag and config reach the pack as PULUMI_* variables (pulumi_policy reads them), then
//     forwards every call to the pack.
//
// Other plugin kinds (Python resource providers as plugins), and packs without a __main__.py (which
// upstream runs as buildable packages through pulumi.run.plugin), are not something this project runs.
func (h *pythonHost) RunPlugin(req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer) error {
	if req.GetKind() != string(apitype.AnalyzerPlugin) {
		return status.Errorf(codes.Unimplemented,
			"this language host runs Python policy packs (analyzer plugins), not %s plugins", req.GetKind())
	}
	ctx := server.Context()
	py, err := newPython(req.GetInfo())
	if err != nil {
		return err
	}
	py.declaredIn = "PulumiPolicy.yaml"
	if err := py.validate(); err != nil {
		return err
	}

	dir := req.GetInfo().GetProgramDirectory()
	if _, err := os.Stat(filepath.Join(dir, "__main__.py")); err != nil {
		// Upstream runs a pack without one, a buildable pyproject.toml, through pulumi.run.plugin.
		return fmt.Errorf("policy pack %s has no __main__.py; this language host runs only packs that have one: %w", dir, err)
	}
	args := append([]string{"-u", "-m", "pulumi.policy"}, req.GetArgs()...)
	args = append(args, dir) // the pack's folder comes last, after the engine's arguments
	cmd := py.command(ctx, args...)
	cmd.Dir = dir // policy packs have always run in their own folder

	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(server, false)
	if err != nil {
		return err
	}
	defer closer.Close()

	proxy, stdout, err := sdk.NewPolicyProxy(ctx, stdout)
	if err != nil {
		return fmt.Errorf("could not start policy pack proxy: %w", err)
	}
	stack, err := proxy.AwaitConfiguration(ctx)
	if err != nil {
		return fmt.Errorf("could not get stack configuration: %w", err)
	}
	stackEnv, err := policyPackEnv(stack)
	if err != nil {
		return err
	}
	cmd.Env = append(append(cmd.Env, stackEnv...), req.GetEnv()...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	logging.V(5).Infof("RunPlugin: %s", strings.Join(cmd.Args, " "))

	if err := cmd.Start(); err != nil {
		return fmt.Errorf("could not run %s: %w", py.interpreter, err)
	}
	if err := proxy.Attach(ctx, cmd); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return server.Send(&pulumirpc.RunPluginResponse{
				Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(exitErr.ExitCode())},
			})
		}
		return fmt.Errorf("policy pack %s: %w", dir, err)
	}
	return closer.Close()
}

// policyPackEnv is what the pack learns of the stack: the variables the upstream host sets, each
// only when the engine sent a value (no stack at all for `pulumi policy publish`).
func policyPackEnv(stack *pulumirpc.AnalyzerStackConfigureRequest) ([]string, error) {
	if stack == nil {
		return nil, nil
	}
	var env []string
	set := func(name, value string) {
		if value != "" {
			env = append(env, name+"="+value)
		}
	}
	set("PULUMI_ORGANIZATION", stack.GetOrganization())
	set("PULUMI_PROJECT", stack.GetProject())
	set("PULUMI_STACK", stack.GetStack())
	set("PULUMI_DRY_RUN", strconv.FormatBool(stack.GetDryRun()))
	if config := stack.GetConfig(); config != nil {
		text, err := json.Marshal(config)
		if err != nil {
			return nil, fmt.Errorf("could not marshal stack configuration: %w", err)
		}
		set("PULUMI_CONFIG", string(text))
	}
	return env, nil
}
