package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"hoctap/flows"
	"hoctap/flows/app"
	"hoctap/locales"
	"hoctap/report"
	"hoctap/role"
	"hoctap/scoring"
	"hoctap/store"
)

func demoCommands() map[string]command {
	return map[string]command{
		"bench": {usage: "[--province CODE] [--commune CODE] [--runs N]", summary: "measure /progress, the chart, the workbook, rollup check and export progress on a seeded province", run: demoBench},
		"seed":  {usage: "--province-households N [--province CODE]", summary: "fill a real province with synthetic villages, households, clans, units, people, official counts and assessments of this year in every state", run: demoSeed},
	}
}

func runDemo(e *env, args []string) error { return dispatch(e, "demo", demoCommands(), args) }

// demoSeed seeds a province for demos and benchmarks; its last line on
// stdout ends with the province's code.
func demoSeed(e *env, args []string) error {
	fs, out := flags(e, "hoctap demo seed", "--province-households N [--province CODE]")
	households := fs.Int("province-households", 0, "the households to make (`N`), spread over about 20 villages a commune")
	province := fs.String("province", "01", "the province (`CODE`); Hà Nội, 126 communes, by default")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *households < 1 {
		return usageErrorf("--province-households is required: the number of households, 1 or more")
	}
	sets, err := scoring.Shipped()
	if err != nil {
		return err
	}
	ctx := context.Background()
	db, err := openMigrated(ctx, e)
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	n, err := db.SeedDemo(ctx, store.Demo{Province: *province, Households: *households, Sets: sets, Log: e.log})
	if err != nil {
		return err
	}
	return writeResult(e, *out, func(w io.Writer) error {
		_, err := fmt.Fprintf(w, "communes %d\nvillages %d\npeople %d\nsubjects %d\nassessments %d\nseconds %.1f\nseeded province %s\n",
			n.Communes, n.Villages, n.People, n.Subjects, n.Assessments, time.Since(start).Seconds(), *province)
		return err
	})
}

// benchUser is the channel user the bench's leader is, in the channel
// "bench": no real person has it.
const benchUser = 1

// demoBench measures, on a seeded province, what a leader waits for: the
// server time of /progress (the engine's step, with the store's queries)
// for the province and one commune, the chart and the workbook, then the
// whole-process time of `hoctap rollup check` and of `hoctap export
// progress` as CSV, start-up included. Figures are printed, never judged:
// a line per measure, as "NAME AREA median X ms p95 Y ms max Z ms runs N".
func demoBench(e *env, args []string) error {
	fs, out := flags(e, "hoctap demo bench", "[--province CODE] [--commune CODE] [--runs N]")
	province := fs.String("province", "01", "the seeded province (`CODE`)")
	commune := fs.String("commune", "", "the commune (`CODE`); the province's first by default")
	runs := fs.Int("runs", 20, "how many times each measure runs (`N`)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *runs < 1 {
		return usageErrorf("--runs is at least 1")
	}
	sets, err := scoring.Shipped()
	if err != nil {
		return err
	}
	bin, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find the hoctap binary: %w", err)
	}
	c, err := loadConfig(e.lookup)
	if err != nil {
		return err
	}
	var lines []string
	measure := func(name, code string, n int, fn func() error) error {
		took := make([]time.Duration, 0, n)
		for range n {
			start := time.Now()
			if err := fn(); err != nil {
				return fmt.Errorf("%s %s: %w", name, code, err)
			}
			took = append(took, time.Since(start))
		}
		slices.Sort(took)
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		lines = append(lines, fmt.Sprintf("%s %s median %.1f ms p95 %.1f ms max %.1f ms runs %d", name, code,
			ms(took[len(took)/2]), ms(took[(len(took)*95+99)/100-1]), ms(took[len(took)-1]), n))
		e.log.Info("measured", "what", name, "area", code)
		return nil
	}
	err = withReady(e, func(ctx context.Context, db *store.DB) error {
		now := time.Now()
		p, err := db.AreaProgress(ctx, *province, store.DayOf(now).Year(), now)
		if err != nil {
			return fmt.Errorf("the province %s: %w", *province, err)
		}
		if *commune == "" && len(p.Children) > 0 {
			*commune = p.Children[0].Area.Code
		}
		leader, err := db.Consent(ctx, "bench", benchUser, "vi", now)
		if err != nil {
			return err
		}
		if err := db.GrantRole(ctx, leader.ID, role.Leader, *province, 0); err != nil {
			return err
		}
		engine := app.New(app.Config{Store: db, Sets: sets, Now: time.Now, DefaultLang: "vi"})
		conv := flows.Conv{Channel: "bench", ID: benchUser}
		for _, code := range slices.DeleteFunc([]string{*province, *commune}, func(c string) bool { return c == "" }) {
			// A conversation under way: its state is found, as it is
			// in Redis between a person's steps.
			var env flows.Envelope
			in := flows.Input{Kind: flows.InputCommand, Command: "progress", Text: code, Conv: conv, User: benchUser}
			if _, err := engine.Step(ctx, in, &env, false); err != nil {
				return err
			}
			saved := env
			err := measure("progress", code, *runs, func() error {
				env := saved
				in.At, in.Key = time.Now(), "bench:"+strconv.FormatInt(time.Now().UnixNano(), 10)
				outs, err := engine.Step(ctx, in, &env, true)
				if err == nil && (len(outs) == 0 || !strings.Contains(outs[len(outs)-1].Text, "📊")) {
					err = fmt.Errorf("/progress showed no figures: %d outputs", len(outs))
				}
				return err
			})
			if err != nil {
				return err
			}
		}
		pr := locales.For("vi")
		if err := measure("chart", *province, *runs, func() error { _, err := report.Chart(p, pr); return err }); err != nil {
			return err
		}
		// The workbook as the Excel button makes it: read, then written.
		return measure("xlsx", *province, *runs, func() error {
			wb, err := db.AreaWorkbook(ctx, *province, p.Year, time.Now())
			if err != nil {
				return err
			}
			return report.WriteXLSX(io.Discard, wb, sets, pr)
		})
	})
	if err != nil {
		return err
	}
	// The commands as an operator or a cron job runs them: a process each.
	child := func(args ...string) func() error {
		return func() error {
			cmd := exec.Command(bin, args...)
			cmd.Env = append(os.Environ(), "DATABASE_URL="+c.databaseURL)
			if msg, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("%w: %s", err, lastLine(msg))
			}
			return nil
		}
	}
	few := min(*runs, 3) // a check reads every fact: a few runs tell enough
	err = withReady(e, func(ctx context.Context, db *store.DB) error {
		return measure("misses-count", "all", few, func() error { return db.RebuildMisses(ctx) })
	})
	if err != nil {
		return err
	}
	if err := measure("rollup-check", "all", few, child("rollup", "check")); err != nil {
		return err
	}
	if err := measure("export-csv", *province, few, child("export", "progress", "--area", *province, "--format", "csv", "-o", os.DevNull)); err != nil {
		return err
	}
	return writeResult(e, *out, func(w io.Writer) error {
		_, err := fmt.Fprintln(w, strings.Join(lines, "\n"))
		return err
	})
}

// lastLine is the last line of a command's output: its error.
func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}
