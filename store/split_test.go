package store_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"hoctap/area"
	"hoctap/flows"
	"hoctap/scoring"
	"hoctap/store"
	"hoctap/store/storetest"
)

// importing loads an area file, and a map when one is given, into the
// bundle's database, moving areas on from.
func (b *reviewBundle) importing(from, csv, mapping string) (store.Imported, error) {
	b.t.Helper()
	rows, err := area.ReadCSV(strings.NewReader("code,name,level,parent_code,valid_from,valid_to,replaced_by\n" + csv))
	if err != nil {
		b.t.Fatal(err)
	}
	var moves []area.Move
	if mapping != "" {
		if moves, err = area.ReadMap(strings.NewReader("kind,id,new_code\n" + mapping)); err != nil {
			b.t.Fatal(err)
		}
	}
	day, err := time.Parse(time.DateOnly, from)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.db.ImportAreasMapped(b.ctx, rows, day, moves)
}

// imported is importing that fails the test on an error.
func (b *reviewBundle) imported(from, csv, mapping string) store.Imported {
	b.t.Helper()
	n, err := b.importing(from, csv, mapping)
	if err != nil {
		b.t.Fatal(err)
	}
	return n
}

// links returns an area's dated links to its parents, oldest first.
func (b *reviewBundle) links(code string) []string {
	b.t.Helper()
	return b.texts(`SELECT parent_code || ' ' || valid_from || ' ' || coalesce(valid_to::text, '-')
		FROM area_parents WHERE code = $1 ORDER BY valid_from`, code)
}

// audits returns the details of an action's audit rows, oldest first.
func (b *reviewBundle) audits(action string) []string {
	b.t.Helper()
	out := b.texts(`SELECT detail::text FROM audit_log WHERE action = $1 ORDER BY id`, action)
	for _, s := range out {
		if strings.ContainsAny(s, "ÀÁÂÃĐàáâãđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ") || strings.Contains(s, "Xã") || strings.Contains(s, "Nhà") {
			b.t.Errorf("a name in the audit log: %s", s)
		}
	}
	return out
}

// areaCodes returns the codes of the areas in force below one.
func (b *reviewBundle) areaCodes(parent string) []string {
	b.t.Helper()
	areas, err := b.db.Areas(b.ctx, parent)
	if err != nil {
		b.t.Fatal(err)
	}
	var codes []string
	for _, a := range areas {
		codes = append(codes, a.Code)
	}
	return codes
}

// household starts a household's assessment for a year and returns it.
func (b *reviewBundle) household(person int64, name, areaCode string) flows.Assessment {
	b.t.Helper()
	b.n++
	a, err := b.db.Start(b.ctx, flows.NewAssessment{PersonID: person, Kind: scoring.KindFamily, Name: name, AreaCode: areaCode,
		Region: scoring.RegionNormal, SetID: "family-2015", SetVersion: 2, Year: 2026, Cursor: "1.1", Key: fmt.Sprintf("h%d", b.n)})
	if err != nil {
		b.t.Fatal(err)
	}
	return a
}

// represent makes a person a representative of a subject too.
func (b *reviewBundle) represent(person, subject int64) {
	b.t.Helper()
	if _, err := b.db.Pool().Exec(b.ctx, `INSERT INTO representatives (subject_id, person_id) VALUES ($1, $2)`, subject, person); err != nil {
		b.t.Fatal(err)
	}
}

// asked returns the relocation notices due, by person, once each.
func (b *reviewBundle) asked() map[int64][]int64 {
	b.t.Helper()
	due := storetest.TakeDue(b.t, b.db, time.Now().Add(time.Minute))
	out := map[int64][]int64{}
	for _, n := range due {
		if n.Name == store.NoticeRelocate {
			out[n.Person] = append(out[n.Person], n.Object)
		}
		if err := b.db.Sent(b.ctx, n.ID, time.Now()); err != nil {
			b.t.Fatal(err)
		}
	}
	return out
}

// TestMergeMovesChildAreas: a commune merged into another takes its
// villages in force along, those imported and those added in the bot, with
// dated links; a village the file gives a parent of its own is left to the
// file; importing the same file again changes nothing.
func TestMergeMovesChildAreas(t *testing.T) {
	t.Parallel()
	b := newReviewBundle(t)
	b.imported("2025-07-01", "T.A,Xã An,commune,01,2025-07-01,,\nT.B,Xã Bình,commune,01,2025-07-01,,\n"+
		"T.A.1,Thôn Một,village,T.A,2025-07-01,,\nT.A.2,Thôn Hai,village,T.A,2025-07-01,,\nT.A.3,Thôn Ba,village,T.A,2025-07-01,2026-01-01,\n", "")
	added, err := b.db.AddVillages(b.ctx, b.person("leader@T.A"), "T.A", []string{"Thôn Mới"})
	if err != nil || len(added) != 1 {
		t.Fatalf("added %+v %v", added, err)
	}
	merge := "T.A,Xã An,commune,01,2025-07-01,2026-07-01,T.B\nT.A.1,Thôn Một,village,T.B,2025-07-01,,\n"
	n := b.imported("2026-07-01", merge, "")
	if n != (store.Imported{Changed: 2, Moved: 1, ChildrenMoved: 2}) {
		t.Errorf("the merge %+v", n)
	}
	if got, want := b.areaCodes("T.B"), []string{"T.A.2", "T.A.1", added[0].Code}; !slices.Equal(got, want) {
		t.Errorf("the villages of T.B %v, want %v (Hai, Một, Mới)", got, want)
	}
	if got, want := b.links("T.A.2"), []string{"T.A 2025-07-01 2026-07-01", "T.B 2026-07-01 -"}; !slices.Equal(got, want) {
		t.Errorf("the links of T.A.2 %v, want %v", got, want)
	}
	// Added after the merge's day, the village's one link now names T.B.
	if got := b.links(added[0].Code); len(got) != 1 || !strings.HasPrefix(got[0], "T.B ") || !strings.HasSuffix(got[0], " -") {
		t.Errorf("the links of the village added in the bot %v", got)
	}
	if got := b.links("T.A.3"); !slices.Equal(got, []string{"T.A 2025-07-01 -"}) {
		t.Errorf("the village that ended before moved: %v", got)
	}
	if got := b.audits("area.merge"); !slices.Equal(got, []string{`{"to": "T.B", "from": "T.A", "areas": 2, "subjects": 0}`}) {
		t.Errorf("the audit %v", got)
	}
	if again := b.imported("2026-07-01", merge, ""); again != (store.Imported{Unchanged: 2}) {
		t.Errorf("the merge again %+v", again)
	}
	if got := b.audits("area.merge"); len(got) != 1 {
		t.Errorf("the merge again is audited: %v", got)
	}
}

// split is a commune T.S of Hà Nội with two villages, split on 1 July
// 2026 into Xã Bắc and Xã Nam.
const (
	splitTree = "T.S,Xã Sông,commune,01,2025-07-01,,\nT.S.1,Thôn Trên,village,T.S,2025-07-01,,\nT.S.2,Thôn Dưới,village,T.S,2025-07-01,,\n"
	splitFile = "T.S,Xã Sông,commune,01,2025-07-01,2026-07-01,\nT.N1,Xã Bắc,commune,01,2026-07-01,,\nT.N2,Xã Nam,commune,01,2026-07-01,,\n"
)

// TestSplitWithAMap: a split moves what its map places — villages under
// the new communes with dated links, a household with nobody in the bot
// to ask — and asks the representatives of the rest; a split that leaves a
// village or such a household unplaced, or a map with problems, changes
// nothing and names every problem by its line; the same file and map
// again change nothing.
func TestSplitWithAMap(t *testing.T) {
	t.Parallel()
	b := newReviewBundle(t)
	b.imported("2025-07-01", splitTree, "")
	family := b.person()
	lan := b.household(family, "Nhà Lan", "T.S")
	assisted, err := b.db.Start(b.ctx, flows.NewAssessment{PersonID: b.person("reviewer@01"), Kind: scoring.KindFamily, Name: "Nhà ông Sáu",
		AreaCode: "T.S", Region: scoring.RegionNormal, SetID: "family-2015", SetVersion: 2, Year: 2026, Cursor: "1.1", Key: "as", Assisted: true})
	if err != nil {
		t.Fatal(err)
	}
	unchanged := func(what string) {
		t.Helper()
		if _, err := b.db.Area(b.ctx, "T.N1"); !errors.Is(err, flows.ErrNotFound) {
			t.Errorf("%s: Xã Bắc was added: %v", what, err)
		}
		if got := b.areaCodes("T.S"); !slices.Equal(got, []string{"T.S.2", "T.S.1"}) {
			t.Errorf("%s: the villages of T.S %v", what, got)
		}
	}

	_, err = b.importing("2026-07-01", splitFile, "")
	for _, want := range []string{
		"line 2: T.S was split on 2026-07-01 (no replaced_by), and no one in the bot can choose for an area: place T.S.1, T.S.2 below it with --map MAP.csv",
		fmt.Sprintf("line 2: T.S was split on 2026-07-01, and subjects %d in it have no representative in the bot to ask", assisted.SubjectID),
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("a split with no map: %v\nwant %q", err, want)
		}
	}
	if err != nil && (strings.Contains(err.Error(), "Nhà") || strings.Contains(err.Error(), "Thôn")) {
		t.Errorf("a name in the problems: %v", err)
	}
	unchanged("no map")

	_, err = b.importing("2026-07-01", splitFile, "area,T.S.1,T.N1\n"+
		"area,T.X,T.N1\n"+
		"subject,999999,T.N1\n"+
		fmt.Sprintf("subject,%d,T.S.1\n", lan.SubjectID)+
		"area,T.S.2,T.Z\n"+
		"area,00376.01,T.N1\n"+
		fmt.Sprintf("subject,%d,T.S\n", assisted.SubjectID)+
		"area,T.N2,T.N1\n")
	for _, want := range []string{
		`map line 3, id: "T.X" is not a known area`,
		`map line 4, id: there is no subject 999999`,
		`map line 5, new_code: T.S.1 is a village, not a commune as T.S is`,
		`map line 6, new_code: "T.Z" is not a known area`,
		`map line 7, id: area 00376.01 lies in 00376, which the area file does not split`,
		`map line 8, new_code: T.S is not in force: it ended on 2026-07-01`,
		`map line 9, id: the area file gives T.N2 its parent (line 4)`,
		"line 2: T.S was split on 2026-07-01 (no replaced_by), and no one in the bot can choose for an area: place T.S.2 below it",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("a map with problems: %v\nwant %q", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "map line 2") {
		t.Errorf("a right line is a problem: %v", err)
	}
	unchanged("a map with problems")

	mapping := "area,T.S.1,T.N1\narea,T.S.2,T.N2\n" + fmt.Sprintf("subject,%d,T.N2\n", assisted.SubjectID)
	n := b.imported("2026-07-01", splitFile, mapping)
	if n != (store.Imported{New: 2, Changed: 1, ChildrenMoved: 2, SubjectsMapped: 1, Asked: 1}) {
		t.Errorf("the split %+v", n)
	}
	if got := b.areaCodes("T.N1"); !slices.Equal(got, []string{"T.S.1"}) {
		t.Errorf("the villages of Xã Bắc %v", got)
	}
	if got, want := b.links("T.S.2"), []string{"T.S 2025-07-01 2026-07-01", "T.N2 2026-07-01 -"}; !slices.Equal(got, want) {
		t.Errorf("the links of T.S.2 %v, want %v", got, want)
	}
	if a, err := b.db.Assessment(b.ctx, assisted.ID); err != nil || a.AreaCode != "T.N2" {
		t.Errorf("the household with nobody to ask is in %q %v", a.AreaCode, err)
	}
	if a, err := b.db.Assessment(b.ctx, lan.ID); err != nil || a.AreaCode != "T.S" {
		t.Errorf("the household asked is in %q %v, before its pick", a.AreaCode, err)
	}
	want := fmt.Sprintf(`{"from": "T.S", "areas": {"T.S.1": "T.N1", "T.S.2": "T.N2"}, "asked": 1, "subjects": {"%d": "T.N2"}, "subjects_asked": 1}`, assisted.SubjectID)
	if got := b.audits("area.split"); !slices.Equal(got, []string{want}) {
		t.Errorf("the audit %v, want %s", got, want)
	}
	if asked := b.asked(); len(asked) != 1 || len(asked[family]) != 1 {
		t.Errorf("asked %v, want the household's representative", asked)
	}
	if again := b.imported("2026-07-01", splitFile, mapping); again != (store.Imported{Unchanged: 3}) {
		t.Errorf("the split again %+v", again)
	}
	if asked := b.asked(); len(asked) != 0 {
		t.Errorf("asked again %v", asked)
	}
	if got := b.audits("area.split"); len(got) != 1 {
		t.Errorf("the split again is audited: %v", got)
	}
}

// TestSplitAsksRepresentatives: each representative of a household of an
// area split is asked; the first to pick one of the candidates moves it,
// the other is refused as too late; nobody else may pick, nor an area that
// is not a candidate. A map for a split still to come, and a split with
// households to ask but no area to offer, are refused.
func TestSplitAsksRepresentatives(t *testing.T) {
	t.Parallel()
	b := newReviewBundle(t)
	b.imported("2025-07-01", "T.S,Xã Sông,commune,01,2025-07-01,,\nT.Q,Xã Quê,commune,01,2025-07-01,,\n", "")
	first, second, other, stranger := b.person(), b.person(), b.person(), b.person()
	le := b.household(first, "Nhà Lê", "T.S")
	b.represent(second, le.SubjectID)
	b.household(other, "Nhà Vũ", "T.S")
	file := "T.S,Xã Sông,commune,01,2025-07-01,2026-07-01,\nT.N2,Xã Nam,commune,01,2026-07-01,,\nT.N1,Xã Bắc,commune,01,2026-07-01,,\n" +
		"T.N3,Xã Cũ,commune,01,2025-07-01,,\nT.V,Thôn Mới,village,T.N1,2026-07-01,,\n"
	if n := b.imported("2026-07-01", file, ""); n.Asked != 3 {
		t.Errorf("asked %+v, want 3 representatives", n)
	}
	asked := b.asked()
	if len(asked[first]) != 1 || len(asked[second]) != 1 || len(asked[other]) != 1 || asked[first][0] != asked[second][0] {
		t.Fatalf("asked %v", asked)
	}
	id := asked[first][0]
	r, err := b.db.Relocation(b.ctx, second, id)
	var names []string
	for _, c := range r.Candidates {
		names = append(names, c.Code)
	}
	if err != nil || !r.Waiting || r.SubjectName != "Nhà Lê" || r.From.Code != "T.S" || r.Now.Code != "T.S" ||
		!r.Since.Equal(time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)) || !slices.Equal(names, []string{"T.N1", "T.N2"}) {
		t.Fatalf("the relocation %+v %v; candidates %v, want Xã Bắc and Xã Nam", r, err, names)
	}
	if _, err := b.db.Relocation(b.ctx, stranger, id); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("a stranger reads the relocation: %v", err)
	}
	if err := b.db.Relocate(b.ctx, stranger, id, "T.N1", b.at); !errors.Is(err, flows.ErrNotFound) {
		t.Errorf("a stranger picks: %v", err)
	}
	for _, to := range []string{"T.N3", "T.Q", "T.V", "T.S"} {
		if err := b.db.Relocate(b.ctx, first, id, to, b.at); !errors.Is(err, flows.ErrNotFound) {
			t.Errorf("picked %s, not a candidate: %v", to, err)
		}
	}
	// Both representatives at once: one moves it, the other is too late.
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, p := range []struct {
		person int64
		to     string
	}{{first, "T.N1"}, {second, "T.N2"}} {
		wg.Go(func() { errs[i] = b.db.Relocate(b.ctx, p.person, id, p.to, b.at) })
	}
	wg.Wait()
	won := "T.N1"
	switch {
	case errs[0] == nil && errors.Is(errs[1], flows.ErrConflict):
	case errs[1] == nil && errors.Is(errs[0], flows.ErrConflict):
		won = "T.N2"
	default:
		t.Fatalf("two picks at once: %v", errs)
	}
	if a, err := b.db.Assessment(b.ctx, le.ID); err != nil || a.AreaCode != won {
		t.Errorf("the household is in %q %v, want %s", a.AreaCode, err, won)
	}
	if r, err := b.db.Relocation(b.ctx, first, id); err != nil || r.Waiting || r.Now.Code != won || len(r.Candidates) != 0 {
		t.Errorf("after the pick %+v %v", r, err)
	}
	if got := b.audits("subject.relocate"); len(got) != 1 || !strings.Contains(got[0], `"to": "`+won+`"`) {
		t.Errorf("the audit %v", got)
	}
	if n := b.imported("2026-07-01", file, ""); n.Asked != 0 {
		t.Errorf("the same file again asks %+v", n)
	}

	b.imported("2025-07-01", "T.L,Xã Lâu,commune,01,2025-07-01,,\nT.L.1,Thôn Lâu,village,T.L,2025-07-01,,\n", "")
	later := "T.L,Xã Lâu,commune,01,2025-07-01,2099-01-01,\n"
	if _, err := b.importing("2026-07-01", later, ""); err != nil {
		t.Fatalf("a split still to come: %v", err)
	}
	if _, err := b.importing("2026-07-01", later, "area,T.L.1,T.N1\n"); err == nil ||
		!strings.Contains(err.Error(), "map line 2, id: area T.L.1 lies in T.L, which is split on 2099-01-01, a day still to come") {
		t.Errorf("a map for a split still to come: %v", err)
	}

	b.household(other, "Nhà Quê", "T.Q")
	_, err = b.importing("2026-08-01", "T.Q,Xã Quê,commune,01,2025-07-01,2026-08-01,\n", "")
	if err == nil || !strings.Contains(err.Error(), "line 2: T.Q was split on 2026-08-01, but no commune in force starts that day under its parent") {
		t.Errorf("a split with nothing to offer: %v", err)
	}
}

// TestSplitKeepsLastYearsFigures: commune T.S is split on 1 July 2026, its
// village placed under Xã Bắc by the map and the household at the commune
// itself picking Xã Nam; last year's recognitions still count under T.S
// (and Hà Nội), this year's under the new communes.
func TestSplitKeepsLastYearsFigures(t *testing.T) {
	t.Parallel()
	b := newReviewBundle(t)
	b.imported("2025-07-01", "T.S,Xã Sông,commune,01,2025-07-01,,\nT.S.1,Thôn Trên,village,T.S,2025-07-01,,\n", "")
	reviewer := b.person("reviewer@01")
	villager, atCommune := b.person(), b.person()
	recognised := func(person int64, subject int64, name, areaCode string, year int, on time.Time) flows.Assessment {
		t.Helper()
		return b.accepted(person, subject, name, areaCode, year, on, reviewer)
	}
	lastYear, thisYear := time.Date(2025, 12, 1, 9, 0, 0, 0, time.UTC), time.Date(2026, 9, 1, 9, 0, 0, 0, time.UTC)
	inVillage := recognised(villager, 0, "Nhà Một", "T.S.1", 2025, lastYear)
	household := recognised(atCommune, 0, "Nhà Hai", "T.S", 2025, lastYear)

	n := b.imported("2026-07-01", "T.S,Xã Sông,commune,01,2025-07-01,2026-07-01,\nT.N1,Xã Bắc,commune,01,2026-07-01,,\nT.N2,Xã Nam,commune,01,2026-07-01,,\n",
		"area,T.S.1,T.N1\n")
	if n.ChildrenMoved != 1 || n.Asked != 1 {
		t.Errorf("the split %+v", n)
	}
	asked := b.asked()
	if err := b.db.Relocate(b.ctx, atCommune, asked[atCommune][0], "T.N2", thisYear); err != nil {
		t.Fatal(err)
	}
	recognised(villager, inVillage.SubjectID, "", "", 2026, thisYear)
	recognised(atCommune, household.SubjectID, "", "", 2026, thisYear)
	for _, c := range []struct {
		area string
		year int
		want int
	}{
		{"T.S", 2025, 2}, {"T.S.1", 2025, 1}, {"01", 2025, 2}, {"T.N1", 2025, 0}, {"T.N2", 2025, 0},
		{"T.S", 2026, 0}, {"T.S.1", 2026, 1}, {"01", 2026, 2}, {"T.N1", 2026, 1}, {"T.N2", 2026, 1},
	} {
		if got, err := b.db.RecognisedIn(b.ctx, c.area, c.year); err != nil || got != c.want {
			t.Errorf("recognised in %s in %d: %d %v, want %d", c.area, c.year, got, err, c.want)
		}
	}
}
