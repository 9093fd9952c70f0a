package xlsx

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"hoctap/scoring"
)

// The cells of fullSet's workbook that the tests below change. In the
// indicators sheet, column H is max_points and J not_applicable; row 2 is
// indicator 1.1. In the options sheet, column E is points; row 3 is option
// "mid" of indicator 1.2. Row 21 of the settings sheet is the first free one.

// edited exports fullSet, lets edit change the workbook and returns it.
func edited(t testing.TB, edit func(*excelize.File) error) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Export(&buf, fullSet()); err != nil {
		t.Fatal(err)
	}
	book, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer book.Close()
	if err := edit(book); err != nil {
		t.Fatalf("edit: %v", err)
	}
	out, err := book.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// set returns an edit that sets cells, given as "sheet!A1", to values.
func set(cells ...any) func(*excelize.File) error {
	return func(book *excelize.File) error {
		for i := 0; i < len(cells); i += 2 {
			sheet, cell, _ := strings.Cut(cells[i].(string), "!")
			if err := book.SetCellValue(sheet, cell, cells[i+1]); err != nil {
				return err
			}
		}
		return nil
	}
}

func TestImportProblems(t *testing.T) {
	problem := func(path, msg string) scoring.Problem {
		return scoring.Problem{File: "book.xlsx", Path: path, Msg: msg}
	}
	tests := []struct {
		name string
		edit func(*excelize.File) error
		want scoring.Problems
	}{{
		name: "missing sheet",
		edit: func(b *excelize.File) error { return b.DeleteSheet("criteria") },
		want: scoring.Problems{problem("criteria", "the sheet is missing")},
	}, {
		name: "unknown sheet",
		edit: func(b *excelize.File) error { _, err := b.NewSheet("notes"); return err },
		want: scoring.Problems{problem("notes", "unknown sheet; the sheets are settings, references, conditions, criteria, indicators, options, bands")},
	}, {
		name: "unknown column",
		edit: set("indicators!T1", "colour", "indicators!T2", "blue"),
		want: scoring.Problems{problem("indicators!T1", `unknown column "colour"`)},
	}, {
		name: "column given twice",
		edit: set("options!F1", "Points"),
		want: scoring.Problems{problem("options!F1", `column "points" is already in E1`)},
	}, {
		name: "missing key column",
		edit: func(b *excelize.File) error { return b.RemoveCol("indicators", "A") },
		want: scoring.Problems{problem("indicators!1:1", `the column "criterion" is missing`)},
	}, {
		name: "value without a header",
		edit: set("bands!F3", 7),
		want: scoring.Problems{problem("bands!F3", "a value in a column without a header")},
	}, {
		name: "unknown key",
		edit: set("settings!A21", "colour", "settings!B21", "blue"),
		want: scoring.Problems{problem("settings!A21", `unknown key "colour"`)},
	}, {
		name: "key given twice",
		edit: set("settings!A21", "ID", "settings!B21", "other"),
		want: scoring.Problems{problem("settings!A21", `key "id" is already given in row 2`)},
	}, {
		name: "bad number",
		edit: set("indicators!H2", "ten"),
		want: scoring.Problems{problem("indicators!H2", `"ten" is not a number`)},
	}, {
		name: "huge number",
		edit: set("options!E3", "1e999"),
		want: scoring.Problems{problem("options!E3", `"1e999" is not a number`)},
	}, {
		name: "NaN",
		edit: set("bands!B2", "NaN"),
		want: scoring.Problems{problem("bands!B2", `"NaN" is not a number`)},
	}, {
		name: "not a whole number",
		edit: set("settings!B3", 2.5),
		want: scoring.Problems{problem("settings!B3", `"2.5" is not a whole number`)},
	}, {
		name: "bad yes/no",
		edit: set("indicators!J2", "maybe"),
		want: scoring.Problems{problem("indicators!J2", `"maybe" is not yes or no`)},
	}, {
		name: "orphan indicator",
		edit: set("indicators!A3", "9"),
		want: scoring.Problems{problem("indicators!A3", `criterion "9" does not exist`)},
	}, {
		name: "orphan option",
		edit: set("options!A4", "9.9"),
		want: scoring.Problems{problem("options!A4", `indicator "9.9" does not exist`)},
	}, {
		name: "band without indicator",
		edit: set("bands!A2", ""),
		want: scoring.Problems{problem("bands!A2", "the indicator is missing")},
	}, {
		name: "several problems",
		edit: set("indicators!H2", "ten", "options!A4", "9.9"),
		want: scoring.Problems{
			problem("indicators!H2", `"ten" is not a number`),
			problem("options!A4", `indicator "9.9" does not exist`),
		},
	}, {
		name: "validation",
		edit: set("options!E3", 13),
		want: scoring.Problems{problem("criteria[0].indicators[1].options[1].points", "13 is more than the indicator's 12.5")},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := Import("book.xlsx", bytes.NewReader(edited(t, tt.edit)))
			if set != nil {
				t.Errorf("got a set")
			}
			if got := scoring.AsProblems(err); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got problems\n%v\nwant\n%v", got, tt.want)
			}
		})
	}
}

func TestImportNotAWorkbook(t *testing.T) {
	for _, data := range []string{"", "hello", "PK\x03\x04 broken"} {
		_, err := Import("book.xlsx", strings.NewReader(data))
		ps := scoring.AsProblems(err)
		if len(ps) != 1 || ps[0].File != "book.xlsx" || !strings.HasPrefix(ps[0].Msg, "not an Excel workbook (.xlsx): ") {
			t.Errorf("%q: got %v", data, err)
		}
	}
}

// TestImportAccepts checks what a person may do to the workbook that still
// gives the same set.
func TestImportAccepts(t *testing.T) {
	tests := []struct {
		name string
		edit func(*excelize.File) error
	}{
		{"number as text", set("indicators!H2", "10")},
		{"decimal comma", set("options!E3", "2,5")},
		{"number with spaces", set("options!E3", " 2.5 ")},
		{"có", set("indicators!J2", "Có")},
		{"true cell", set("indicators!J2", true)},
		{"1 for yes", set("indicators!J2", 1)},
		{"date cell", set("references!B2", time.Date(2024, 1, 15, 0, 0, 0, 0, time.UTC))},
		{"header case and spaces", set("criteria!A1", " Code ")},
		{"code as a number", func(b *excelize.File) error {
			// Excel stores 2.3 as 2.2999999999999998; it shows 2.3.
			return b.SetCellFloat("indicators", "B8", 2.3, 16, 64)
		}},
		{"sheet name case", func(b *excelize.File) error { return b.SetSheetName("indicators", "Indicators") }},
		{"blank rows", func(b *excelize.File) error { return b.InsertRows("options", 3, 2) }},
		{"columns in another order", func(b *excelize.File) error {
			// Swap code (A) and certainty (F) of the criteria sheet.
			for row := 1; row <= 3; row++ {
				a, _ := excelize.CoordinatesToCellName(1, row)
				f, _ := excelize.CoordinatesToCellName(6, row)
				va, _ := b.GetCellValue("criteria", a)
				vf, _ := b.GetCellValue("criteria", f)
				if err := set("criteria!"+a, vf, "criteria!"+f, va)(b); err != nil {
					return err
				}
			}
			return nil
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Import("book.xlsx", bytes.NewReader(edited(t, tt.edit)))
			if err != nil {
				t.Fatal(err)
			}
			if want := fullSet(); !reflect.DeepEqual(got, want) {
				t.Errorf("the set changed:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestImportOptionalSheets(t *testing.T) {
	s := fullSet()
	s.References, s.Conditions = nil, nil
	var buf bytes.Buffer
	if err := Export(&buf, s); err != nil {
		t.Fatal(err)
	}
	book, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"references", "conditions"} {
		if err := book.DeleteSheet(name); err != nil {
			t.Fatal(err)
		}
	}
	out, err := book.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Import("book.xlsx", out)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, s) {
		t.Errorf("the set changed:\n got %+v\nwant %+v", got, s)
	}
}
