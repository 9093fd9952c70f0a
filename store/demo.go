package store

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"hoctap/area"
	"hoctap/flows"
	"hoctap/scoring"
)

// Demo is what SeedDemo is to make: synthetic data in one real province,
// for demos and benchmarks.
type Demo struct {
	Province   string // its code
	Households int
	Year       int // of the assessments; the current year when 0
	Sets       *scoring.Catalog
	Log        *slog.Logger
}

// Seeded is what SeedDemo made.
type Seeded struct {
	Communes, Villages, People, Subjects, Assessments int
}

// How a demo province is made: about 20 villages a commune; for each 40
// households a clan and each 10 a citizen assessed; 5 units a commune.
const (
	demoVillages        = 20
	demoHouseholdsClan  = 40
	demoHouseholdsAdult = 10
	demoUnits           = 5
)

// demoStates is how a demo subject stands in the year, by a draw of 100:
// nothing, registered, a questionnaire open, waiting for review, sent
// back, accepted (and recognised), accepted and waiting for a recogniser,
// rejected.
var demoStates = []struct {
	upTo  uint64
	state string
}{{15, ""}, {25, StateRegistered}, {35, flows.StateOpen}, {45, flows.StateSubmitted}, {50, flows.ReviewNeedsChanges},
	{90, flows.StateRecognised}, {95, flows.ReviewAccepted}, {100, flows.ReviewRejected}}

// demoSubject is one synthetic subject.
type demoSubject struct {
	id    int64
	kind  scoring.Kind
	name  string
	area  string
	state string
}

// SeedDemo fills a real province with synthetic villages, households,
// clans, units, citizens and the people who represent them, official
// counts, and assessments of the year in every state, each table by COPY
// in one transaction; the roll-ups are then built from them. The shipped
// area tree is loaded first when the province is missing. Seeding again
// adds as many again, in the same villages.
func (db *DB) SeedDemo(ctx context.Context, d Demo) (Seeded, error) {
	var n Seeded
	if d.Year == 0 {
		d.Year = DayOf(time.Now()).Year()
	}
	log := d.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := db.ensureProvince(ctx, d.Province); err != nil {
		return n, err
	}
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE people, subjects, assessments IN EXCLUSIVE MODE`); err != nil {
			return err
		}
		communes, err := childCodes(ctx, tx, d.Province)
		if err != nil {
			return err
		}
		if len(communes) == 0 {
			return fmt.Errorf("%s has no communes", d.Province)
		}
		n.Communes = len(communes)
		villages, err := demoVillagesOf(ctx, tx, communes, &n)
		if err != nil {
			return err
		}
		start := time.Now()
		var people, subjects, assessments int64
		if err := tx.QueryRow(ctx, `SELECT (SELECT coalesce(max(id), 0) FROM people), (SELECT coalesce(max(id), 0) FROM subjects),
			(SELECT coalesce(max(id), 0) FROM assessments)`).Scan(&people, &subjects, &assessments); err != nil {
			return err
		}
		list := demoSubjects(d, communes, villages, subjects)
		n.Subjects, n.People = len(list), len(list)
		log.Info("demo: subjects drawn", "subjects", len(list), "took", time.Since(start).Round(time.Millisecond))
		// A subject's person and assessment have the ids of its place in
		// the list, after those there are.
		person := func(i int) int64 { return people + 1 + int64(i) }
		assessment := func(i int) int64 { return assessments + 1 + int64(i) }
		at := time.Date(d.Year, time.March, 1, 8, 0, 0, 0, Vietnam)
		sets := map[scoring.Kind]*scoring.Set{}
		for _, k := range scoring.Kinds {
			s, ok := d.Sets.Pick(k, d.Province, d.Year)
			if !ok {
				return fmt.Errorf("no criteria set for %s", k)
			}
			sets[k] = s
		}
		copies := []struct {
			table   string
			columns []string
			rows    func(yield func(...any))
		}{
			{"people", []string{"id", "channel", "channel_user", "lang", "consent_at"}, func(yield func(...any)) {
				for i := range list {
					yield(person(i), "demo", person(i), "vi", at)
				}
			}},
			{"subjects", []string{"id", "kind", "name", "area_code", "created_by", "created_at"}, func(yield func(...any)) {
				for i, s := range list {
					yield(s.id, string(s.kind), s.name, s.area, person(i), at)
				}
			}},
			{"representatives", []string{"subject_id", "person_id", "since"}, func(yield func(...any)) {
				for i, s := range list {
					yield(s.id, person(i), at)
				}
			}},
			{"registrations", []string{"subject_id", "year", "person_id", "registered_at"}, func(yield func(...any)) {
				for i, s := range list {
					if s.state != "" {
						yield(s.id, d.Year, person(i), at)
					}
				}
			}},
			{"assessments", []string{"id", "subject_id", "person_id", "set_id", "set_version", "year", "region", "status", "cursor",
				"start_key", "total", "passed", "result", "submitted_at", "created_at", "updated_at"}, func(yield func(...any)) {
				for i, s := range list {
					if s.state == "" || s.state == StateRegistered {
						continue
					}
					set := sets[s.kind]
					status, cursor := "submitted", ""
					var total, passed, result, submitted any
					switch s.state {
					case flows.StateOpen, flows.ReviewNeedsChanges:
						status, cursor = "open", set.Indicators()[0].Code
					}
					if s.state != flows.StateOpen {
						r := demoResult(set, s.id, s.state)
						data, _ := json.Marshal(r)
						total, passed, result = r.Total, r.Passed, data
						if status == "submitted" {
							submitted = at.Add(time.Duration(s.id%(200*24)) * time.Hour)
						}
					}
					yield(assessment(i), s.id, person(i), set.ID, set.Version, d.Year, "normal", status, cursor,
						fmt.Sprintf("demo:%d", assessment(i)), total, passed, result, submitted, at, at)
					n.Assessments++
				}
			}},
			{"reviews", []string{"assessment_id", "state", "waiting_since", "decided_at", "reason"}, func(yield func(...any)) {
				for i, s := range list {
					state := s.state
					switch s.state {
					case "", StateRegistered, flows.StateOpen:
						continue
					case flows.StateSubmitted:
						state = flows.ReviewWaiting
					case flows.StateRecognised:
						state = flows.ReviewAccepted
					}
					var decided, reason any
					if state != flows.ReviewWaiting {
						decided = at.Add(time.Duration(s.id%(200*24))*time.Hour + 24*time.Hour)
					}
					if state == flows.ReviewNeedsChanges || state == flows.ReviewRejected {
						reason = "Thiếu ảnh minh chứng"
					}
					yield(assessment(i), state, at, decided, reason)
				}
			}},
			{"recognitions", []string{"assessment_id", "subject_id", "kind", "year", "set_id", "set_version", "area_code",
				"recognised_by", "recognised_at"}, func(yield func(...any)) {
				for i, s := range list {
					if s.state == flows.StateRecognised {
						yield(assessment(i), s.id, string(s.kind), d.Year, sets[s.kind].ID, sets[s.kind].Version, s.area, person(i),
							at.Add(time.Duration(s.id%(200*24))*time.Hour+24*time.Hour))
					}
				}
			}},
		}
		for _, c := range copies {
			start := time.Now()
			rows := make(chan []any, 1024)
			go func() {
				defer close(rows)
				c.rows(func(v ...any) { rows <- v })
			}()
			copied, err := tx.CopyFrom(ctx, pgx.Identifier{c.table}, c.columns, &chanSource{rows: rows})
			for range rows { // let the producer end when COPY failed
			}
			if err != nil {
				return fmt.Errorf("copy %s: %w", c.table, err)
			}
			log.Info("demo: copied", "table", c.table, "rows", copied, "took", time.Since(start).Round(time.Millisecond))
		}
		for _, seq := range []string{"people", "subjects", "assessments"} {
			if _, err := tx.Exec(ctx, fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%[1]s', 'id'), (SELECT max(id) FROM %[1]s))`, seq)); err != nil {
				return err
			}
		}
		if err := demoCounts(ctx, tx, d.Year, communes, list); err != nil {
			return err
		}
		start = time.Now()
		if _, err := tx.Exec(ctx, `ANALYZE people, subjects, registrations, assessments, reviews, recognitions`); err != nil {
			return err
		}
		if err := rebuildRollups(ctx, tx); err != nil {
			return err
		}
		log.Info("demo: roll-ups built", "took", time.Since(start).Round(time.Millisecond))
		return nil
	})
	if err != nil {
		return Seeded{}, fmt.Errorf("seed the demo: %w", err)
	}
	start := time.Now()
	if err := db.RebuildMisses(ctx); err != nil {
		return Seeded{}, fmt.Errorf("seed the demo: %w", err)
	}
	log.Info("demo: missed indicators counted", "took", time.Since(start).Round(time.Millisecond))
	return n, nil
}

// ensureProvince loads the shipped tree when the province is missing.
func (db *DB) ensureProvince(ctx context.Context, code string) error {
	var known bool
	if err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM areas WHERE code = $1 AND level = 'province')`, code).Scan(&known); err != nil {
		return err
	}
	if known {
		return nil
	}
	rows, err := area.Shipped()
	if err != nil {
		return err
	}
	if _, err := db.ImportAreas(ctx, rows, DayOf(time.Now())); err != nil {
		return err
	}
	if err := db.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM areas WHERE code = $1 AND level = 'province')`, code).Scan(&known); err != nil {
		return err
	}
	if !known {
		return fmt.Errorf("%w: no province has the code %q", flows.ErrNotFound, code)
	}
	return nil
}

// childCodes returns the codes of the areas in force below one, in order.
func childCodes(ctx context.Context, tx pgx.Tx, code string) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT code FROM areas WHERE parent_code = $1 AND (valid_to IS NULL OR valid_to > current_date) ORDER BY code`, code)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// demoVillagesOf returns each commune's demo villages, adding by COPY those
// missing.
func demoVillagesOf(ctx context.Context, tx pgx.Tx, communes []string, n *Seeded) (map[string][]string, error) {
	villages := map[string][]string{}
	var missing [][]any
	for _, c := range communes {
		for i := 1; i <= demoVillages; i++ {
			code := fmt.Sprintf("%s.D%02d", c, i)
			villages[c] = append(villages[c], code)
			name := fmt.Sprintf("Thôn %d", i)
			missing = append(missing, []any{code, c, "village", name, area.EnglishName(name), area.Fold(name), area.SortKey(name)})
		}
	}
	var existing []string
	rows, err := tx.Query(ctx, `SELECT code FROM areas WHERE code = ANY($1)`, codesOf(missing))
	if err == nil {
		existing, err = pgx.CollectRows(rows, pgx.RowTo[string])
	}
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, c := range existing {
		have[c] = true
	}
	var add [][]any
	for _, v := range missing {
		if !have[v[0].(string)] {
			add = append(add, v)
		}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"areas"}, []string{"code", "parent_code", "level", "name_vi", "name_en", "name_fold", "name_key"},
		pgx.CopyFromRows(add)); err != nil {
		return nil, fmt.Errorf("copy villages: %w", err)
	}
	links := make([][]any, len(add))
	for i, v := range add {
		links[i] = []any{v[0], v[1], time.Date(2025, time.July, 1, 0, 0, 0, 0, time.UTC)}
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"area_parents"}, []string{"code", "parent_code", "valid_from"}, pgx.CopyFromRows(links)); err != nil {
		return nil, fmt.Errorf("copy village links: %w", err)
	}
	n.Villages = len(missing)
	return villages, nil
}

func codesOf(rows [][]any) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r[0].(string)
	}
	return out
}

// demoSubjects draws the subjects: the households spread over the
// villages, a clan for each 40 and units at the communes, a community for
// each village, a citizen for each 10 households; each with its state.
func demoSubjects(d Demo, communes []string, villages map[string][]string, after int64) []demoSubject {
	var out []demoSubject
	add := func(kind scoring.Kind, name, area string) {
		id := after + int64(len(out)) + 1
		draw := mix(uint64(id)) % 100
		s := demoSubject{id: id, kind: kind, name: name, area: area}
		for _, st := range demoStates {
			if draw < st.upTo {
				s.state = st.state
				break
			}
		}
		out = append(out, s)
	}
	all := len(communes) * demoVillages
	for ci, c := range communes {
		for vi, v := range villages[c] {
			k := ci*demoVillages + vi
			households := d.Households/all + btoi(k < d.Households%all)
			for h := range households {
				add(scoring.KindFamily, fmt.Sprintf("Hộ %d", h+1), v)
				if h%demoHouseholdsAdult == 0 {
					add(scoring.KindCitizen, fmt.Sprintf("Công dân %d", h/demoHouseholdsAdult+1), v)
				}
				if h%demoHouseholdsClan == 0 {
					add(scoring.KindClan, fmt.Sprintf("Họ %s %d", v[len(v)-3:], h/demoHouseholdsClan+1), c)
				}
			}
			add(scoring.KindCommunity, fmt.Sprintf("Thôn %d", vi+1), v)
		}
		for u := range demoUnits {
			add(scoring.KindUnit, fmt.Sprintf("Trường %d", u+1), c)
		}
	}
	return out
}

// demoCounts writes the official counts of the year: a village's
// households and adults, a commune's of every title, somewhat more than
// were enrolled.
func demoCounts(ctx context.Context, tx pgx.Tx, year int, communes []string, list []demoSubject) error {
	type counted struct{ households, clans, units int }
	by := map[string]*counted{}
	parent := map[string]string{}
	for _, c := range communes {
		by[c] = &counted{}
	}
	for _, s := range list {
		commune := s.area
		if len(s.area) > 4 && s.area[len(s.area)-4] == '.' { // a demo village: commune.Dnn
			commune = s.area[:len(s.area)-4]
			if by[s.area] == nil {
				by[s.area], parent[s.area] = &counted{}, commune
			}
		}
		for _, code := range []string{s.area, commune} {
			switch s.kind {
			case scoring.KindFamily:
				by[code].households++
			case scoring.KindClan:
				by[code].clans++
			case scoring.KindUnit:
				by[code].units++
			}
			if code == commune {
				break
			}
		}
	}
	codes := make([]string, 0, len(by))
	rows := make([][]any, 0, len(by))
	for code, c := range by {
		codes = append(codes, code)
		households := c.households * 115 / 100
		if parent[code] != "" {
			rows = append(rows, []any{code, year, households, nil, nil, nil, households * 26 / 10, nil})
		} else {
			rows = append(rows, []any{code, year, households, c.clans * 110 / 100, demoVillages, c.units * 120 / 100, households * 26 / 10, c.units * 30})
		}
	}
	if _, err := tx.Exec(ctx, `DELETE FROM area_counts WHERE code = ANY($1) AND year = $2`, codes, year); err != nil {
		return fmt.Errorf("write the official counts: %w", err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"area_counts"}, []string{"code", "year", "households", "clans", "villages", "units", "adults", "staff"},
		pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("write the official counts: %w", err)
	}
	return nil
}

// demoResult is a result for a demo submission: each indicator met or
// missed, the later ones more often, so that what fails most shows.
func demoResult(set *scoring.Set, id int64, state string) scoring.Result {
	r := scoring.Result{Max: set.MaxPoints}
	for i, ind := range set.Indicators() {
		score := scoring.IndicatorScore{Code: ind.Code, Max: ind.MaxPoints, Answered: true}
		if mix(uint64(id)*31+uint64(i))%100 >= uint64(5+4*i) || state == flows.StateRecognised || state == flows.ReviewAccepted {
			score.Points = ind.MaxPoints
		}
		r.Total += score.Points
		r.Indicators = append(r.Indicators, score)
	}
	r.Passed = state != flows.ReviewRejected && state != flows.ReviewNeedsChanges
	return r
}

// mix is splitmix64: a well-spread draw from a number.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// chanSource feeds COPY from a channel of rows.
type chanSource struct {
	rows <-chan []any
	row  []any
}

func (c *chanSource) Next() bool {
	var ok bool
	c.row, ok = <-c.rows
	return ok
}
func (c *chanSource) Values() ([]any, error) { return c.row, nil }
func (c *chanSource) Err() error             { return nil }
