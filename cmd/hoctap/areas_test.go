package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An import that merges one commune and splits another, with a map for the
// split's village: a map with problems changes nothing and exits 1 naming
// each line; the right one prints what moved and who was asked, and the
// same files again change nothing; bad usage exits 2.
func TestAreasImportMergeAndSplit(t *testing.T) {
	in := newInstallation(t)
	if r := hoctap(t, in.environ, "", "migrate"); r.code != 0 {
		t.Fatalf("migrate: exit %d %s", r.code, r.stderr)
	}
	dir := t.TempDir()
	file := func(name, text string) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	const head = "code,name,level,parent_code,valid_from,valid_to,replaced_by\n"
	tree := file("tree.csv", head+"T.A,Xã An,commune,01,2025-07-01,,\nT.B,Xã Bình,commune,01,2025-07-01,,\nT.A.1,Thôn Một,village,T.A,2025-07-01,,\n"+
		"T.S,Xã Sông,commune,01,2025-07-01,,\nT.S.1,Thôn Trên,village,T.S,2025-07-01,,\n")
	if r := hoctap(t, in.environ, "", "areas", "import", tree); r.code != 0 {
		t.Fatalf("the tree: exit %d %s", r.code, r.stderr)
	}
	ctx := context.Background()
	household := func(user int, name, areaCode string, representatives int) {
		t.Helper()
		var subject int64
		for i := range representatives {
			var person int64
			if err := in.pool.QueryRow(ctx, `INSERT INTO people (channel, channel_user, lang, consent_at) VALUES ('telegram', $1, 'vi', now()) RETURNING id`,
				user+i).Scan(&person); err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				if err := in.pool.QueryRow(ctx, `INSERT INTO subjects (kind, name, area_code, created_by) VALUES ('family', $1, $2, $3) RETURNING id`,
					name, areaCode, person).Scan(&subject); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := in.pool.Exec(ctx, `INSERT INTO representatives (subject_id, person_id) VALUES ($1, $2)`, subject, person); err != nil {
				t.Fatal(err)
			}
		}
	}
	household(100, "Nhà Lê", "T.S", 2)
	household(200, "Nhà Hai", "T.A", 1)

	changes := file("changes.csv", head+"T.A,Xã An,commune,01,2025-07-01,2026-07-01,T.B\nT.B,Xã Bình,commune,01,2025-07-01,,\n"+
		"T.S,Xã Sông,commune,01,2025-07-01,2026-07-01,\nT.N1,Xã Bắc,commune,01,2026-07-01,,\nT.N2,Xã Nam,commune,01,2026-07-01,,\n")
	wrong := file("wrong.csv", "kind,id,new_code\narea,T.S.1,T.X\nvillage,T.S.1,T.N1\n")
	r := hoctap(t, in.environ, "", "areas", "import", changes, "--map", wrong)
	if r.code != 1 || !strings.Contains(r.stderr, `map line 3, kind: "village" is not area or subject`) || r.stdout != "" {
		t.Errorf("a map that does not read: exit %d, %q %s", r.code, r.stdout, r.stderr)
	}
	wrong = file("wrong.csv", "kind,id,new_code\narea,T.S.1,T.X\n")
	r = hoctap(t, in.environ, "", "areas", "import", changes, "--map", wrong)
	if r.code != 1 || !strings.Contains(r.stderr, `map line 2, new_code: "T.X" is not a known area`) ||
		!strings.Contains(r.stderr, "line 4: T.S was split on 2026-07-01 (no replaced_by), and no one in the bot can choose for an area: place T.S.1 below it") {
		t.Errorf("a map with problems: exit %d, %q %s", r.code, r.stdout, r.stderr)
	}
	if n := in.count(`SELECT count(*) FROM areas WHERE code = 'T.N1' OR valid_to IS NOT NULL`); n != 0 {
		t.Errorf("a refused import changed %d areas", n)
	}

	mapping := file("map.csv", "kind,id,new_code\narea,T.S.1,T.N1\n")
	const want = "5 areas: 2 new, 2 changed (0 moved), 1 unchanged; 2 child areas moved; 1 subject moved to the areas that took theirs over; " +
		"2 representatives asked to pick the new area\n"
	if r := hoctap(t, in.environ, "", "areas", "import", changes, "--map", mapping, "--from", "2026-07-01"); r.code != 0 || r.stdout != want {
		t.Errorf("the merge and the split: exit %d, %q, want %q %s", r.code, r.stdout, want, r.stderr)
	}
	if n := in.count(`SELECT count(*) FROM areas WHERE (code = 'T.A.1' AND parent_code = 'T.B') OR (code = 'T.S.1' AND parent_code = 'T.N1')`); n != 2 {
		t.Errorf("%d villages moved, want 2", n)
	}
	if n := in.count(`SELECT count(*) FROM notices WHERE name = 'relocate'`); n != 2 {
		t.Errorf("%d representatives asked", n)
	}
	if r := hoctap(t, in.environ, "", "areas", "import", changes, "--map", mapping); r.code != 0 || r.stdout != "5 areas: 0 new, 0 changed (0 moved), 5 unchanged\n" {
		t.Errorf("the same again: exit %d, %q %s", r.code, r.stdout, r.stderr)
	}
	if r := hoctap(t, in.environ, "", "areas", "import", changes, "--map"); r.code != 2 {
		t.Errorf("--map with no file: exit %d %s", r.code, r.stderr)
	}
	if r := hoctap(t, in.environ, "", "areas", "import", changes, mapping); r.code != 2 || !strings.Contains(r.stderr, "import takes one CSV file") {
		t.Errorf("two files: exit %d %s", r.code, r.stderr)
	}
}
