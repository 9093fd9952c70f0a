package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestDemoSeedAndBench seeds Hà Nội on a database with no schema yet: the
// shipped tree is loaded, every commune gets its villages, the families
// made are the households asked for, assessments stand in every state,
// the roll-ups agree with the facts, and the last line names the
// province. The bench then measures each of its figures once.
func TestDemoSeedAndBench(t *testing.T) {
	// Not parallel: the bench runs this test binary as hoctap, told so by
	// the process's environment.
	t.Setenv("HOCTAP_RUN_AS_MAIN", "1")
	in := newInstallation(t)
	env := in.environ
	r := hoctap(t, env, "", "demo", "seed", "--province-households", "400")
	if r.code != 0 {
		t.Fatalf("seed: exit %d %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if last := lines[len(lines)-1]; !strings.HasSuffix(last, " 01") || !strings.HasSuffix(r.stdout, " 01\n") {
		t.Errorf("the last line %q does not end with the province's code: %q", last, r.stdout)
	}
	communes := in.count(`SELECT count(*) FROM areas WHERE parent_code = '01'`)
	if communes != 126 {
		t.Errorf("Hà Nội has %d communes", communes)
	}
	if n := in.count(`SELECT count(*) FROM areas a JOIN areas c ON c.code = a.parent_code WHERE c.parent_code = '01' AND a.level = 'village'`); n != 20*communes {
		t.Errorf("%d villages for %d communes", n, communes)
	}
	if n := in.count(`SELECT count(*) FROM subjects WHERE kind = 'family'`); n != 400 {
		t.Errorf("%d families, want the 400 households", n)
	}
	if n := in.count(`SELECT count(*) FROM subjects s JOIN people p ON p.id = s.created_by`); n != in.count(`SELECT count(*) FROM subjects`) {
		t.Errorf("%d subjects have a person", n)
	}
	for _, state := range []string{"open", "submitted"} {
		if n := in.count(`SELECT count(*) FROM assessments WHERE status = '` + state + `'`); n == 0 {
			t.Errorf("no assessment is %s", state)
		}
	}
	for _, state := range []string{"needs_changes", "accepted", "rejected"} {
		if n := in.count(`SELECT count(*) FROM reviews WHERE state = '` + state + `'`); n == 0 {
			t.Errorf("no review is %s", state)
		}
	}
	// Most accepted are recognised; some wait for their recogniser.
	if n, accepted := in.count(`SELECT count(*) FROM recognitions`), in.count(`SELECT count(*) FROM reviews WHERE state = 'accepted'`); n == 0 || n >= accepted {
		t.Errorf("%d recognitions of %d accepted", n, accepted)
	}
	if n := in.count(`SELECT count(*) FROM area_counts c JOIN areas a ON a.code = c.code WHERE a.parent_code = '01'`); n != communes {
		t.Errorf("%d communes have official counts", n)
	}
	if n := in.count(`SELECT count(*) FROM misses WHERE area_code = '01' AND missed > 0`); n == 0 {
		t.Errorf("the seed counted no missed indicator in Hà Nội")
	}
	if r := hoctap(t, env, "", "rollup", "check"); r.code != 0 || r.stdout != "" {
		t.Errorf("the seeded roll-ups drift: exit %d %s %s", r.code, r.stdout, r.stderr)
	}

	r = hoctap(t, env, "", "demo", "bench", "--runs", "1")
	if r.code != 0 {
		t.Fatalf("bench: exit %d %s", r.code, r.stderr)
	}
	got := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	want := []string{"progress 01", "progress 00004", "chart 01", "xlsx 01", "misses-count all", "rollup-check all", "export-csv 01"}
	line := regexp.MustCompile(`^(\S+ \S+) median [0-9.]+ ms p95 [0-9.]+ ms max [0-9.]+ ms runs 1$`)
	if len(got) != len(want) {
		t.Fatalf("the bench printed:\n%s", r.stdout)
	}
	for i, l := range got {
		if m := line.FindStringSubmatch(l); m == nil || m[1] != want[i] {
			t.Errorf("line %d is %q, want %q and its figures", i+1, l, want[i])
		}
	}
}
