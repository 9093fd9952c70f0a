// Package certificate draws the certificate of a recognised title ("Giấy
// công nhận") as a one-page PDF, with a font that has every Vietnamese
// letter (DejaVu Serif, embedded; its licence is in fonts/LICENSE). The
// caller gives the texts, in the reader's language; this package only lays
// them out.
package certificate

import (
	"bytes"
	_ "embed"
	"fmt"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"golang.org/x/text/unicode/norm"
)

//go:embed fonts/DejaVuSerif.ttf
var regular []byte

//go:embed fonts/DejaVuSerif-Bold.ttf
var bold []byte

// Certificate is what a certificate says, from the top.
type Certificate struct {
	Header []string // the state's motto lines, centred at the top
	Title  string   // GIẤY CÔNG NHẬN
	Lines  []string // what is recognised, for whom, where, by which decision
	Footer string   // who issued it
	At     time.Time
}

// PDF draws the certificate on an A4 page in landscape.
func PDF(c Certificate) ([]byte, error) {
	pdf := fpdf.New("L", "mm", "A4", "")
	pdf.SetCatalogSort(true) // the same certificate, the same bytes
	pdf.SetCreationDate(c.At)
	pdf.SetModificationDate(c.At)
	pdf.SetTitle(nfc(c.Title), true)
	pdf.AddUTF8FontFromBytes("serif", "", regular)
	pdf.AddUTF8FontFromBytes("serif", "B", bold)
	pdf.SetMargins(25, 20, 25)
	pdf.AddPage()
	w, h := pdf.GetPageSize()
	pdf.SetDrawColor(150, 20, 20)
	pdf.SetLineWidth(1.2)
	pdf.Rect(10, 10, w-20, h-20, "D")
	pdf.SetLineWidth(0.4)
	pdf.Rect(14, 14, w-28, h-28, "D")

	pdf.SetY(24)
	for i, line := range c.Header {
		style, size := "", 12.0
		if i == 0 {
			style = "B"
		}
		pdf.SetFont("serif", style, size)
		pdf.CellFormat(0, 7, nfc(line), "", 1, "C", false, 0, "")
	}
	pdf.Ln(12)
	pdf.SetTextColor(150, 20, 20)
	pdf.SetFont("serif", "B", 30)
	pdf.CellFormat(0, 14, nfc(c.Title), "", 1, "C", false, 0, "")
	pdf.SetTextColor(0, 0, 0)
	pdf.Ln(8)
	for i, line := range c.Lines {
		style, size := "", 15.0
		if i == 1 { // the subject's name
			style, size = "B", 20
		}
		pdf.SetFont("serif", style, size)
		pdf.MultiCell(0, size*0.55, nfc(line), "", "C", false)
		pdf.Ln(2)
	}
	pdf.SetY(h - 40)
	pdf.SetFont("serif", "", 11)
	pdf.CellFormat(0, 6, nfc(c.Footer), "", 1, "R", false, 0, "")
	var b bytes.Buffer
	if err := pdf.Output(&b); err != nil {
		return nil, fmt.Errorf("draw certificate: %w", err)
	}
	return b.Bytes(), nil
}

// nfc composes a text: a decomposed letter (NFD) would lose its stacked
// marks in the font.
func nfc(s string) string { return norm.NFC.String(s) }
