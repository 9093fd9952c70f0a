package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"hoctap/load"
)

func runLoadtest(e *env, args []string) error {
	fs, out := flags(e, "hoctap loadtest", "[--people N] [--think D] [--duration D] [--mode polling|webhook] [--replicas N] [--broadcast N]")
	people := fs.Int("people", 300, "simulated people walking the questionnaire at once")
	think := fs.Duration("think", 250*time.Millisecond, "how long a person thinks after each reply")
	duration := fs.Duration("duration", 60*time.Second, "how long the load runs")
	mode := fs.String("mode", "polling", "polling or webhook")
	replicas := fs.Int("replicas", 1, "bot replicas (webhook mode for more than one)")
	stall := fs.Duration("stall", 10*time.Second, "a step with no reply for this long is a stall")
	prof := fs.String("profile", "", "write a CPU profile of the (first) replica to `FILE` (polling mode)")
	broadcast := fs.Int("broadcast", 0, "walk twice: as it is, then during a broadcast to `N` more people, and compare")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *mode != "polling" && *mode != "webhook" {
		return usageErrorf("--mode is polling or webhook, not %q", *mode)
	}
	if *people < 1 || *replicas < 1 || *duration <= 0 || *think < 0 || *broadcast < 0 {
		return usageErrorf("--people and --replicas are at least 1, --duration more than 0, --broadcast 0 or more")
	}
	c, err := loadConfig(e.lookup)
	if err != nil {
		return err
	}
	bin, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find the hoctap binary: %w", err)
	}
	e.log.Info("load test starting", "people", *people, "mode", *mode, "replicas", *replicas, "duration", duration.String())
	rep, err := load.Run(contextOf(), load.Options{
		People: *people, Think: *think, Duration: *duration, Mode: *mode, Replicas: *replicas, Binary: bin,
		DatabaseURL: c.databaseURL, RedisURL: c.redisURL, StallAfter: *stall, Profile: *prof, Broadcast: *broadcast, SendRate: c.sendRate, Log: e.log,
	})
	if err != nil {
		return err
	}
	return writeResult(e, *out, func(w io.Writer) error { rep.Print(w); return nil })
}
