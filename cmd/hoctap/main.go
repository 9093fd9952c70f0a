// Command hoctap is the one binary of hoctap: the bot, its terminal
// playground, and the tools that manage criteria sets.
//
// Results go to stdout, logs and errors to stderr; the exit code is 0 when
// the command did its job, 1 when a check found a problem or the command
// failed, and 2 on bad usage.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/pflag"
)

// Exit codes.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

func main() {
	os.Exit(run(os.Args[1:], &env{
		stdin:  os.Stdin,
		stdout: os.Stdout,
		stderr: os.Stderr,
		lookup: os.LookupEnv,
	}))
}

// env is what a command may touch of the world, so tests can give their own.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	lookup         func(string) (string, bool) // the environment's variables
	log            *slog.Logger
}

// getenv returns an environment variable, "" when it is not set.
func (e *env) getenv(key string) string {
	v, _ := e.lookup(key)
	return v
}

// command is one "hoctap ..." command.
type command struct {
	usage   string // the arguments, after the command's name
	summary string
	run     func(e *env, args []string) error
}

// errUsage marks bad usage: exit 2.
var errUsage = errors.New("usage")

// errFound marks a check that found problems it already printed: exit 1.
var errFound = errors.New("problems found")

func usageErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}

// commands are the top-level commands; groups such as "criteria" dispatch
// further.
func commands() map[string]command {
	return map[string]command{
		"areas":     {usage: "import FILE.csv [--from DATE] [--map MAP.csv] | counts import FILE.csv", summary: "load or update the area tree, or the official counts per area", run: runAreas},
		"criteria":  {usage: "list|lint|show|score|import|export ...", summary: "manage criteria sets", run: runCriteria},
		"serve":     {usage: "", summary: "run the Telegram bot (configured from the environment; see README)", run: runServe},
		"chat":      {usage: "[--user ID] [--lang vi|en]", summary: "the conversation in this terminal, on the same databases", run: runChat},
		"migrate":   {usage: "", summary: "bring the database schema up to date", run: runMigrate},
		"invite":    {usage: inviteUsage, summary: "make an invitation link to a role or a village (needs TELEGRAM_BOT_USERNAME), list or revoke them", run: runInvite},
		"roles":     {usage: "list|revoke ...", summary: "list or end the roles people hold", run: runRoles},
		"season":    {usage: seasonUsage, summary: "set a province's assessment season of a year (by default a season is the calendar year)", run: runSeason},
		"chain":     {usage: chainUsage, summary: "show or set how a province recognises titles: accept (a reviewer's acceptance) or confirm (a recogniser's decision)", run: runChain},
		"broadcast": {usage: broadcastUsage, summary: "send an announcement to everyone or to a role within an area (the running serve delivers it); show, pause, resume or cancel one", run: runBroadcast},
		"targets":   {usage: "show --area CODE [--year Y] | import FILE.csv", summary: "the programme's targets: show those in force for an area, or load a province's plan", run: runTargets},
		"export":    {usage: "assessments [--format csv|json] [-o FILE] | progress " + progressUsage, summary: "export submitted assessments, or an area's progress", run: runExport},
		"demo":      {usage: "seed --province-households N [--province CODE] | bench [--province CODE] [--commune CODE] [--runs N]", summary: "fill a real province with synthetic data for demos and benchmarks, and measure the leaders' figures on it", run: runDemo},
		"rollup":    {usage: "check [--fix]", summary: "check the progress figures' roll-ups against the facts (exit 1 on drift); --fix rebuilds them", run: runRollup},
		"loadtest":  {usage: "[--people N] [--think D] [--duration D] [--mode polling|webhook] [--replicas N] [--broadcast N]", summary: "measure the bot under simulated people (see README)", run: runLoadtest},
	}
}

func run(args []string, e *env) int {
	e.log = newLogger(e.stderr, e.getenv("LOG_FORMAT"))
	redis.SetLogger(redisLogger{e.log})
	if len(args) == 0 {
		// With a token the bot; without, the terminal playground.
		if e.getenv("TELEGRAM_BOT_TOKEN") != "" {
			return exitCode(e, "hoctap serve", runServe(e, nil))
		}
		return exitCode(e, "hoctap chat", runChat(e, nil))
	}
	args = commandFirst(args, commands())
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(e.stdout, "hoctap", commands())
		return exitOK
	}
	cmd, ok := commands()[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "hoctap: unknown command %q\n", args[0])
		printUsage(e.stderr, "hoctap", commands())
		return exitUsage
	}
	return exitCode(e, "hoctap "+args[0], cmd.run(e, args[1:]))
}

// exitCode prints err, if any, and returns the exit code it stands for.
func exitCode(e *env, name string, err error) int {
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errFound):
		return exitFail
	case errors.Is(err, errUsage):
		fmt.Fprintf(e.stderr, "%s: %s\n", name, strings.TrimPrefix(err.Error(), errUsage.Error()+": "))
		fmt.Fprintf(e.stderr, "Run '%s --help' for usage.\n", name)
		return exitUsage
	case errors.Is(err, pflag.ErrHelp):
		return exitOK
	}
	fmt.Fprintf(e.stderr, "%s: %s\n", name, err)
	return exitFail
}

func printUsage(w io.Writer, prefix string, cmds map[string]command) {
	fmt.Fprintf(w, "Usage:\n")
	names := make([]string, 0, len(cmds))
	for name := range cmds {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		c := cmds[name]
		fmt.Fprintf(w, "  %s %s %s\n      %s\n", prefix, name, c.usage, c.summary)
	}
}

// dispatch runs the sub-command named by args[0] of a command group.
func dispatch(e *env, group string, cmds map[string]command, args []string) error {
	args = commandFirst(args, cmds)
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		printUsage(e.stdout, "hoctap "+group, cmds)
		if len(args) == 0 {
			return usageErrorf("name a %s command", group)
		}
		return nil
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		return usageErrorf("unknown command %q", args[0])
	}
	return cmd.run(e, args[1:])
}

// flags returns a flag set that takes flags before or after the arguments,
// with -o/--output for the result's file.
func flags(e *env, name, usage string) (*pflag.FlagSet, *string) {
	fs := bareFlags(e, name, usage)
	return fs, fs.StringP("output", "o", "", "write the result to `FILE` instead of stdout")
}

// bareFlags returns a flag set for a command that writes no result (chat,
// serve, migrate): its --help lists only its own flags.
func bareFlags(e *env, name, usage string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(e.stdout)
	fs.SetInterspersed(true)
	fs.Usage = func() {
		fmt.Fprintf(e.stdout, "Usage: %s %s\n", name, usage)
		fs.PrintDefaults()
	}
	return fs
}

// commandFirst moves the first argument that names one of cmds to the
// front, so that flags may stand before a command as after it ("hoctap
// --user 2 chat", "hoctap criteria --json show family-2015").
func commandFirst(args []string, cmds map[string]command) []string {
	if len(args) == 0 || !strings.HasPrefix(args[0], "-") {
		return args
	}
	for i, a := range args {
		if a == "--" {
			break
		}
		if _, ok := cmds[a]; ok {
			return append(append([]string{a}, args[:i]...), args[i+1:]...)
		}
	}
	return args
}

// parse parses flags; a parse error is bad usage.
func parse(fs *pflag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return err
		}
		return usageErrorf("%v", err)
	}
	return nil
}

// parseNoArgs parses the flags of a command that takes no arguments.
func parseNoArgs(fs *pflag.FlagSet, args []string) error {
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("%s takes no arguments", strings.TrimPrefix(fs.Name(), "hoctap "))
	}
	return nil
}

// writeResult writes a command's result to stdout, or to the file path names
// when it is not empty: in full or not at all.
func writeResult(e *env, path string, write func(io.Writer) error) error {
	if path == "" || path == "-" {
		return write(e.stdout)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(f.Name())
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// redisLogger sends go-redis's own log lines through hoctap's logger.
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(_ context.Context, format string, v ...any) {
	l.log.Warn("redis client", "message", fmt.Sprintf(format, v...))
}

// newLogger logs to stderr as text, or as JSON when format is "json".
func newLogger(w io.Writer, format string) *slog.Logger {
	return newLoggerAt(w, format, slog.LevelInfo)
}

// newLoggerAt is newLogger for records from level up.
func newLoggerAt(w io.Writer, format string, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
