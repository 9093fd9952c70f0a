package store

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"hoctap/area"
	"hoctap/scoring"
)

//go:embed targets.csv
var shippedTargets []byte

// TargetsHeader is the header of a targets file (hoctap targets import,
// and the shipped national figures).
var TargetsHeader = []string{"jurisdiction", "year", "kind", "basis", "share", "source", "confirmed"}

// The bases of a target: what its share is of.
const (
	BasisEntities = "entities" // the title's households, clans, villages or units
	BasisAdults   = "adults"   // Learning Citizens: adults in families and communities
	BasisStaff    = "staff"    // Learning Citizens: staff in units
)

// Target is one target line: a share of a title's basis by a year, for a
// jurisdiction.
type Target struct {
	Line         int // in the file, for problems
	Jurisdiction string
	Year         int
	Kind         scoring.Kind
	Basis        string
	Share        float64 // per cent
	Source       string
	Confirmed    bool
}

// ReadTargets reads a targets file. Every problem is returned, joined,
// each naming its line and column as "targets line N, column: ...";
// whether the jurisdictions are known is the store's to check.
func ReadTargets(r io.Reader) ([]Target, error) {
	table, err := area.ReadTable(r, "targets", TargetsHeader)
	if err != nil {
		return nil, err
	}
	add := table.Add
	var out []Target
	seen := map[string]int{}
	for i, rec := range table.Records {
		line := table.Lines[i]
		for j := range rec {
			rec[j] = strings.TrimSpace(rec[j])
		}
		t := Target{Line: line, Jurisdiction: rec[0], Kind: scoring.Kind(rec[2]), Basis: rec[3], Source: rec[5]}
		if t.Jurisdiction == "" {
			add(line, "jurisdiction", "empty: the nation's code or a province's")
		}
		if t.Year, err = strconv.Atoi(rec[1]); err != nil || t.Year < 2000 || t.Year > 2100 {
			add(line, "year", "%q is not a year", rec[1])
		}
		if !slices.Contains(scoring.Kinds, t.Kind) {
			add(line, "kind", "%q is not a title (%s)", rec[2], kindNames())
		}
		switch {
		case t.Kind == scoring.KindCitizen && t.Basis != BasisAdults && t.Basis != BasisStaff:
			add(line, "basis", "a Learning Citizen target is of %s or %s, not %q", BasisAdults, BasisStaff, rec[3])
		case t.Kind != scoring.KindCitizen && t.Basis != BasisEntities:
			add(line, "basis", "a %s target is of %s, not %q", t.Kind, BasisEntities, rec[3])
		}
		share, err := strconv.ParseFloat(strings.TrimSuffix(strings.ReplaceAll(rec[4], ",", "."), "%"), 64)
		if err != nil || share <= 0 || share > 100 {
			add(line, "share", "%q is not a per cent above 0 and at most 100", rec[4])
		}
		t.Share = share
		if t.Source == "" {
			add(line, "source", "empty: say where the figure comes from")
		}
		switch rec[6] {
		case "true":
			t.Confirmed = true
		case "false":
		default:
			add(line, "confirmed", "true or false, not %q", rec[6])
		}
		key := fmt.Sprint(t.Jurisdiction, t.Year, t.Kind, t.Basis)
		if first, ok := seen[key]; ok {
			add(line, "kind", "%s %d %s (%s) is on line %d already", t.Jurisdiction, t.Year, t.Kind, t.Basis, first)
			continue
		}
		seen[key] = line
		out = append(out, t)
	}
	if err := table.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func kindNames() string {
	var names []string
	for _, k := range scoring.Kinds {
		names = append(names, string(k))
	}
	return strings.Join(names, ", ")
}

// ImportTargets loads targets: for each jurisdiction and year in the file,
// its targets become the file's. A jurisdiction must be the nation or a
// province; a file with any problem changes nothing. It returns how many
// targets it wrote.
func (db *DB) ImportTargets(ctx context.Context, targets []Target) (int, error) {
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error { return importTargets(ctx, tx, targets) })
	if err != nil {
		return 0, err
	}
	return len(targets), nil
}

func importTargets(ctx context.Context, tx pgx.Tx, targets []Target) error {
	var problems []error
	levels := map[string]string{}
	for _, t := range targets {
		level, ok := levels[t.Jurisdiction]
		if !ok {
			if err := tx.QueryRow(ctx, `SELECT level FROM areas WHERE code = $1`, t.Jurisdiction).Scan(&level); err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("find the jurisdiction: %w", err)
			}
			levels[t.Jurisdiction] = level
		}
		if level != "nation" && level != "province" {
			problems = append(problems, fmt.Errorf("targets line %d, jurisdiction: %q is not the nation's code or a province's", t.Line, t.Jurisdiction))
		}
	}
	if len(problems) > 0 {
		return errors.Join(problems...)
	}
	replaced := map[string]bool{}
	for _, t := range targets {
		if key := fmt.Sprint(t.Jurisdiction, "@", t.Year); !replaced[key] {
			replaced[key] = true
			if _, err := tx.Exec(ctx, `DELETE FROM targets WHERE jurisdiction = $1 AND year = $2`, t.Jurisdiction, t.Year); err != nil {
				return fmt.Errorf("replace targets: %w", err)
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO targets (jurisdiction, year, kind, basis, share, source, confirmed) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			t.Jurisdiction, t.Year, string(t.Kind), t.Basis, t.Share, t.Source, t.Confirmed); err != nil {
			return fmt.Errorf("targets line %d: %w", t.Line, err)
		}
	}
	return nil
}

// seedTargets loads the shipped national targets into a database that has
// none and has the nation.
func seedTargets(ctx context.Context, tx pgx.Tx) error {
	var some, nation bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM targets), EXISTS (SELECT 1 FROM areas WHERE code = 'VN')`).Scan(&some, &nation); err != nil {
		return fmt.Errorf("look for targets: %w", err)
	}
	if some || !nation {
		return nil
	}
	targets, err := ReadTargets(bytes.NewReader(shippedTargets))
	if err != nil {
		return fmt.Errorf("the shipped targets: %w", err) // a build defect, caught by the tests
	}
	return importTargets(ctx, tx, targets)
}

// Targets returns the targets in force for an area in a year: for each
// title and basis, its province's own where the province set one, else the
// nation's; by title in scoring.Kinds order.
func (db *DB) Targets(ctx context.Context, areaCode string, year int) ([]Target, error) {
	rows, err := db.pool.Query(ctx, `
		WITH RECURSIVE up (code, parent, depth) AS (
			SELECT code, parent_code, 0 FROM areas WHERE code = $1
			UNION ALL
			SELECT a.code, a.parent_code, up.depth + 1 FROM areas a JOIN up ON a.code = up.parent
		)
		SELECT DISTINCT ON (t.kind, t.basis) t.jurisdiction, t.year, t.kind, t.basis, t.share::float8, t.source, t.confirmed
		FROM targets t JOIN up ON up.code = t.jurisdiction
		WHERE t.year = $2
		ORDER BY t.kind, t.basis, up.depth`, areaCode, year)
	if err != nil {
		return nil, fmt.Errorf("query targets: %w", err)
	}
	var out []Target
	var t Target
	var kind string
	if _, err := pgx.ForEachRow(rows, []any{&t.Jurisdiction, &t.Year, &kind, &t.Basis, &t.Share, &t.Source, &t.Confirmed}, func() error {
		t.Kind = scoring.Kind(kind)
		out = append(out, t)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("query targets: %w", err)
	}
	slices.SortStableFunc(out, func(a, b Target) int {
		return slices.Index(scoring.Kinds, a.Kind) - slices.Index(scoring.Kinds, b.Kind)
	})
	return out, nil
}
