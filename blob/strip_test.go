package blob

import (
	"bytes"
	"errors"
	"testing"

	"hoctap/flows"
)

// TestStripJPEGWalk runs the marker walk on hand-made streams; they have no
// frame, so it is called without the header check.
func TestStripJPEGWalk(t *testing.T) {
	const (
		soi = "\xFF\xD8"
		eoi = "\xFF\xD9"
		dqt = "\xFF\xDB\x00\x04\x00\x01"
		sos = "\xFF\xDA\x00\x03\x01"
		ecs = "\x12\xFF\x00\x34\xFF\xD3\x56" // stuffed 0xFF and a restart marker
	)
	app1 := string(segment(0xE1, "Exif\x00\x00MM"))
	com := string(segment(0xFE, personName))
	tests := []struct {
		name string
		in   string
		want string // "" for ErrNotImage
	}{
		{"minimal", soi + dqt + sos + ecs + eoi, soi + dqt + sos + ecs + eoi},
		{"drops APP1 and COM", soi + app1 + dqt + com + sos + ecs + eoi, soi + dqt + sos + ecs + eoi},
		{"fill bytes", soi + "\xFF\xFF" + dqt + sos + ecs + "\xFF\xFF" + eoi, soi + dqt + sos + ecs + eoi},
		{"standalone markers between segments", soi + "\xFF\x01" + dqt + "\xFF\xD0" + sos + ecs + eoi,
			soi + "\xFF\x01" + dqt + "\xFF\xD0" + sos + ecs + eoi},
		{"two scans with a comment between", soi + dqt + sos + ecs + com + sos + ecs + eoi,
			soi + dqt + sos + ecs + sos + ecs + eoi},
		{"drops what follows EOI", soi + dqt + sos + ecs + eoi + app1, soi + dqt + sos + ecs + eoi},
		{"drops APP0 other than JFIF", soi + string(segment(0xE0, "JFXX\x00\x10")) + dqt + sos + ecs + eoi,
			soi + dqt + sos + ecs + eoi},
		{"drops APP2 other than ICC", soi + string(segment(0xE2, "MPF\x00II")) + dqt + sos + ecs + eoi,
			soi + dqt + sos + ecs + eoi},
		{"drops JPGn", soi + string(segment(0xF1, "x")) + dqt + sos + ecs + eoi, soi + dqt + sos + ecs + eoi},
		{"no EOI", soi + dqt + sos + ecs, ""},
		{"no scan", soi + dqt + eoi, ""},
		{"length 0", soi + "\xFF\xE1\x00\x00" + dqt + sos + ecs + eoi, ""},
		{"length 1", soi + "\xFF\xE1\x00\x01" + dqt + sos + ecs + eoi, ""},
		{"length past the end", soi + "\xFF\xE1\x7F\xFF" + "Exif", ""},
		{"half a length", soi + "\xFF\xE1\x00", ""},
		{"only fill bytes", soi + "\xFF\xFF\xFF", ""},
		{"junk between segments", soi + "junk" + dqt + sos + ecs + eoi, ""},
		{"stuffed zero as marker", soi + "\xFF\x00" + dqt + sos + ecs + eoi, ""},
		{"reserved marker", soi + "\xFF\x02\x00\x02" + dqt + sos + ecs + eoi, ""},
		{"second SOI", soi + soi + dqt + sos + ecs + eoi, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := stripJPEG([]byte(tt.in))
			if tt.want == "" {
				if !errors.Is(err, flows.ErrNotImage) {
					t.Fatalf("got %q, %v; want ErrNotImage", got, err)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestStripPNGWalk(t *testing.T) {
	ihdr := string(chunk("IHDR", "\x00\x00\x00\x01\x00\x00\x00\x01\x08\x00\x00\x00\x00"))
	idat := string(chunk("IDAT", "x\x9cc\x00\x00\x00\x02\x00\x01"))
	iend := string(chunk("IEND", ""))
	head := string(pngMagic) + ihdr
	badCRC := []byte(idat)
	badCRC[len(badCRC)-1] ^= 1
	tests := []struct {
		name string
		in   string
		want string // "" for ErrNotImage
	}{
		{"minimal", head + idat + iend, head + idat + iend},
		{"drops text and private chunks", head + string(chunk("tEXt", "Author\x00"+personName)) + idat +
			string(chunk("prVt", "x")) + iend, head + idat + iend},
		{"drops what follows IEND", head + idat + iend + "tEXt", head + idat + iend},
		{"no IEND", head + idat, ""},
		{"truncated chunk", head + idat[:10], ""},
		{"length too large", head + "\x80\x00\x00\x00IDAT", ""},
		{"length past the end", head + "\x00\x00\x10\x00IDATxxxxxxxx", ""},
		{"bad type", head + string(chunk("ID@T", "")) + iend, ""},
		{"unknown critical chunk", head + string(chunk("ABCD", "")) + idat + iend, ""},
		{"bad CRC in a kept chunk", head + string(badCRC) + iend, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := stripPNG([]byte(tt.in))
			if tt.want == "" {
				if !errors.Is(err, flows.ErrNotImage) {
					t.Fatalf("got %q, %v; want ErrNotImage", got, err)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
			if _, _, err := Strip([]byte(tt.in)); err != nil {
				t.Fatalf("Strip: %v", err)
			}
		})
	}
}

// TestStripIdempotent checks that stripping a stripped image changes nothing.
func TestStripIdempotent(t *testing.T) {
	for _, in := range [][]byte{withJPEGMeta(sampleJPEG(t, 1)), withPNGMeta(samplePNG(t, 1))} {
		once, _, err := Strip(in)
		if err != nil {
			t.Fatal(err)
		}
		twice, _, err := Strip(once)
		if err != nil || !bytes.Equal(once, twice) {
			t.Fatalf("second Strip changed the image (%v)", err)
		}
	}
}
