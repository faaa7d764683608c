// Command pulumi-language-python is a small Python language host for the Pulumi
// engine. The upstream host (sdk/python/cmd/pulumi-language-python) is a separate
// Go module that the module proxy does not serve, so we ship our own: it covers
// what a pip/virtualenv project needs (run the program, report the interpreter,
// run a Python policy pack: policy.go) and leaves code generation, packing and
// plugin discovery unimplemented.
//
// The program itself is run by the `pulumi-language-python-exec` script from the
// sdk/v3 module, which must sit next to this binary.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

const (
	execScript = "pulumi-language-python-exec"

	// pulumi-language-python-exec exits with this code after it has already
	// logged the error through the engine; we then "bail" so the engine does
	// not print a second, less useful message.
	exitShownToUser = 32
)

func main() {
	// The engine may pass --tracing (and, with --logflow, -logtostderr and -v,
	// which glog registers via our dependencies and InitLogging reads back)
	// before the engine address. Older engines also passed -virtualenv/-root:
	// accept and ignore those; runtime options arrive with each request.
	tracing := flag.String("tracing", "", "Zipkin-compatible tracing endpoint")
	for _, obsolete := range []string{"virtualenv", "root", "typechecker", "toolchain", "use-executor"} {
		flag.String(obsolete, "", "[ignored]")
	}
	flag.Parse()
	logging.InitLogging(false, 0, false)

	self, err := os.Executable()
	if err != nil {
		cmdutil.Exit(fmt.Errorf("locating this executable: %w", err))
	}
	execPath := filepath.Join(filepath.Dir(self), execScript)
	if _, err := os.Stat(execPath); err != nil {
		cmdutil.Exit(fmt.Errorf("missing %s next to the language host: %w", execScript, err))
	}

	host := &pythonHost{exec: execPath, tracing: *tracing, engineAddress: flag.Arg(0)}

	// Stop serving on Ctrl-C or once the engine is gone, so no host outlives it.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	cancel := make(chan bool)
	go func() {
		<-ctx.Done()
		stop()
		close(cancel)
	}()
	if host.engineAddress != "" {
		if err := rpcutil.Healthcheck(ctx, host.engineAddress, 5*time.Minute, stop); err != nil {
			cmdutil.Exit(fmt.Errorf("starting engine health check: %w", err))
		}
	}

	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancel,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
		Options: rpcutil.OpenTracingServerInterceptorOptions(nil),
	})
	if err != nil {
		cmdutil.Exit(fmt.Errorf("starting language host RPC server: %w", err))
	}

	// The engine reads the port from our first line of stdout.
	fmt.Println(handle.Port)

	if err := <-handle.Done; err != nil {
		cmdutil.Exit(fmt.Errorf("language host RPC server: %w", err))
	}
}

type pythonHost struct {
	// Methods we don't need (codegen, Pack, Link, ...) answer
	// Unimplemented, which the engine treats as "not supported".
	pulumirpc.UnimplementedLanguageRuntimeServer

	exec    string
	tracing string

	mu            sync.Mutex
	engineAddress string
}

// Handshake is only sent when the engine attaches to an already running host
// (PULUMI_DEBUG_LANGUAGES); normally the address arrives on the command line.
func (h *pythonHost) Handshake(
	_ context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.engineAddress = req.EngineAddress
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *pythonHost) engine() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.engineAddress
}

func (h *pythonHost) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

// GetRequiredPackages reports no packages on purpose: providers are installed
// explicitly, never downloaded by the engine on our behalf.
func (h *pythonHost) GetRequiredPackages(
	context.Context, *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

func (h *pythonHost) GetRequiredPlugins(
	context.Context, *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

func (h *pythonHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	py, err := newPython(req.GetInfo())
	if err != nil {
		return nil, err
	}
	if err := py.validate(); err != nil {
		return nil, err
	}

	cfg := req.GetConfig()
	if cfg == nil {
		cfg = map[string]string{} // the exec script expects an object, not null
	}
	config, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("serializing config: %w", err)
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretKeysJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, fmt.Errorf("serializing secret config keys: %w", err)
	}

	args := []string{"-u", h.exec}
	flagArg := func(name, value string) {
		if value != "" {
			args = append(args, "--"+name, value)
		}
	}
	flagArg("monitor", req.GetMonitorAddress())
	flagArg("engine", h.engine())
	flagArg("project", req.GetProject())
	flagArg("root_directory", req.GetInfo().GetRootDirectory())
	flagArg("stack", req.GetStack())
	flagArg("pwd", req.GetPwd())
	flagArg("dry_run", strconv.FormatBool(req.GetDryRun()))
	flagArg("parallel", strconv.Itoa(int(req.GetParallel())))
	flagArg("tracing", h.tracing)
	flagArg("organization", req.GetOrganization())
	entry := req.GetInfo().GetEntryPoint()
	if entry == "" {
		entry = "." // runs __main__.py of the program directory
	}
	args = append(args, entry)
	args = append(args, req.GetArgs()...)

	// Our stdout/stderr are read by the engine, so the program's output flows
	// straight through. The RPC context is not used: cancelling the RPC must
	// not kill the program mid-deployment; the SDK handles cancellation itself.
	cmd := py.command(context.WithoutCancel(ctx), args...)
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	cmd.Env = append(cmd.Env, "PULUMI_CONFIG="+string(config), "PULUMI_CONFIG_SECRET_KEYS="+string(secretKeysJSON))
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	logging.V(5).Infof("language host launching: %s", strings.Join(cmd.Args, " "))

	err = cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return &pulumirpc.RunResponse{}, nil
	case errors.As(err, &exitErr) && exitErr.ExitCode() == exitShownToUser:
		return &pulumirpc.RunResponse{Bail: true}, nil
	case errors.As(err, &exitErr):
		return &pulumirpc.RunResponse{
			Error: fmt.Sprintf("program exited with non-zero exit code: %d", exitErr.ExitCode()),
		}, nil
	default:
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not run %s: %v", py.interpreter, err)}, nil
	}
}

// InstallDependencies only acts when the configured virtualenv is missing:
// then it creates it and installs requirements.txt. Our Makefile normally
// prepares the virtualenv, so usually this just says so.
func (h *pythonHost) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest, server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	closer, stdout, stderr, err := rpcutil.MakeInstallDependenciesStreams(server, req.IsTerminal)
	if err != nil {
		return err
	}
	defer closer.Close()

	py, err := newPython(req.GetInfo())
	if err != nil {
		return err
	}
	switch {
	case py.venv == "":
		fmt.Fprintf(stdout, "No virtualenv configured; using %s as is.\n", py.interpreter)
	case py.validate() == nil:
		fmt.Fprintf(stdout, "Using existing virtualenv %s.\n", py.venv)
	default:
		if err := createVenv(server.Context(), py, req.GetInfo().GetProgramDirectory(), stdout, stderr); err != nil {
			return err
		}
	}
	return closer.Close()
}

func createVenv(ctx context.Context, py *python, dir string, stdout, stderr io.Writer) error {
	base, err := exec.LookPath("python3")
	if err != nil {
		return fmt.Errorf("creating virtualenv %s: %w", py.venv, err)
	}
	steps := [][]string{{base, "-m", "venv", py.venv}}
	requirements := filepath.Join(dir, "requirements.txt")
	if _, err := os.Stat(requirements); err == nil {
		steps = append(steps, []string{py.interpreter, "-m", "pip", "install", "-r", requirements})
	}
	for _, step := range steps {
		fmt.Fprintf(stdout, "$ %s\n", strings.Join(step, " "))
		cmd := exec.CommandContext(ctx, step[0], step[1:]...)
		cmd.Dir, cmd.Stdout, cmd.Stderr = dir, stdout, stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s: %w", strings.Join(step, " "), err)
		}
	}
	return nil
}

func (h *pythonHost) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	py, err := newPython(req.GetInfo())
	if err != nil {
		return nil, err
	}
	out, err := py.output(ctx, "--version")
	if err != nil {
		return nil, err
	}
	return &pulumirpc.AboutResponse{
		Executable: py.interpreter,
		Version:    strings.TrimSpace(strings.TrimPrefix(string(out), "Python ")),
	}, nil
}

// listDistributions prints the installed distributions as JSON. It uses
// importlib.metadata rather than pip because uv-made virtualenvs have no pip.
const listDistributions = `import json, importlib.metadata as m
print(json.dumps(sorted({(d.metadata["Name"], d.version) for d in m.distributions() if d.metadata["Name"]})))`

// GetProgramDependencies lists every installed distribution (transitive or
// not: we have no cheap way to tell direct dependencies apart).
func (h *pythonHost) GetProgramDependencies(
	ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	py, err := newPython(req.GetInfo())
	if err != nil {
		return nil, err
	}
	out, err := py.output(ctx, "-c", listDistributions)
	if err != nil {
		return nil, err
	}
	var pairs [][2]string
	if err := json.Unmarshal(out, &pairs); err != nil {
		return nil, fmt.Errorf("parsing installed distributions: %w", err)
	}
	deps := make([]*pulumirpc.DependencyInfo, len(pairs))
	for i, p := range pairs {
		deps[i] = &pulumirpc.DependencyInfo{Name: p[0], Version: p[1]}
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}

// python is the interpreter selected by the project's runtime options.
type python struct {
	venv        string // absolute virtualenv directory, or "" for an ambient python
	interpreter string
	declaredIn  string // the file whose runtime options name the virtualenv, for messages
}

// newPython reads runtime.options from Pulumi.yaml (passed in ProgramInfo). A
// relative virtualenv is relative to the project root, as upstream does.
func newPython(info *pulumirpc.ProgramInfo) (*python, error) {
	opts := info.GetOptions().AsMap()
	if tc, ok := opts["toolchain"]; ok && tc != "pip" {
		return nil, fmt.Errorf("runtime option toolchain: %v is not supported by this language host (only pip)", tc)
	}
	venv, ok := opts["virtualenv"].(string)
	if _, set := opts["virtualenv"]; set && !ok {
		return nil, errors.New("runtime option virtualenv must be a string")
	}
	if venv == "" {
		// Same fallback as the dynamic provider script.
		interpreter := os.Getenv("PULUMI_PYTHON_CMD")
		if interpreter == "" {
			interpreter = "python3"
		}
		return &python{interpreter: interpreter}, nil
	}
	if !filepath.IsAbs(venv) {
		venv = filepath.Join(info.GetRootDirectory(), venv)
	}
	return &python{venv: venv, interpreter: filepath.Join(venv, "bin", "python"), declaredIn: "Pulumi.yaml"}, nil
}

// validate explains how to create a missing virtualenv instead of failing
// later with a bare "file not found".
func (p *python) validate() error {
	if p.venv == "" {
		_, err := exec.LookPath(p.interpreter)
		return err
	}
	if _, err := os.Stat(p.interpreter); err != nil {
		return fmt.Errorf("the virtualenv %s set in %s has no bin/python; create it with "+
			"`python3 -m venv %s && %s -m pip install -r requirements.txt` (or `pulumi install`)",
			p.venv, p.declaredIn, p.venv, p.interpreter)
	}
	return nil
}

// command runs the interpreter with the virtualenv activated: VIRTUAL_ENV set,
// its bin first on PATH (so subprocesses such as `python` resolve to it) and
// PYTHONHOME unset, which would otherwise override the venv's stdlib.
func (p *python) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, p.interpreter, args...)
	if p.venv == "" {
		return cmd
	}
	env := os.Environ()
	kept := env[:0]
	for _, kv := range env {
		switch name, _, _ := strings.Cut(kv, "="); name {
		case "PYTHONHOME", "VIRTUAL_ENV", "PATH":
		default:
			kept = append(kept, kv)
		}
	}
	cmd.Env = append(kept,
		"VIRTUAL_ENV="+p.venv,
		"PATH="+filepath.Join(p.venv, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	return cmd
}

func (p *python) output(ctx context.Context, args ...string) ([]byte, error) {
	if err := p.validate(); err != nil {
		return nil, err
	}
	out, err := p.command(ctx, args...).Output()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", p.interpreter, strings.Join(args, " "), err)
	}
	return out, nil
}
