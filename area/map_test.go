package area

import (
	"strings"
	"testing"
)

func TestReadMap(t *testing.T) {
	moves, err := ReadMap(strings.NewReader("\ufeffkind,id,new_code\n" +
		"area,00376.01,T.A\n" +
		"\n" +
		"subject, 42 ,T.B\n"))
	if err != nil || len(moves) != 2 || moves[0] != (Move{Line: 2, Kind: MoveArea, ID: "00376.01", To: "T.A"}) ||
		moves[1] != (Move{Line: 4, Kind: MoveSubject, ID: "42", Subject: 42, To: "T.B"}) {
		t.Fatalf("moves %+v, %v", moves, err)
	}
	_, err = ReadMap(strings.NewReader("kind,id,new_code\n" +
		"village,00376.01,T.A\n" +
		"subject,Nhà Lê,T.A\n" +
		"area,,T.A\n" +
		"area,T.X,\n" +
		"area,T.Y,T.Y\n" +
		"subject,7,T.A\n" +
		"subject,7,T.B\n" +
		"area,T.Z\n"))
	for _, want := range []string{
		`map line 2, kind: "village" is not area or subject`,
		`map line 3, id: "Nhà Lê" is not a subject's number`,
		`map line 4, id: empty`,
		`map line 5, new_code: empty`,
		`map line 6, new_code: an area is not its own parent`,
		`map line 8, id: subject 7 is already on line 7`,
		`map line 9, the line: 2 columns, want 3`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("problems %v, want %q", err, want)
		}
	}
	if _, err := ReadMap(strings.NewReader("kind,id\n")); err == nil || !strings.HasPrefix(err.Error(), "map line 1: the header") {
		t.Errorf("a wrong header: %v", err)
	}
}
