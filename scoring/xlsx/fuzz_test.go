package xlsx

import (
	"archive/zip"
	"bytes"
	"reflect"
	"testing"

	"github.com/xuri/excelize/v2"

	"hoctap/scoring"
)

// checkImport imports data and checks that it gives a set or problems, not
// both; that every problem names the file; and that a set survives a round
// trip.
func checkImport(t *testing.T, data []byte) {
	t.Helper()
	set, err := Import("fuzz.xlsx", bytes.NewReader(data))
	if (set == nil) == (err == nil) {
		t.Fatalf("got set %v and error %v", set, err)
	}
	if err != nil {
		ps, ok := err.(scoring.Problems)
		if !ok || len(ps) == 0 {
			t.Fatalf("got %T %v, want Problems", err, err)
		}
		for _, p := range ps {
			if p.File != "fuzz.xlsx" || p.Msg == "" {
				t.Fatalf("problem %#v", p)
			}
		}
		return
	}
	var buf bytes.Buffer
	if err := Export(&buf, set); err != nil {
		t.Fatalf("Export of an imported set: %v", err)
	}
	again, err := Import("fuzz.xlsx", &buf)
	if err != nil {
		t.Fatalf("Import of an exported set: %v", err)
	}
	if !reflect.DeepEqual(again, set) {
		t.Fatalf("the set changed:\n got %+v\nwant %+v", again, set)
	}
}

// notAWorkbook returns a zip file of one text file.
func notAWorkbook(t testing.TB) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("hello.txt")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("hello"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func FuzzImport(f *testing.F) {
	catalog, err := scoring.Shipped()
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range append([]*scoring.Set{fullSet()}, catalog.Sets()...) {
		var buf bytes.Buffer
		if err := Export(&buf, s); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	book := edited(f, func(b *excelize.File) error { return b.DeleteSheet("criteria") })
	f.Add(book)
	f.Add(book[:len(book)/2])
	f.Add(notAWorkbook(f))
	f.Add([]byte{})
	f.Add([]byte("PK\x03\x04"))
	f.Add([]byte("id,version\nfamily,1\n"))
	f.Add([]byte{0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0, 0, 0}) // an old .xls
	f.Fuzz(checkImport)
}

// FuzzCell writes any value to a cell of a valid workbook: this reaches
// the reading of cells, which mutations of zipped bytes seldom do.
func FuzzCell(f *testing.F) {
	f.Add(uint8(4), uint8(7), uint8(1), "ten", false)
	f.Add(uint8(4), uint8(9), uint8(1), "Có", false)
	f.Add(uint8(5), uint8(4), uint8(2), "2,5", false)
	f.Add(uint8(6), uint8(2), uint8(3), "", false)
	f.Add(uint8(0), uint8(1), uint8(2), "2.5", true)
	f.Add(uint8(1), uint8(1), uint8(1), "45306", true)
	f.Add(uint8(3), uint8(0), uint8(0), "Code", false)
	f.Add(uint8(4), uint8(30), uint8(40), "x", false)
	f.Fuzz(func(t *testing.T, sheet, col, row uint8, value string, number bool) {
		name := sheetNames[int(sheet)%len(sheetNames)]
		cell, err := excelize.CoordinatesToCellName(int(col%40)+1, int(row%40)+1)
		if err != nil {
			t.Fatal(err)
		}
		var v any = value
		if number {
			n, ok := parseNumber(value)
			if !ok {
				return
			}
			v = n
		}
		checkImport(t, edited(t, func(b *excelize.File) error {
			_ = set(name+"!"+cell, v)(b) // a value excelize refuses is no test
			return nil
		}))
	})
}
