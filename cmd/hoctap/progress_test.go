package main

import (
	"context"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"hoctap/area"
	"hoctap/report"
)

// TestRollupCheckAndProgressExport: facts written behind the store's back
// are drift that `rollup check` prints and exits 1 on; --fix rebuilds the
// roll-ups, after which the check exits 0; `export progress` then writes
// the header and a row per child area and title, zeros included, and the
// workbook has the summary and a sheet per title.
func TestRollupCheckAndProgressExport(t *testing.T) {
	t.Parallel()
	in := newInstallation(t)
	env := in.environ
	if r := hoctap(t, env, "", "migrate"); r.code != 0 {
		t.Fatalf("migrate: %d %s", r.code, r.stderr)
	}
	village := area.SampleCommune // a commune of Hà Nội's
	if _, err := in.pool.Exec(context.Background(), `
		WITH p AS (INSERT INTO people (channel, channel_user, lang, consent_at) VALUES ('test', 1, 'vi', now()) RETURNING id),
		s AS (INSERT INTO subjects (kind, name, area_code, created_by) SELECT 'family', 'Nhà Lê', $1, id FROM p RETURNING id, created_by),
		a AS (INSERT INTO assessments (subject_id, person_id, set_id, set_version, year, region, status, start_key)
			SELECT id, created_by, 'family-2015', 2, 2026, 'normal', 'submitted', 'k1' FROM s RETURNING id, subject_id, person_id),
		r AS (INSERT INTO reviews (assessment_id, state, waiting_since) SELECT id, 'accepted', now() FROM a)
		INSERT INTO recognitions (assessment_id, subject_id, kind, year, set_id, set_version, area_code, recognised_by, recognised_at)
		SELECT id, subject_id, 'family', 2026, 'family-2015', 2, $1, person_id, now() FROM a`, village); err != nil {
		t.Fatal(err)
	}
	r := hoctap(t, env, "", "rollup", "check")
	for _, want := range []string{village + " 2026 family recognised kept 0 facts 1\n", "VN 0 family enrolled kept 0 facts 1\n", "standings stale 2\n"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the check lacks %q:\n%s", want, r.stdout)
		}
	}
	if r.code != 1 {
		t.Errorf("drift: exit %d", r.code)
	}
	if r := hoctap(t, env, "", "rollup", "check", "--fix"); r.code != 1 || !strings.Contains(r.stdout, "kept 0 facts 1") {
		t.Errorf("--fix: exit %d %q", r.code, r.stdout)
	}
	if r := hoctap(t, env, "", "rollup", "check"); r.code != 0 || r.stdout != "" {
		t.Errorf("after the fix: exit %d %q %s", r.code, r.stdout, r.stderr)
	}

	r = hoctap(t, env, "", "export", "progress", "--year", "2026", "--area", "01")
	if r.code != 0 {
		t.Fatalf("export: exit %d %s", r.code, r.stderr)
	}
	rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	communes := in.count(`SELECT count(*) FROM areas WHERE parent_code = '01'`)
	if len(rows) != 1+communes*5 || strings.Join(rows[0], ",") != strings.Join(report.CSVHeader, ",") {
		t.Fatalf("%d rows for %d communes, header %v", len(rows), communes, rows[0])
	}
	byArea := map[string][]string{}
	for _, row := range rows[1:] {
		byArea[row[0]+" "+row[2]] = row
	}
	if got := strings.Join(byArea[village+" family"], ","); got != village+",Xã Sóc Sơn,family,1,registry,0,0,1,0,0,0,0,1,100.0,70,80" {
		t.Errorf("Sóc Sơn's families: %s", got)
	}
	if got := strings.Join(byArea[village+" citizen"], ","); got != village+",Xã Sóc Sơn,citizen,0,registry,0,0,0,0,0,0,0,0,0.0,40,70" {
		t.Errorf("Sóc Sơn's citizens: %s", got)
	}
	if got := strings.Join(byArea[area.SampleWard+" clan"], ","); got != area.SampleWard+",Phường Hoàn Kiếm,clan,0,registry,0,0,0,0,0,0,0,0,0.0,65,75" {
		t.Errorf("Hoàn Kiếm's clans: %s", got)
	}

	book := t.TempDir() + "/ha-noi.xlsx"
	if r := hoctap(t, env, "", "export", "progress", "--area", "01", "--format", "xlsx", "--year", "2026", "-o", book); r.code != 0 || r.stdout != "" {
		t.Fatalf("xlsx: exit %d %q %s", r.code, r.stdout, r.stderr)
	}
	f, err := excelize.OpenFile(book)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := strings.Join(f.GetSheetList(), ","); got != "Tổng hợp,Gia đình,Dòng họ,Cộng đồng,Đơn vị,Công dân,Chỉ tiêu không đạt,Bản đánh giá" {
		t.Errorf("sheets %s", got)
	}
	sheet, err := f.GetRows("Gia đình")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, row := range sheet {
		if len(row) > 10 && row[0] == village {
			found = row[1] == "Xã Sóc Sơn" && row[2] == "1" && row[10] == "1"
		}
	}
	if !found || len(sheet) != 3+communes {
		t.Errorf("the families' sheet has %d rows; Sóc Sơn's right: %v", len(sheet), found)
	}
	listed, err := f.GetRows("Bản đánh giá")
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) != 4 || len(listed[3]) < 6 || listed[3][2] != "Nhà Lê" || listed[3][5] != "được công nhận" {
		t.Errorf("the assessments' sheet: %q", listed)
	}
	for _, bad := range [][]string{{"export", "progress"}, {"export", "progress", "--area", "01", "--format", "pdf"}} {
		if r := hoctap(t, env, "", bad...); r.code != 2 || r.stdout != "" {
			t.Errorf("%v: exit %d %q", bad, r.code, r.stdout)
		}
	}
	if r := hoctap(t, env, "", "export", "progress", "--area", "99999"); r.code != 1 || !strings.Contains(r.stderr, `no area "99999"`) {
		t.Errorf("an unknown area: exit %d %s", r.code, r.stderr)
	}
}
