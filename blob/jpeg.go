package blob

import "bytes"

// JPEG markers (ITU T.81, table B.1) that the walk tells apart.
const (
	markerTEM   = 0x01
	markerRST0  = 0xD0
	markerRST7  = 0xD7
	markerSOI   = 0xD8
	markerEOI   = 0xD9
	markerSOS   = 0xDA
	markerAPP0  = 0xE0
	markerAPP2  = 0xE2
	markerAPP14 = 0xEE
	markerAPP15 = 0xEF
	markerJPG0  = 0xF0
	markerCOM   = 0xFE
)

// stripJPEG walks the marker segments of a JPEG from SOI to EOI and copies
// those needed to decode it: the frame, tables and scans, the JFIF header
// (APP0), the ICC profile (APP2) and the Adobe colour transform (APP14). It
// drops every other application segment (Exif and XMP in APP1 with the GPS
// data, Photoshop/IPTC in APP13, ...), comments, fill bytes and anything
// after EOI. The entropy-coded data of each scan is copied unchanged, only
// looked through for the marker that ends it.
func stripJPEG(in []byte) ([]byte, error) {
	out := make([]byte, 0, len(in))
	out = append(out, 0xFF, markerSOI)
	p, scans := 2, 0
	for {
		m, next, err := jpegMarker(in, p)
		if err != nil {
			return nil, err
		}
		p = next
		switch {
		case m == markerEOI:
			if scans == 0 {
				return nil, notImage("JPEG ends before a scan")
			}
			return append(out, 0xFF, markerEOI), nil
		case m == markerTEM || (m >= markerRST0 && m <= markerRST7):
			out = append(out, 0xFF, m) // standalone, no length
			continue
		case m == markerSOI || m < 0xC0:
			return nil, notImage("JPEG marker %#x at %d", m, p-1)
		}
		seg, err := jpegSegment(in, p)
		if err != nil {
			return nil, err
		}
		p += len(seg)
		if keepJPEGSegment(m, seg[2:]) {
			out = append(out, 0xFF, m)
			out = append(out, seg...)
		}
		if m == markerSOS {
			end := scanEnd(in, p)
			out = append(out, in[p:end]...)
			p = end
			scans++
		}
	}
}

// jpegMarker reads the marker at in[p:], skipping fill bytes, and returns it
// with the offset after it.
func jpegMarker(in []byte, p int) (marker byte, next int, err error) {
	if p >= len(in) {
		return 0, 0, notImage("JPEG truncated at %d", p)
	}
	if in[p] != 0xFF {
		return 0, 0, notImage("JPEG: no marker at %d", p)
	}
	for p < len(in) && in[p] == 0xFF {
		p++
	}
	if p >= len(in) {
		return 0, 0, notImage("JPEG truncated at %d", p)
	}
	return in[p], p + 1, nil
}

// jpegSegment returns the segment at in[p:]: its two length bytes and what
// they count.
func jpegSegment(in []byte, p int) ([]byte, error) {
	if len(in)-p < 2 {
		return nil, notImage("JPEG truncated at %d", p)
	}
	n := int(in[p])<<8 | int(in[p+1])
	if n < 2 {
		return nil, notImage("JPEG segment length %d at %d", n, p)
	}
	if len(in)-p < n {
		return nil, notImage("JPEG segment at %d truncated", p)
	}
	return in[p : p+n], nil
}

// keepJPEGSegment reports whether a segment with this marker and payload is
// kept: all but comments, application segments other than JFIF, ICC and
// Adobe, and the JPGn extensions.
func keepJPEGSegment(marker byte, payload []byte) bool {
	switch {
	case marker == markerAPP0:
		return bytes.HasPrefix(payload, []byte("JFIF\x00"))
	case marker == markerAPP2:
		return bytes.HasPrefix(payload, []byte("ICC_PROFILE\x00"))
	case marker == markerAPP14:
		return bytes.HasPrefix(payload, []byte("Adobe"))
	case marker >= markerAPP0 && marker <= markerAPP15:
		return false
	case marker >= markerJPG0: // JPGn and COM
		return false
	}
	return true
}

// scanEnd returns the offset of the marker that ends the entropy-coded data
// starting at in[p:] (fill bytes before it included), or len(in) when there
// is none. In that data 0xFF is followed only by a stuffed 0x00 or by a
// restart marker.
func scanEnd(in []byte, p int) int {
	for i := p; i+1 < len(in); i++ {
		if in[i] != 0xFF {
			continue
		}
		next := in[i+1]
		if next == 0x00 || next == 0xFF || (next >= markerRST0 && next <= markerRST7) {
			continue
		}
		for i > p && in[i-1] == 0xFF {
			i-- // fill bytes belong to the marker
		}
		return i
	}
	return len(in)
}
