package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAreasCountsImport: official counts load per area and year; loaded
// again, nothing changes; a changed count is replaced; a file with
// problems — a bad number, a year twice, an unknown area, a wrong header —
// names each by line and column, changes nothing and exits 1.
func TestAreasCountsImport(t *testing.T) {
	t.Parallel()
	in := newInstallation(t)
	env := in.environ
	write := func(body string) string {
		t.Helper()
		path := filepath.Join(t.TempDir(), "counts.csv")
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	const header = "code,year,households,clans,villages,units,adults,staff\n"
	good := write("\ufeff" + header + "01,2026,2.300.000,12000,,900,5.000.000,\n00376,2026,8000,40,12,30,20000,600\n")
	if r := hoctap(t, env, "", "areas", "counts", "import", good); r.code != 0 || r.stdout != "2 counts: 2 new, 0 changed, 0 unchanged\n" {
		t.Fatalf("first import: exit %d %q %s", r.code, r.stdout, r.stderr)
	}
	if r := hoctap(t, env, "", "areas", "counts", "import", good); r.code != 0 || r.stdout != "2 counts: 0 new, 0 changed, 2 unchanged\n" {
		t.Errorf("again: exit %d %q %s", r.code, r.stdout, r.stderr)
	}
	changed := write(header + "00376,2026,8100,40,12,30,20000,600\n")
	if r := hoctap(t, env, "", "areas", "counts", "import", changed); r.code != 0 || r.stdout != "1 counts: 0 new, 1 changed, 0 unchanged\n" {
		t.Errorf("changed: exit %d %q %s", r.code, r.stdout, r.stderr)
	}
	if n := in.count(`SELECT count(*) FROM area_counts WHERE code = '01' AND households = 2300000 AND villages IS NULL AND staff IS NULL`); n != 1 {
		t.Errorf("Hà Nội's counts are not as the file says")
	}
	bad := write(header + "00376,2026,-1,x,,,,\n00376,2026,1,1,1,1,1,1\n99999,2026,1,,,,,\n01,26,,,,,,\n")
	r := hoctap(t, env, "", "areas", "counts", "import", bad)
	for _, want := range []string{"counts line 2, households:", "counts line 2, clans:", "counts line 3, code: 00376 2026 is on line 2 already", "counts line 5, year:"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("the problems lack %q:\n%s", want, r.stderr)
		}
	}
	if r.code != 1 || r.stdout != "" {
		t.Errorf("a file with problems: exit %d %q", r.code, r.stdout)
	}
	unknown := write(header + "99999,2026,1,,,,,\n00376,2026,9,,,,,\n")
	if r := hoctap(t, env, "", "areas", "counts", "import", unknown); r.code != 1 || !strings.Contains(r.stderr, `counts line 2, code: no area has the code "99999"`) {
		t.Errorf("an unknown area: exit %d %s", r.code, r.stderr)
	}
	if n := in.count(`SELECT households FROM area_counts WHERE code = '00376'`); n != 8100 {
		t.Errorf("a file with problems changed the counts: %d households", n)
	}
	if r := hoctap(t, env, "", "areas", "counts", "import", write("code,households\n")); r.code != 1 || !strings.Contains(r.stderr, "counts line 1: the header") {
		t.Errorf("a wrong header: exit %d %s", r.code, r.stderr)
	}
	if r := hoctap(t, env, "", "areas", "counts", "import"); r.code != 2 {
		t.Errorf("no file: exit %d", r.code)
	}
}

// TestTargets: a new installation has the nation's targets of 2025 and
// 2030; a province's plan overrides them for its areas only; a file with
// problems changes nothing and exits 1.
func TestTargets(t *testing.T) {
	t.Parallel()
	in := newInstallation(t)
	env := in.environ
	if r := hoctap(t, env, "", "migrate"); r.code != 0 {
		t.Fatalf("migrate: %s", r.stderr)
	}
	r := hoctap(t, env, "", "targets", "show", "--area", "00376", "--year", "2025")
	for _, want := range []string{"family     entities  70%    VN            true       Quyết định 387/QĐ-TTg (2022)",
		"citizen    adults    40%", "citizen    staff     60%"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the 2025 targets lack %q:\n%s", want, r.stdout)
		}
	}
	if r := hoctap(t, env, "", "targets", "show", "--year", "2030"); !strings.Contains(r.stdout, "unit       entities  90%    VN            false") {
		t.Errorf("the 2030 targets:\n%s", r.stdout)
	}
	plan := filepath.Join(t.TempDir(), "plan.csv")
	os.WriteFile(plan, []byte("jurisdiction,year,kind,basis,share,source,confirmed\n01,2025,family,entities,75%,Kế hoạch 123/KH-UBND Hà Nội,true\n"), 0o644)
	if r := hoctap(t, env, "", "targets", "import", plan); r.code != 0 || r.stdout != "1 targets loaded\n" {
		t.Fatalf("the plan: exit %d %q %s", r.code, r.stdout, r.stderr)
	}
	if r := hoctap(t, env, "", "targets", "show", "--area", "00376"); !strings.Contains(r.stdout, "family     entities  75%    01") || !strings.Contains(r.stdout, "clan       entities  65%    VN") {
		t.Errorf("Hà Nội's commune after the plan:\n%s", r.stdout)
	}
	if r := hoctap(t, env, "", "targets", "show", "--area", "02266"); !strings.Contains(r.stdout, "family     entities  70%    VN") {
		t.Errorf("another province after Hà Nội's plan:\n%s", r.stdout)
	}
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("jurisdiction,year,kind,basis,share,source,confirmed\n00376,2025,family,entities,75,x,true\n01,2025,citizen,entities,120,,maybe\n"), 0o644)
	r = hoctap(t, env, "", "targets", "import", bad)
	for _, want := range []string{"targets line 3, basis:", "targets line 3, share:", "targets line 3, source:", "targets line 3, confirmed:"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("the problems lack %q:\n%s", want, r.stderr)
		}
	}
	if r.code != 1 {
		t.Errorf("a file with problems: exit %d", r.code)
	}
	commune := filepath.Join(t.TempDir(), "commune.csv")
	os.WriteFile(commune, []byte("jurisdiction,year,kind,basis,share,source,confirmed\n00376,2025,family,entities,75,x,true\n"), 0o644)
	if r := hoctap(t, env, "", "targets", "import", commune); r.code != 1 || !strings.Contains(r.stderr, `targets line 2, jurisdiction: "00376" is not the nation's code or a province's`) {
		t.Errorf("a commune's targets: exit %d %s", r.code, r.stderr)
	}
}
