package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"hoctap/area"
	"hoctap/flows"
	"hoctap/scoring"
	"hoctap/store"
	"hoctap/store/storetest"
)

func TestAssessmentLifecycle(t *testing.T) {
	t.Parallel()
	db := storetest.New(t)
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

	if _, err := db.Person(ctx, "telegram", 77); !errors.Is(err, flows.ErrNotFound) {
		t.Fatalf("a person before consent: %v", err)
	}
	p, err := db.Consent(ctx, "telegram", 77, "vi", at)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := db.Consent(ctx, "telegram", 77, "en", at.Add(time.Hour)); err != nil || again.ID != p.ID || !again.Consent.Equal(at) {
		t.Errorf("consent given again: %+v %v", again, err)
	}

	n := flows.NewAssessment{PersonID: p.ID, Kind: scoring.KindFamily, Name: "Nhà Lê", AreaCode: area.SampleCommune + ".01",
		Region: scoring.RegionNormal, SetID: "family-2015", SetVersion: 1, Year: 2026, Cursor: "1.1", Key: "tg:1"}
	a, err := db.Start(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := db.Start(ctx, n); err != nil || again.ID != a.ID {
		t.Errorf("the same start twice: %+v %v", again, err)
	}
	other := n
	other.Key = "tg:2"
	if same, err := db.Start(ctx, other); !errors.Is(err, flows.ErrExists) || same.ID != a.ID {
		t.Errorf("a second assessment of the household for the year: %d %v, want %d and ErrExists", same.ID, err, a.ID)
	}

	yes := scoring.Yes()
	rev, err := db.Apply(ctx, flows.Change{AssessmentID: a.ID, Rev: a.Rev, PersonID: p.ID, Key: "tg:3", Cursor: "1.2", Code: "1.1", Answer: &yes})
	if err != nil || rev != a.Rev+1 {
		t.Fatalf("apply: %d %v", rev, err)
	}
	if _, err := db.Apply(ctx, flows.Change{AssessmentID: a.ID, Rev: rev, PersonID: p.ID, Key: "tg:3", Cursor: "1.3"}); !errors.Is(err, flows.ErrDone) {
		t.Errorf("the same input twice: %v, want ErrDone", err)
	}
	if _, err := db.Apply(ctx, flows.Change{AssessmentID: a.ID, Rev: a.Rev, PersonID: p.ID, Key: "tg:4", Cursor: "1.3"}); !errors.Is(err, flows.ErrConflict) {
		t.Errorf("a change for an old revision: %v, want ErrConflict", err)
	}
	for i, sum := range []string{"aa", "bb", "aa"} {
		got, err := db.AddEvidence(ctx, flows.Evidence{AssessmentID: a.ID, PersonID: p.ID, Code: "1.1", SHA256: sum, Size: 10,
			MIME: "image/jpeg", FileID: "f", UniqueID: "u"})
		if want := []int{1, 2, 2}[i]; err != nil || got != want {
			t.Errorf("photo %d: %d %v, want %d", i, got, err, want)
		}
	}
	got, err := db.Assessment(ctx, a.ID)
	if err != nil || got.Rev != rev || got.Cursor != "1.2" || got.Answers["1.1"] != yes || got.Photos["1.1"] != 2 {
		t.Fatalf("assessment %+v %v", got, err)
	}

	res := scoring.Result{Total: 10, Max: 100, Passed: false}
	if err := db.Submit(ctx, a.ID, rev, p.ID, res, at); err != nil {
		t.Fatal(err)
	}
	if err := db.Submit(ctx, a.ID, rev, p.ID, res, at); !errors.Is(err, flows.ErrDone) {
		t.Errorf("submitted twice: %v, want ErrDone", err)
	}
	if all, err := db.Assessments(ctx, p.ID); err != nil || len(all) != 1 || all[0].Submitted == nil {
		t.Errorf("after submission, the assessments %+v %v", all, err)
	}
	var exported []store.Exported
	db.EachExported(ctx, "", func(e store.Exported) error { exported = append(exported, e); return nil })
	if len(exported) != 1 || exported[0].SubjectName != "Nhà Lê" || exported[0].State != "submitted" ||
		exported[0].AreaName != "Thôn Đông" || exported[0].Year != a.Year || exported[0].Total == nil || *exported[0].Total != 10 {
		t.Errorf("exported %+v", exported)
	}
	var audit []string
	rows, _ := db.Pool().Query(ctx, `SELECT action FROM audit_log ORDER BY id`)
	for rows.Next() {
		var a string
		rows.Scan(&a)
		audit = append(audit, a)
	}
	// Every consent given is an event of its own; a photo given twice is one.
	want := []string{"consent", "consent", "start", "answer", "evidence", "evidence", "submit"}
	if len(audit) != len(want) {
		t.Fatalf("audit log %v, want %v", audit, want)
	}
	for i := range want {
		if audit[i] != want[i] {
			t.Errorf("audit log %v, want %v", audit, want)
			break
		}
	}
}

func TestMigrateTwiceAndSampleAreasOnce(t *testing.T) {
	t.Parallel()
	db := storetest.New(t) // migrated, with the sample villages
	ctx := context.Background()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if seeded, err := db.SeedSample(ctx); seeded || err != nil {
		t.Errorf("seeded again: %v %v", seeded, err)
	}
	// River's tables, for the durable jobs, are part of the migration, in
	// the installation's own schema, and Ready checks them.
	var jobs int
	if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM river_job`).Scan(&jobs); err != nil || jobs != 0 {
		t.Errorf("river_job: %d %v", jobs, err)
	}
	if err := db.Ready(ctx); err != nil {
		t.Errorf("ready after migrate: %v", err)
	}
	if _, err := db.Pool().Exec(ctx, `DELETE FROM river_migration WHERE version = (SELECT max(version) FROM river_migration)`); err != nil {
		t.Fatal(err)
	}
	if err := db.Ready(ctx); !errors.Is(err, store.ErrNotReady) {
		t.Errorf("ready with a River migration missing: %v", err)
	}
	// Enrolment starts below the nation, at the 34 provinces.
	top, err := db.Areas(ctx, "")
	if err != nil || len(top) != 1 || top[0].Code != "VN" || top[0].Level != "nation" {
		t.Fatalf("the top %+v %v", top, err)
	}
	provinces, err := db.Areas(ctx, "VN")
	if err != nil || len(provinces) != 34 || provinces[0].Level != "province" {
		t.Errorf("%d provinces %v", len(provinces), err)
	}
	hanoi, err := db.Area(ctx, "01")
	if err != nil || hanoi.Name.VI != "Thành phố Hà Nội" || hanoi.Name.EN != "Hà Nội" {
		t.Errorf("Hà Nội %+v %v", hanoi, err)
	}
	v, err := db.Area(ctx, area.SampleHardshipCommune+".01")
	if err != nil || v.Region != scoring.RegionHardship || v.Parent != area.SampleHardshipCommune {
		t.Errorf("village %+v %v", v, err)
	}
	if _, err := db.Area(ctx, "99"); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("unknown area: %v", err)
	}
	// Importing the shipped file into the tree it was loaded from changes
	// nothing, twice.
	rows, err := area.Shipped()
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		n, err := db.ImportAreas(ctx, rows, time.Now())
		if err != nil || n != (store.Imported{Unchanged: len(rows)}) {
			t.Errorf("importing the shipped tree again: %+v %v", n, err)
		}
	}
	if hanoi, err := db.Area(ctx, "01"); err != nil || hanoi.Name.EN != "Hà Nội" {
		t.Errorf("Hà Nội after the import %+v %v", hanoi, err)
	}
}

// TestSampleOnlyOnANewInstallation: the sample villages are never mixed
// into a tree that has villages of its own.
func TestSampleOnlyOnANewInstallation(t *testing.T) {
	t.Parallel()
	db := storetest.Migrated(t)
	ctx := context.Background()
	rows, err := area.ReadCSV(strings.NewReader("code,name,level,parent_code,valid_from,valid_to\n" +
		"00376.T1,Thôn Thượng,village,00376,2025-07-01,\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ImportAreas(ctx, rows, time.Now()); err != nil {
		t.Fatal(err)
	}
	if seeded, err := db.SeedSample(ctx); seeded || err != nil {
		t.Errorf("the sample was added to a tree with a village: %v %v", seeded, err)
	}
	villages, err := db.Areas(ctx, area.SampleCommune)
	if err != nil || len(villages) != 1 || villages[0].Name.EN != "Thượng village" {
		t.Errorf("the villages of the commune %+v %v", villages, err)
	}
	found, err := db.SearchAreas(ctx, "", "village", "thon thuong", 5)
	if err != nil || len(found) != 1 || found[0].Code != "00376.T1" || found[0].ParentName.VI != "Xã Sóc Sơn" {
		t.Errorf("the imported village found %+v %v", found, err)
	}
}

// TestOneAssessmentPerSubjectAndYearUnderRace: two devices of a person
// start the same household's assessment at once; one assessment is made,
// and the other start is told it exists (or lost the race to it).
func TestOneAssessmentPerSubjectAndYearUnderRace(t *testing.T) {
	t.Parallel()
	db := storetest.New(t)
	ctx := context.Background()
	p, err := db.Consent(ctx, "telegram", 78, "vi", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	n := flows.NewAssessment{PersonID: p.ID, Kind: scoring.KindFamily, Name: "Nhà Lê", AreaCode: area.SampleCommune + ".01",
		Region: scoring.RegionNormal, SetID: "family-2015", SetVersion: 1, Year: 2026, Cursor: "1.1", Key: "race:0"}
	first, err := db.Start(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Abandon(ctx, first.ID, first.Rev, p.ID); err != nil {
		t.Fatal(err) // an abandoned one does not count
	}
	errs := make(chan error, 8)
	for i := range 8 {
		go func() {
			m := n
			m.SubjectID, m.Key = first.SubjectID, fmt.Sprintf("race:%d", i+1)
			_, err := db.Start(ctx, m)
			errs <- err
		}()
	}
	made := 0
	for range 8 {
		switch err := <-errs; {
		case err == nil:
			made++
		case errors.Is(err, flows.ErrExists), errors.Is(err, flows.ErrConflict):
		default:
			t.Error(err)
		}
	}
	all, err := db.Assessments(ctx, p.ID)
	if err != nil || made != 1 || len(all) != 1 || all[0].SubjectID != first.SubjectID {
		t.Errorf("%d starts made an assessment; the person's assessments %+v %v", made, all, err)
	}
}

// TestImportAreas: an import adds what is new, again it changes nothing,
// and a merge moves a village to the commune that took over, keeping the
// dated link to the old one.
func TestImportAreas(t *testing.T) {
	t.Parallel()
	db := storetest.New(t)
	ctx := context.Background()
	read := func(doc string) []area.Row {
		t.Helper()
		rows, err := area.ReadCSV(strings.NewReader("code,name,level,parent_code,valid_from,valid_to,replaced_by\n" + doc))
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	tree := "T9,Tỉnh Thử,province,,2025-07-01,,\n" +
		"T9.1,Xã Một,commune,T9,2025-07-01,,\n" +
		"T9.2,Xã Hai,commune,T9,2025-07-01,,\n" +
		"T9.2.1,Thôn Nam,village,T9.2,2025-07-01,,\n"
	day := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	if n, err := db.ImportAreas(ctx, read(tree), day); err != nil || n != (store.Imported{New: 4}) {
		t.Fatalf("first import %+v %v", n, err)
	}
	if n, err := db.ImportAreas(ctx, read(tree), day); err != nil || n != (store.Imported{Unchanged: 4}) {
		t.Fatalf("the same again %+v %v", n, err)
	}
	merged := "T9,Tỉnh Thử,province,,2025-07-01,,\n" +
		"T9.1,Xã Một,commune,T9,2025-07-01,,\n" +
		"T9.2,Xã Hai,commune,T9,2025-07-01,2026-06-30,T9.1\n" +
		"T9.2.1,Thôn Nam,village,T9.1,2025-07-01,,\n"
	if n, err := db.ImportAreas(ctx, read(merged), day); err != nil || n != (store.Imported{Changed: 2, Moved: 1, Unchanged: 2}) {
		t.Fatalf("the merge %+v %v", n, err)
	}
	kids, err := db.Areas(ctx, "T9.1")
	if err != nil || len(kids) != 1 || kids[0].Code != "T9.2.1" {
		t.Errorf("T9.1's villages %+v %v", kids, err)
	}
	var links []string
	rows, err := db.Pool().Query(ctx, `SELECT parent_code || ' ' || valid_from || ' ' || coalesce(valid_to::text, '-')
		FROM area_parents WHERE code = 'T9.2.1' ORDER BY valid_from`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		rows.Scan(&s)
		links = append(links, s)
	}
	if want := []string{"T9.2 2025-07-01 2026-07-01", "T9.1 2026-07-01 -"}; !slices.Equal(links, want) {
		t.Errorf("links %v, want %v", links, want)
	}
	var replaced string
	db.Pool().QueryRow(ctx, `SELECT coalesce(replaced_by, '') FROM areas WHERE code = 'T9.2'`).Scan(&replaced)
	if replaced != "T9.1" {
		t.Errorf("T9.2 replaced by %q", replaced)
	}
	if _, err := db.ImportAreas(ctx, read("T8.1,Xã Lạc,commune,T8,2025-07-01,,\n"), day); err == nil || !strings.Contains(err.Error(), `line 2, parent_code: "T8" is neither in the file nor imported before`) {
		t.Errorf("an unknown parent: %v", err)
	}
}
