package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"hoctap/flows"
	"hoctap/scoring"
)

// Areas returns the children of an area in force today ("" for the top), by name.
func (db *DB) Areas(ctx context.Context, parent string) ([]flows.Area, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT code, coalesce(parent_code, ''), level, name_vi, name_en, region FROM areas
		WHERE coalesce(parent_code, '') = $1 AND (valid_to IS NULL OR valid_to > current_date)
		ORDER BY name_vi, code`, parent)
	if err != nil {
		return nil, fmt.Errorf("query areas: %w", err)
	}
	return pgx.CollectRows(rows, scanArea)
}

// Area returns one area.
func (db *DB) Area(ctx context.Context, code string) (flows.Area, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT code, coalesce(parent_code, ''), level, name_vi, name_en, region FROM areas WHERE code = $1`, code)
	if err != nil {
		return flows.Area{}, fmt.Errorf("query area: %w", err)
	}
	a, err := pgx.CollectExactlyOneRow(rows, scanArea)
	if errors.Is(err, pgx.ErrNoRows) {
		return a, flows.ErrNotFound
	}
	return a, err
}

func scanArea(row pgx.CollectableRow) (flows.Area, error) {
	var a flows.Area
	var region string
	err := row.Scan(&a.Code, &a.Parent, &a.Level, &a.Name.VI, &a.Name.EN, &region)
	a.Region = scoring.Region(region)
	return a, err
}

// sampleAreas is a small area list for a new installation and the
// playground: two provinces, a few communes and villages (one commune in a
// hardship area). Real lists are imported.
var sampleAreas = []struct {
	code, parent, level, vi, en, region string
}{
	{"01", "", "province", "Thành phố Hà Nội", "Hà Nội", "normal"},
	{"01.001", "01", "commune", "Xã Sóc Sơn", "Sóc Sơn commune", "normal"},
	{"01.001.01", "01.001", "village", "Thôn Đông", "Đông village", "normal"},
	{"01.001.02", "01.001", "village", "Thôn Đoài", "Đoài village", "normal"},
	{"01.002", "01", "commune", "Phường Hoàn Kiếm", "Hoàn Kiếm ward", "normal"},
	{"01.002.01", "01.002", "village", "Tổ dân phố số 1", "Residential group 1", "normal"},
	{"01.002.02", "01.002", "village", "Tổ dân phố số 2", "Residential group 2", "normal"},
	{"08", "", "province", "Tỉnh Tuyên Quang", "Tuyên Quang", "normal"},
	{"08.001", "08", "commune", "Xã Lâm Bình", "Lâm Bình commune", "hardship"},
	{"08.001.01", "08.001", "village", "Thôn Nà Khà", "Nà Khà village", "hardship"},
	{"08.001.02", "08.001", "village", "Thôn Bản Bó", "Bản Bó village", "hardship"},
}

// SeedSampleAreas loads the sample area list when there are no areas, and
// reports whether it did.
func (db *DB) SeedSampleAreas(ctx context.Context) (bool, error) {
	seeded := false
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE areas IN EXCLUSIVE MODE`); err != nil {
			return err
		}
		var any bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM areas)`).Scan(&any); err != nil || any {
			return err
		}
		for _, a := range sampleAreas {
			if _, err := tx.Exec(ctx, `INSERT INTO areas (code, parent_code, level, name_vi, name_en, region)
				VALUES ($1, nullif($2, ''), $3, $4, $5, $6)`, a.code, a.parent, a.level, a.vi, a.en, a.region); err != nil {
				return err
			}
		}
		seeded = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("seed sample areas: %w", err)
	}
	return seeded, nil
}
