package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"hoctap/load"
	"hoctap/session/sessiontest"
	"hoctap/store/storetest"
)

// TestMain lets the load test run this test binary as its `hoctap serve`
// replicas: with HOCTAP_RUN_AS_MAIN=1 the binary is hoctap itself. Else it
// runs the tests, which must leave no goroutine running.
func TestMain(m *testing.M) {
	if os.Getenv("HOCTAP_RUN_AS_MAIN") == "1" {
		main()
		return
	}
	goleak.VerifyTestMain(m)
}

// TestLoadtestRuns runs a small load through real replicas and checks the
// report is complete; the figures themselves are measured, not asserted.
func TestLoadtestRuns(t *testing.T) {
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOCTAP_RUN_AS_MAIN", "1")
	rep, err := load.Run(context.Background(), load.Options{
		People: 5, Think: 50 * time.Millisecond, Duration: 4 * time.Second, Mode: "polling", Replicas: 1,
		Binary: bin, DatabaseURL: storetest.URL(), RedisURL: sessiontest.URL(), StallAfter: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Steps == 0 || len(rep.Stalls) != 0 || rep.BotSteps == 0 || rep.RedisPerStep == 0 || rep.PGPerStep == 0 ||
		rep.BotAPIPerStep == 0 || rep.CPUPerStep == 0 || rep.Conversations != 5 || rep.P50 == 0 {
		t.Errorf("incomplete report: %+v", rep)
	}
	var out bytes.Buffer
	rep.Print(&out)
	for _, want := range []string{"steps", "reply latency", "bot CPU per step", "Redis round trips", "Redis per conversation"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, out.String())
		}
	}
}

// TestLoadtestBroadcastRuns walks twice, the second time during a
// broadcast, and reports both walks and the broadcast's rate.
func TestLoadtestBroadcastRuns(t *testing.T) {
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOCTAP_RUN_AS_MAIN", "1")
	rep, err := load.Run(context.Background(), load.Options{
		People: 3, Think: 50 * time.Millisecond, Duration: 3 * time.Second, Mode: "polling", Replicas: 1,
		Binary: bin, DatabaseURL: storetest.URL(), RedisURL: sessiontest.URL(), StallAfter: 5 * time.Second, Broadcast: 200,
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.AloneP50 == 0 || rep.P50 == 0 || rep.BroadcastSent == 0 || rep.Walkers != 6 || len(rep.Stalls) != 0 {
		t.Errorf("incomplete report: %+v", rep)
	}
	var out bytes.Buffer
	rep.Print(&out)
	for _, want := range []string{"without a broadcast", "p99 difference", "of SEND_RATE 25/s"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the report lacks %q:\n%s", want, out.String())
		}
	}
}
