package certificate

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestVietnameseText draws a certificate and reads its text back with
// pdftotext (Debian's poppler-utils, which .ci/run installs): every
// Vietnamese letter of the household's name is there, and a name sent
// decomposed (NFD) comes out composed.
func TestVietnameseText(t *testing.T) {
	name := "Gia đình ông Nguyễn Văn Ưởng & bà Trần Thị Ngọc Ánh"
	decomposed := "Thôn Đông" // ô and Đ typed as base letters and marks
	c := Certificate{
		Header: []string{"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"},
		Title:  "GIẤY CÔNG NHẬN",
		Lines:  []string{"Danh hiệu Gia đình học tập năm 2026", name, "Tho\u0302n \u0110o\u0302ng, Xã Sóc Sơn, Thành phố Hà Nội", "Quyết định số 12/QĐ-KH ngày 01/12/2026"},
		Footer: "hoctap",
		At:     time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
	}
	data, err := PDF(c)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %q", data[:8])
	}
	again, _ := PDF(c)
	if !bytes.Equal(data, again) {
		t.Error("the same certificate drawn twice differs")
	}
	path := filepath.Join(t.TempDir(), "giay-cong-nhan.pdf")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-layout", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext (from poppler-utils): %v", err)
	}
	text := string(out)
	for _, want := range []string{name, decomposed, "GIẤY CÔNG NHẬN", "Quyết định số 12/QĐ-KH"} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF's text lacks %q:\n%s", want, text)
		}
	}
}
